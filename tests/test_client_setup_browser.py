"""Issue 22 in a real Chromium: an analyst sets up a new client organisation, invites its
manager (the e-mail arrives at a real SMTP server started by the test), and the manager
follows the link, chooses a password, sets up TOTP two-factor authentication (the code
computed here from the secret the page shows) and lands on the guided first step."""

from __future__ import annotations

import time

import pytest

from klantpeil.accounts.models import Membership, User
from klantpeil.accounts.tests.conftest import smtp_inbox, totp_now  # noqa: F401 (fixture)
from klantpeil.organisations.models import Organisation, Sector

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "analyst-password-for-tests-2026"
NEW_PASSWORD = "manager-chooses-this-password-2026"


# A form with errors answers 400 and a used link 410, on purpose; Chromium logs both.
EXPECTED = ("status of 400 (Bad Request)", "status of 410 (Gone)")


def _watch(page, errors: list[str]) -> None:
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and not m.text.endswith(EXPECTED) else None
        ),
    )
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
    )


def test_a_new_client_from_nothing_to_its_managers_first_step(
    live_server,
    browser,
    axe_scan,
    smtp_inbox,  # noqa: F811 (the fixture imported above)
    screenshot_dir,
):
    from klantpeil.accounts.services import add_member

    Sector.objects.create(key="housing", name_nl="Woningcorporaties", name_en="Housing")
    analyst, _ = add_member(
        email="consultant@bureau.example",
        organisation=None,
        role="operator",
        password=PASSWORD,
        check_password=False,
    )
    # Not an operator after all: an analyst the operator allowed to create organisations.
    User.objects.filter(pk=analyst.pk).update(
        is_staff=False, is_superuser=False, can_create_organisations=True
    )
    errors: list[str] = []
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _watch(page, errors)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_login", "consultant@bureau.example")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    page.click("#new-organisation")
    page.wait_for_url("**/app/organisations/new/")
    # A slug that is not a slug first: the error names the field, nothing is saved.
    page.fill("#id_name", "Woonstede Oost")
    page.fill("#id_slug", "Woonstede Oost")
    page.select_option("#id_sector", "housing")
    page.click("#organisation-form button[type=submit]")
    page.wait_for_selector("#form-problems")
    assert "Short name in addresses (slug)" in page.locator("#form-problems").inner_text()
    assert not Organisation.objects.exists()
    page.fill("#id_slug", "woonstede-oost")
    page.click("#organisation-form button[type=submit]")
    page.wait_for_url("**/app/woonstede-oost/")
    assert page.locator("#first-steps").is_visible()
    assert Membership.objects.get(organisation__slug="woonstede-oost").role == "analyst"

    page.click("#step-team a")
    page.wait_for_url("**/app/woonstede-oost/team/")
    page.fill("#id_email", "director@woonstede.example")
    page.select_option("#id_role", "manager")
    page.select_option("#id_language", "en")
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector("#invitations td:has-text('director@woonstede.example')")
    page.screenshot(path=str(screenshot_dir / "issue22-team.png"), full_page=True)
    assert axe_scan(page) == []
    deadline = time.monotonic() + 10
    while not smtp_inbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    [(recipients, message)] = smtp_inbox.messages
    assert recipients == ["director@woonstede.example"]
    assert message["Subject"] == "You are invited to Woonstede Oost in Klantpeil"
    link = smtp_inbox.link()
    context.close()

    # The manager, in a browser of their own.
    manager = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = manager.new_page()
    _watch(page, errors)
    page.goto(live_server.url + link)
    assert page.locator("h1").inner_text() == "Join Woonstede Oost in Klantpeil"
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#accept-form button[type=submit]")
    page.wait_for_url("**/accounts/welcome/two-factor/")
    assert axe_scan(page) == []
    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) >= 16
    page.fill("#id_code", totp_now(secret))
    page.click("#totp-form button[type=submit]")
    page.wait_for_url("**/app/woonstede-oost/")
    page.wait_for_selector("#first-steps")
    assert page.locator("#step-units h2").inner_text().startswith("Add your units and channels")
    assert page.locator("#step-team").get_attribute("class") == "done"
    page.screenshot(path=str(screenshot_dir / "issue22-first-step.png"), full_page=True)
    user = User.objects.get(email="director@woonstede.example")
    assert Membership.objects.get(user=user).role == "manager"
    assert not user.two_factor_required
    from allauth.mfa.models import Authenticator

    assert Authenticator.objects.filter(user=user, type="totp").count() == 1
    # The link was single use.
    page.goto(live_server.url + link)
    assert "already been used" in page.locator("#invitation-problem").inner_text()
    manager.close()
    assert errors == []
