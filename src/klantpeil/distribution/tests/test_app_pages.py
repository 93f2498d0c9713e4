"""The distribution pages in the app: funnel, templates with preview, settings and
invitations; what each role may do, errors beside their fields, nothing half-saved."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.urls import reverse

from klantpeil.collection.models import Invitation
from klantpeil.core.tenancy import tenant
from klantpeil.distribution.models import (
    Delivery,
    DistributionSettings,
    MessageTemplate,
    ReminderRule,
)
from klantpeil.distribution.tests.test_funnel import hand_built  # noqa: F401 (fixture)
from klantpeil.instruments.models import Instrument


@pytest.fixture
def client(client):
    """Pages in English, as the messages below are written (Dutch is tested apart)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _url(org, name: str, **kwargs) -> str:
    return reverse(f"app:distribution:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def manager(make_org, make_member, client):
    org = make_org("alpha")
    client.force_login(make_member("m@alpha.example", org, "manager"))
    return client, org


def _cells(page: str, step: str) -> list[str]:
    row = re.search(rf'<tr data-step="{step}"[^>]*>(.*?)</tr>', page, re.DOTALL).group(1)
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
    ]


def test_the_funnel_page_shows_the_counts_and_conversions(hand_built, make_member, client):  # noqa: F811
    client.force_login(make_member("v@alpha.example", hand_built, "viewer"))
    page = client.get(
        _url(hand_built, "funnel") + "?period=2026-10&instrument=customer-survey"
    ).content.decode()
    assert _cells(page, "made")[1:] == ["10", "100%", ""]
    assert _cells(page, "sent")[1:] == ["4", "40%", "40%"]
    assert _cells(page, "started")[1:] == ["3", "30%", "75%"]
    assert _cells(page, "completed")[1:] == ["2", "20%", "67%"]
    assert _cells(page, "skipped_fatigue")[1:] == ["1", "10%", ""]
    assert _cells(page, "opted_out")[1] == "1"
    assert 'id="funnel-spec"' in page
    # A viewer reads the funnel but gets no links to the pages that change things.
    assert _url(hand_built, "settings") not in page


def test_the_funnel_refuses_a_bad_period_and_an_unknown_survey(manager):
    client, org = manager
    page = client.get(_url(org, "funnel") + "?period=2026-13&instrument=nope").content.decode()
    assert "month 13 does not exist" in page
    assert "“nope” is not one of your surveys" in page
    assert 'id="funnel-table"' not in page


def test_settings_are_saved_whole_or_not_at_all(manager):
    client, org = manager
    with tenant(org):
        survey = Instrument.objects.get(key="customer-survey")
        others = list(
            Instrument.objects.filter(method__in=["customer_survey", "employee_survey"]).exclude(
                pk=survey.pk
            )
        )
    form = {
        "sender_name": "Klantenservice Alpha",
        "sender_address": "klant@alpha.example",
        "fatigue_days": "14",
        "fatigue_per_year": "6",
        "window_start": "09:00",
        "window_end": "08:00",
        "weekdays": ["0", "1", "2", "3", "4"],
        f"reminders_{survey.pk}": "2",
        f"days_after_{survey.pk}": "4",
        **{f"reminders_{i.pk}": "0" for i in others},
        **{f"days_after_{i.pk}": "3" for i in others},
    }
    bad = client.post(_url(org, "settings"), form)
    assert bad.status_code == 422
    assert "The window must end after it starts (09:00)." in bad.content.decode()
    with tenant(org):
        assert not DistributionSettings.objects.exists()
        assert not ReminderRule.objects.exists()
    also_bad = client.post(
        _url(org, "settings"),
        {**form, "window_end": "17:30", f"days_after_{survey.pk}": "0", "sender_address": "x"},
    )
    page = also_bad.content.decode()
    assert also_bad.status_code == 422 and "Enter a valid email address." in page
    assert "greater than or equal to 1" in page
    with tenant(org):
        assert not DistributionSettings.objects.exists()
    good = client.post(_url(org, "settings"), {**form, "window_end": "17:30"})
    assert good.status_code == 302, good.context["form"].errors
    with tenant(org):
        config = DistributionSettings.objects.get()
        assert (config.window_start, config.window_end) == (time(9), time(17, 30))
        assert config.window_weekdays == "01234" and config.fatigue_days == 14
        rule = ReminderRule.objects.get(instrument=survey)
        assert (rule.reminders, rule.days_after) == (2, 4)
    again = client.get(_url(org, "settings")).content.decode()
    assert 'value="Klantenservice Alpha"' in again and 'value="17:30"' in again


