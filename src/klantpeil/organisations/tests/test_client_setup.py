"""A client organisation set up in the app (issue 22): created by an analyst the operator
allowed, its settings pages (norms, privacy, branding, language) with their checks, the
change log, the logo's address and the first steps on a new organisation's overview."""

from __future__ import annotations

import io

import pytest

from klantpeil.accounts.models import Membership
from klantpeil.core.tenancy import tenant
from klantpeil.metrics.colour import contrast_ratio
from klantpeil.organisations.models import Organisation, OrganisationLogo, Sector
from klantpeil.privacy.models import ChangeRecord, RetentionPolicy

NEW = "/app/organisations/new/"


@pytest.fixture
def analyst(make_org, make_member, client):
    org = make_org("alpha")
    user = make_member("an@alpha.example", org, "analyst")
    user.can_create_organisations = True
    user.save()
    Sector.objects.get_or_create(key="housing", defaults={"name_nl": "Wonen", "name_en": "Housing"})
    client.force_login(user)
    return user


def _new(client, **data):
    form = {
        "name": "Woonstede",
        "slug": "woonstede",
        "sector": "housing",
        "languages": ["nl", "en"],
        "default_language": "nl",
        **data,
    }
    return client.post(NEW, form, HTTP_ACCEPT_LANGUAGE="en")


def test_an_analyst_creates_a_client_and_becomes_its_analyst(analyst, client):
    response = _new(client)
    assert response.status_code == 302 and response["Location"] == "/app/woonstede/"
    org = Organisation.objects.get(slug="woonstede")
    assert (org.name, org.sector.key, org.languages, org.default_language) == (
        "Woonstede",
        "housing",
        ["nl", "en"],
        "nl",
    )
    assert Membership.objects.get(organisation=org).role == "analyst"
    assert Membership.objects.get(organisation=org).user == analyst
    entry = ChangeRecord.unscoped_all_tenants.get(organisation=org)
    assert (entry.action, entry.actor, entry.before) == ("organisation.create", analyst, None)
    assert entry.after["slug"] == "woonstede" and entry.after["sector"] == "housing"
    # Its overview: the next steps, not empty charts.
    landing = client.get("/app/woonstede/", HTTP_ACCEPT_LANGUAGE="en")
    page = landing.content.decode()
    assert 'id="first-steps"' in page and "<canvas" not in page
    for step, url in [
        ("team", "/app/woonstede/team/"),
        ("collect", "/app/woonstede/tokens/"),
        ("history", "/app/woonstede/import/"),
    ]:
        assert f'id="step-{step}"' in page and f'href="{url}"' in page


def test_without_the_operators_permission_nobody_creates_organisations(
    make_org, make_member, client
):
    user = make_member("an@alpha.example", make_org("alpha"), "analyst")
    client.force_login(user)
    assert client.get(NEW).status_code == 403
    assert _new(client).status_code == 403
    assert not Organisation.objects.filter(slug="woonstede").exists()
    client.logout()
    assert client.get(NEW)["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slug": "alpha"}, "slug", "The slug “alpha” is already taken."),
        ({"slug": "Not A Slug"}, "slug", None),
        ({"slug": "organisations"}, "slug", "“organisations” is reserved; choose another."),
        ({"sector": "nope"}, "sector", None),
        (
            {"languages": ["en"], "default_language": "nl"},
            "default_language",
            "The default language must be one of its languages.",
        ),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(analyst, client, data, field, message):
    before = (Organisation.objects.count(), Membership.objects.count())
    response = _new(client, **data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert (Organisation.objects.count(), Membership.objects.count()) == before
    assert ChangeRecord.unscoped_all_tenants.count() == 0


@pytest.fixture
def manager(make_org, make_member, client):
    org = make_org("alpha")
    user = make_member("boss@alpha.example", org, "manager")
    client.force_login(user)
    return org


def test_norms_are_a_form_with_named_fields(manager, client):
    url = "/app/alpha/settings/norms/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial == {
        "answer_seconds": 15,
        "callback_hours": 24,
        "email_working_days": 2,
        "answered_within_norm": 85.0,
        "technically_reachable": 99.0,
        "helped": 90.0,
    }
    data = {
        "answer_seconds": "25",
        "answered_within_norm": "80",
        "technically_reachable": "99",
        "helped": "90",
        "callback_hours": "24",
        "email_working_days": "3",
    }
    bad = client.post(url, {**data, "answer_seconds": "0", "helped": "120"})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"answer_seconds", "helped"}
    manager.refresh_from_db()
    assert manager.norms == {}
    assert client.post(url, data).status_code == 302
    manager.refresh_from_db()
    assert manager.norms == {
        "answer_seconds": 25,
        "answered_within_norm": 0.8,
        "technically_reachable": 0.99,
        "helped": 0.9,
        "callback_hours": 24,
        "email_working_days": 3,
    }
    with tenant(manager):
        from klantpeil.fieldwork.reachability_selectors import (
            email_norm_hours,
            organisation_norms,
        )

        assert organisation_norms().answer_seconds == 25.0
        assert organisation_norms().answered_within_norm == 0.8
        assert email_norm_hours() == 24.0
    entry = ChangeRecord.unscoped_all_tenants.get()
    assert entry.action == "settings.norms"
    assert entry.before == {"norms": {}}
    assert entry.after == {"norms": manager.norms}


