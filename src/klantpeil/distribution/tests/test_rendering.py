"""Templates: known variables only, the required ones present, values escaped in HTML;
addresses normalised and hashed, never kept in plain text."""

from __future__ import annotations

import pytest
from django.test import override_settings

from klantpeil.distribution import contacts
from klantpeil.distribution.rendering import (
    DEFAULTS,
    TemplateError,
    Wording,
    render,
    validate_template,
)

BODY = "Beste klant, {{ link }} van {{ organisation }}. Afmelden: {{ opt_out_link }}"


def _errors(channel: str, **fields: str) -> dict[str, str]:
    wording = Wording(**{"subject": "Vraag", "text_body": BODY, "html_body": "", **fields})
    with pytest.raises(TemplateError) as caught:
        validate_template(channel, wording)
    return caught.value.errors


def test_every_shipped_default_passes_its_own_checks():
    for (channel, _kind, _language), wording in DEFAULTS.items():
        validate_template(channel, wording)


def test_an_unknown_variable_or_a_missing_link_names_the_field():
    assert _errors("email", text_body=BODY + " {{ customer_name }}") == {
        "text_body": "unknown variable {{ customer_name }}; known are {{ link }}, "
        "{{ organisation }}, {{ opt_out_link }}, {{ expires_at }}"
    }
    assert _errors("email", text_body="{{ link }} {{ organisation }}") == {
        "text_body": "must contain {{ opt_out_link }}"
    }
    assert _errors("email", html_body="<p>{{ link }}</p>") == {
        "html_body": "must contain {{ organisation }}"
    }
    assert _errors("email", subject="") == {"subject": "an e-mail needs a subject"}
    assert _errors("email", subject="{{ link }}") == {
        "subject": "links belong in the body, not in the subject"
    }
    assert _errors("sms", subject="Hoi") == {"subject": "an SMS has no subject"}
    assert _errors("email", text_body=BODY + " {% load x %}")["text_body"].startswith(
        "only {{ variable }} placeholders"
    )
    assert _errors("email", text_body=BODY + " {{ link")["text_body"] == (
        "a placeholder is not closed: write {{ variable }}"
    )


def test_html_values_are_escaped_and_text_is_not():
    context = {
        "link": "https://k.example/s/abc",
        "organisation": "Wonen & <Co>",
        "opt_out_link": "https://k.example/s/opt-out/x",
        "expires_at": "21 december 2026",
    }
    wording = Wording("Over {{ organisation }}", BODY, "<p>{{ organisation }} {{ link }} "
                      "{{ opt_out_link }}</p>")  # fmt: skip
    rendered = render(wording, context, language="nl")
    assert rendered.subject == "Over Wonen & <Co>"
    assert "van Wonen & <Co>." in rendered.text
    assert "<p>Wonen &amp; &lt;Co&gt; https://k.example/s/abc" in rendered.html
    assert "<title>Over Wonen &amp; &lt;Co&gt;</title>" in rendered.html


def test_phone_numbers_become_e164_and_bad_ones_say_how_to_write_them():
    assert contacts.normalise_phone("06-1234 5678") == "+31612345678"
    assert contacts.normalise_phone("0031 6 12345678") == "+31612345678"
    assert contacts.normalise_phone("+44 20 7946 0958") == "+442079460958"
    for bad in ("12345", "+3161234567", "06123", "phone"):
        with pytest.raises(contacts.ContactError):
            contacts.normalise_phone(bad)
    assert contacts.normalise_email(" Anna@Example.NL ") == "anna@example.nl"
    with pytest.raises(contacts.ContactError, match="not a valid e-mail address"):
        contacts.normalise_email("anna@")


def test_contact_hashes_are_keyed_per_organisation_and_links_sealed():
    one = contacts.contact_hash(1, "email", "anna@example.nl")
    assert len(one) == 64 and "anna" not in one
    assert one == contacts.contact_hash(1, "email", "anna@example.nl")
    assert one != contacts.contact_hash(2, "email", "anna@example.nl")
    with override_settings(KLANTPEIL_CONTACT_HASH_KEY="another key"):
        assert one != contacts.contact_hash(1, "email", "anna@example.nl")
    sealed = contacts.seal("https://k.example/s/secret-token")
    assert "secret-token" not in sealed
    assert contacts.unseal(sealed) == "https://k.example/s/secret-token"
    with override_settings(SECRET_KEY="x" * 60):
        assert contacts.unseal(sealed) is None
    token = contacts.opt_out_token(42)
    assert contacts.delivery_from_token(token) == 42
    assert contacts.delivery_from_token(token[:-2] + "xx") is None


@pytest.mark.django_db
def test_settings_and_templates_are_refused_naming_the_field(make_org):
    from django.core.exceptions import ValidationError

    from klantpeil.core.tenancy import tenant
    from klantpeil.distribution.models import DistributionSettings, MessageTemplate

    org = make_org("alpha")
    with tenant(org):
        config = DistributionSettings(organisation=org, window_weekdays="79")
        with pytest.raises(ValidationError) as caught:
            config.full_clean()
        assert caught.value.message_dict == {
            "window_weekdays": ["Choose days as digits 0 (Monday) to 6 (Sunday)."]
        }
        config.window_weekdays, config.window_start = "01234", config.window_end
        with pytest.raises(ValidationError) as caught:
            config.full_clean()
        assert caught.value.message_dict == {"window_end": ["The window must end after it starts."]}
        template = MessageTemplate(
            organisation=org, channel="sms", kind="invitation", language="nl",
            text_body="{{ link }} {{ organisation }} {{ naam }}",
        )  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            template.full_clean()
        assert list(caught.value.message_dict) == ["text_body"]
        assert caught.value.message_dict["text_body"][0].startswith("unknown variable {{ naam }}")