def test_viewers_and_unit_members_may_not_edit(make_org, make_member, client):
    org = make_org("alpha")
    client.force_login(make_member("v@alpha.example", org, "viewer"))
    for name in ("settings", "templates", "invitations"):
        assert client.get(_url(org, name)).status_code == 403
    assert client.get(_url(org, "funnel")).status_code == 200


def test_template_preview_and_errors_beside_the_field(manager):
    client, org = manager
    url = _url(org, "template", channel="email", message_kind="invitation", language="nl")
    page = client.get(url).content.decode()
    assert "Hoe was uw contact met Alpha?" in page  # the default, rendered with the org's name
    preview = client.post(
        _url(org, "template-preview", channel="email", message_kind="invitation", language="nl"),
        {
            "subject": "Uw mening over {{ organisation }}",
            "text_body": "Beste {{ naam }}, {{ link }} {{ organisation }} {{ opt_out_link }}",
            "html_body": "",
        },
    ).content.decode()
    assert 'id="preview-subject">Uw mening over Alpha<' in preview
    assert re.search(
        r'id="err-text_body" hx-swap-oob="true"[^>]*>Plain text: unknown variable \{\{ naam \}\}',
        preview,
    )
    assert re.search(r'id="err-subject" hx-swap-oob="true"[^>]*></p>', preview)
    with tenant(org):
        assert not MessageTemplate.objects.exists()


def test_sms_preview_counts_characters_and_parts(manager):
    client, org = manager
    text = "{{ organisation }}: " + "x" * 120 + " {{ link }} {{ opt_out_link }}"
    preview = client.post(
        _url(org, "template-preview", channel="sms", message_kind="reminder", language="en"),
        {"text_body": text},
    ).content.decode()
    rendered = re.search(r'id="preview-text">(.*?)</p>', preview, re.DOTALL).group(1)
    chars = len(rendered)
    assert chars > 160
    assert f"{chars} characters (GSM-7): {-(-chars // 153)} SMS parts" in preview


def test_a_template_is_saved_only_when_valid_and_can_be_reset(manager):
    client, org = manager
    url = _url(org, "template", channel="sms", message_kind="invitation", language="en")
    bad = client.post(url, {"action": "save", "text_body": "Hi {{ link }}"})
    assert bad.status_code == 422
    assert "Plain text: must contain {{ organisation }}" in bad.content.decode()
    good_text = "{{ organisation }} asks: {{ link }} Stop: {{ opt_out_link }}"
    assert client.post(url, {"action": "save", "text_body": good_text}).status_code == 302
    with tenant(org):
        saved = MessageTemplate.objects.get()
        assert (saved.channel, saved.kind, saved.language, saved.text_body) == (
            "sms",
            "invitation",
            "en",
            good_text,
        )
    assert "Alpha asks:" in client.get(url).content.decode()
    assert client.post(url, {"action": "reset"}).status_code == 302
    with tenant(org):
        assert not MessageTemplate.objects.exists()
    unknown = _url(org, "template", channel="fax", message_kind="x", language="nl")
    assert client.get(unknown).status_code == 404


def test_invitations_from_the_app_are_checked_line_by_line_and_made_whole(manager):
    client, org = manager
    form = {
        "instrument": "customer-survey",
        "channel": "email",
        "language": "nl",
        "deliver": "email",
        "contacts": "jan@example.nl, case-1\nnot-an-address@\n",
    }
    bad = client.post(_url(org, "invitations"), form)
    assert bad.status_code == 422
    assert "Line 2: email:" in bad.content.decode()
    with tenant(org):
        assert not Invitation.objects.exists() and not Delivery.objects.exists()
    form["contacts"] = "jan@example.nl, case-1\npiet@example.nl; case-2\n"
    assert client.post(_url(org, "invitations"), form).status_code == 302
    with tenant(org):
        assert Invitation.objects.count() == 2
        assert sorted(Delivery.objects.values_list("channel", "status")) == [
            ("email", "scheduled"),
            ("email", "scheduled"),
        ]
    page = client.get(_url(org, "invitations")).content.decode()
    assert page.count("<strong>Scheduled</strong>") == 2 and "case-2" in page
    handed_out = client.post(
        _url(org, "invitations"), {**form, "deliver": "none", "contacts": "case-3"}
    )
    links = handed_out.content.decode()
    assert handed_out.status_code == 200 and re.search(r"case-3: <code>http://testserver/s/", links)
    assert "Not sent by Klantpeil" in links