def test_the_anonymity_minimum_may_be_raised_never_lowered(manager, client, settings):
    url = "/app/alpha/settings/privacy/"
    low = client.post(url, {"contact_days": "90", "anonymity_minimum": "4"})
    assert low.status_code == 400
    assert list(low.context["form"].errors) == ["anonymity_minimum"]
    assert not RetentionPolicy.objects.exists()
    assert client.post(url, {"contact_days": "120", "anonymity_minimum": "8"}).status_code == 302
    manager.refresh_from_db()
    assert manager.anonymity_minimum == 8
    assert RetentionPolicy.objects.get(organisation=manager).contact_days == 120
    entry = ChangeRecord.unscoped_all_tenants.get()
    assert entry.before == {
        "anonymity_minimum": 5,
        "contact_days": settings.KLANTPEIL_CONTACT_RETENTION_DAYS,
    }
    assert entry.after == {"anonymity_minimum": 8, "contact_days": 120}
    # The service keeps the floor whoever calls it.
    from klantpeil.organisations.setup_services import SetupError, update_settings

    with pytest.raises(SetupError) as raised:
        update_settings(
            organisation=manager, actor=None, section="privacy", changes={"anonymity_minimum": 3}
        )
    assert list(raised.value.errors) == ["anonymity_minimum"]


def _image(kind: str, size=(40, 20)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (31, 95, 168)).save(buffer, format=kind)
    return buffer.getvalue()


