"""A real sign-in in headless Chromium: Klantpeil's login page, the provider's
(django-oauth-toolkit on loopback), and back into the app."""

from __future__ import annotations

import pytest

from klantpeil.accounts.models import Membership
from klantpeil.accounts.sso.services import configure_identity_provider
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_colleague_signs_in_with_the_organisations_provider(
    live_server, make_org, make_member, oidc_provider, browser, axe_scan
):
    org = make_org("gemeente-a")
    manager = make_member("manager@gemeente-a.nl", org, "manager")
    provider = oidc_provider(
        redirect_uris=[f"{live_server.url}/accounts/oidc/kp-org-{org.pk}/login/callback/"],
        users=[{"username": "anna", "email": "anna@gemeente-a.nl", "first_name": "Anna"}],
    )
    configure_identity_provider(
        organisation=org,
        by=manager,
        by_role="manager",
        values={
            "protocol": "oidc",
            "display_name": "Gemeente A",
            "enabled": True,
            "default_role": "viewer",
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "saml_entity_id": "",
            "saml_sso_url": "",
            "saml_x509_cert": "",
            "saml_metadata_url": "",
        },
        domains=["gemeente-a.nl"],
        client_secret=CLIENT_SECRET,
    )
    page = browser.new_page(locale="en-GB")
    page.goto(f"{live_server.url}/app/gemeente-a/")
    assert "/accounts/login/" in page.url
    assert axe_scan(page) == []
    page.fill("#id_sso_email", "anna@gemeente-a.nl")
    page.click("#sso-form button[type=submit]")
    page.wait_for_url(lambda url: "/login/?next=" in url and url.startswith("http://127.0.0.1"))
    page.fill("#id_username", "anna")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/app/gemeente-a/**")
    assert page.locator("h1").count() >= 1
    membership = Membership.objects.get(user__email="anna@gemeente-a.nl")
    assert (membership.organisation, membership.role) == (org, "viewer")
    page.close()