def _upload(client, content: bytes, name: str, colour: str = ""):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/app/alpha/settings/branding/",
        {"accent_colour": colour, "logo": SimpleUploadedFile(name, content)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_logo_and_accent_colour_are_checked_and_shown(manager, client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for content, name, message in [
        (b"not an image at all", "logo.png", "The logo must be a PNG or JPEG image."),
        (svg, "logo.svg", "The logo must be a PNG or JPEG image."),
        (_image("GIF"), "logo.gif", "The logo must be a PNG or JPEG image."),
        (_image("PNG")[:60], "cut.png", "The logo must be a PNG or JPEG image."),
        (b"\x89PNG" + b"0" * 600_000, "big.png", "The logo is 586 KB; at most 512 KB."),
    ]:
        response = _upload(client, content, name)
        assert response.status_code == 400, name
        assert response.context["form"].errors == {"logo": [message]}, name
    light = _upload(client, _image("PNG"), "logo.png", colour="#ffcc00")
    assert light.context["form"].errors == {
        "accent_colour": [
            "White text on #ffcc00 has a contrast of 1.51:1; WCAG asks for at least 4.5:1. "
            "Choose a darker colour."
        ]
    }
    assert not OrganisationLogo.objects.exists()
    png = _image("PNG")
    assert _upload(client, png, "logo.png", colour="#1F5FA8").status_code == 302
    manager.refresh_from_db()
    assert manager.accent_colour == "#1f5fa8"
    logo = OrganisationLogo.objects.get(organisation=manager)
    assert (logo.content_type, logo.width, logo.height) == ("image/png", 40, 20)
    served = client.get(f"/brand/{manager.logo_digest}")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served.content == png
    assert client.get("/brand/" + "0" * 64).status_code == 404
    jpeg = _image("JPEG")
    assert _upload(client, jpeg, "logo.jpg", colour="#1f5fa8").status_code == 302
    assert OrganisationLogo.objects.get(organisation=manager).content_type == "image/jpeg"
    # The respondent form wears the colour and the logo.
    from datetime import UTC, datetime

    from klantpeil.collection.ingest import create_invitations

    manager.refresh_from_db()
    with tenant(manager):
        [(_, token)] = create_invitations(
            events=[{"channel": "email", "occurred_at": datetime(2026, 9, 1, 9, tzinfo=UTC)}]
        )
    form = client.get(f"/s/{token}").content.decode()
    assert 'style="--brand: #1f5fa8"' in form
    assert f'src="/brand/{manager.logo_digest}"' in form
    actions = list(ChangeRecord.unscoped_all_tenants.values_list("action", flat=True))
    assert actions == ["settings.branding", "settings.branding"]


def test_contrast_ratios_follow_wcag():
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert round(contrast_ratio("#767676", "#ffffff"), 2) == 4.54
    # #ffcc00 by hand: L = 0.2126 + 0.7152 × ((0.8 + 0.055) / 1.055)^2.4 = 0.6444
    assert round(contrast_ratio("#ffcc00", "#ffffff"), 2) == 1.51


def test_language_settings(manager, client):
    url = "/app/alpha/settings/language/"
    bad = client.post(url, {"languages": ["en"], "default_language": "nl"})
    assert bad.status_code == 400
    assert list(bad.context["form"].errors) == ["default_language"]
    assert client.post(url, {"languages": ["en"], "default_language": "en"}).status_code == 302
    manager.refresh_from_db()
    assert (manager.languages, manager.default_language) == (["en"], "en")


def test_the_change_log_is_for_the_organisations_managers(manager, make_member, client):
    client.post("/app/alpha/settings/language/", {"languages": ["nl"], "default_language": "nl"})
    page = client.get("/app/alpha/settings/changes/").content.decode()
    assert "settings.language" in page and "boss@alpha.example" in page
    assert "{&quot;languages&quot;: [&quot;nl&quot;, &quot;en&quot;]}" in page
    viewer = make_member("vi@alpha.example", manager, "viewer")
    client.force_login(viewer)
    assert client.get("/app/alpha/settings/changes/").status_code == 403
    # Nothing of another organisation.
    beta = Organisation.objects.create(slug="beta", name="Beta", sector=manager.sector)
    from klantpeil.privacy import audit

    audit.record(organisation=beta, actor=None, action="settings.secret", obj=beta)
    client.force_login(Membership.objects.get(role="manager").user)
    assert "settings.secret" not in client.get("/app/alpha/settings/changes/").content.decode()


def test_the_settings_page_links_the_volumes_page(manager, client):
    page = client.get("/app/alpha/settings/").content.decode()
    assert 'href="/app/alpha/volumes/"' in page


def test_the_operator_allows_creating_organisations_from_the_command_line(make_org, monkeypatch):
    import contextlib

    from klantpeil.accounts.models import User
    from klantpeil.cli import main

    make_org("alpha")
    monkeypatch.setenv("KLANTPEIL_PASSWORD", "a-long-password-for-tests-2026")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["createuser", "c@bureau.example", "--org", "alpha", "--role", "analyst",
             "--can-create-organisations"]
        )  # fmt: skip
    assert code == 0
    assert out.getvalue() == (
        "c@bureau.example is analyst in Alpha. They may create organisations.\n"
    )
    assert User.objects.get(email="c@bureau.example").can_create_organisations
    with contextlib.redirect_stdout(io.StringIO()):
        main(["createuser", "c@bureau.example", "--org", "alpha", "--role", "analyst",
              "--no-can-create-organisations"])  # fmt: skip
    assert not User.objects.get(email="c@bureau.example").can_create_organisations
