"""The sign-in settings page: who may open it, what it refuses, what it shows back."""

from __future__ import annotations

import pytest

from klantpeil.accounts.sso.models import IdentityProviderDomain, OrganisationIdentityProvider
from tests.sso.conftest import CLIENT_SECRET

URL = "/app/alpha/settings/sign-in/"


@pytest.fixture
def alpha(make_org):
    return make_org("alpha")


def _post(client, **overrides):
    data = {
        "protocol": "oidc",
        "display_name": "Alpha Entra ID",
        "enabled": "on",
        "default_role": "viewer",
        "domains": "alpha.nl\nAlpha-Zorg.nl",
        "oidc_issuer": "https://login.microsoftonline.com/tenant-id/v2.0",
        "oidc_client_id": "client-1",
        "client_secret": CLIENT_SECRET,
        "action": "save",
    } | overrides
    return client.post(
        URL, {k: v for k, v in data.items() if v is not None}, HTTP_ACCEPT_LANGUAGE="en"
    )


def _errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


@pytest.mark.django_db
def test_a_manager_configures_sign_in_and_the_secret_is_never_shown_back(
    alpha, make_member, client
):
    client.force_login(make_member("m@alpha.nl", alpha, "manager"))
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert f"http://testserver/accounts/oidc/kp-org-{alpha.pk}/login/callback/" in page.text

    response = _post(client)
    assert response.status_code == 302
    provider = OrganisationIdentityProvider.unscoped_all_tenants.get()
    assert (provider.organisation, provider.enabled, provider.default_role) == (
        alpha,
        True,
        "viewer",
    )
    assert provider.oidc_issuer == "https://login.microsoftonline.com/tenant-id/v2.0"
    assert provider.oidc_client_secret == CLIENT_SECRET
    assert sorted(IdentityProviderDomain.unscoped_all_tenants.values_list("domain", flat=True)) == [
        "alpha-zorg.nl",
        "alpha.nl",
    ]
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert CLIENT_SECRET not in page.text
    assert "••••" + CLIENT_SECRET[-4:] in page.text

    # Saving again without a secret keeps the stored one; dropping a domain drops it.
    assert _post(client, client_secret="", domains="alpha.nl").status_code == 302
    provider.refresh_from_db()
    assert provider.oidc_client_secret == CLIENT_SECRET
    assert list(IdentityProviderDomain.unscoped_all_tenants.values_list("domain", flat=True)) == [
        "alpha.nl"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"oidc_issuer": "http://login.example.com/realm"},
            {"oidc_issuer": ["The URL must start with https://."]},
        ),
        ({"domains": "alpha.nl\nnot a domain!"}, {"domains": ["not is not an e-mail domain."]}),
        ({"domains": "localhost"}, {"domains": ["localhost is not an e-mail domain."]}),
        (
            {"domains": "gmail.com"},
            {"domains": ["gmail.com is a public mail service, not your organisation's domain."]},
        ),
        ({"domains": ""}, {"domains": ["Name at least one e-mail domain."]}),
        (
            {"oidc_issuer": "", "client_secret": ""},
            {
                "oidc_issuer": ["This field is required."],
                "client_secret": ["This field is required."],
            },
        ),
        (
            {"default_role": "analyst"},
            {
                "default_role": [
                    "Select a valid choice. analyst is not one of the available choices."
                ]
            },
        ),
        (
            {
                "protocol": "saml",
                "saml_entity_id": "https://idp.example/x",
                "saml_x509_cert": "nope",
            },
            {
                "saml_x509_cert": ["This is not an X.509 certificate."],
                "saml_sso_url": ["This field is required."],
            },
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    alpha, make_member, client, overrides, errors
):
    client.force_login(make_member("m@alpha.nl", alpha, "manager"))
    response = _post(client, **overrides)
    assert response.status_code == 400
    assert _errors(response) == errors
    assert not OrganisationIdentityProvider.unscoped_all_tenants.exists()
    assert not IdentityProviderDomain.unscoped_all_tenants.exists()


@pytest.mark.django_db
def test_a_domain_of_another_organisation_is_refused_without_naming_it(
    alpha, make_org, make_member, client
):
    beta = make_org("beta")
    client.force_login(make_member("m@beta.nl", beta, "manager"))
    assert (
        client.post(
            "/app/beta/settings/sign-in/",
            {
                "protocol": "oidc",
                "display_name": "Beta",
                "enabled": "on",
                "default_role": "viewer",
                "domains": "alpha.nl",
                "oidc_issuer": "https://idp.beta.nl",
                "oidc_client_id": "b",
                "client_secret": "x",
                "action": "save",
            },
        ).status_code
        == 302
    )
    client.force_login(make_member("m@alpha.nl", alpha, "manager"))
    response = _post(client, domains="alpha.nl\nalpha-zorg.nl")
    assert response.status_code == 400
    assert _errors(response) == {
        "domains": ["Already used for sign-in by another organisation: alpha.nl"]
    }
    assert "Beta" not in response.text
    assert OrganisationIdentityProvider.unscoped_all_tenants.get().organisation == beta


@pytest.mark.django_db
def test_an_analyst_may_give_the_analyst_role(alpha, make_member, client):
    client.force_login(make_member("a@alpha.nl", alpha, "analyst"))
    assert _post(client, default_role="analyst").status_code == 302
    assert OrganisationIdentityProvider.unscoped_all_tenants.get().default_role == "analyst"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("shopper", 403)])
def test_others_may_not_open_it(alpha, make_member, client, role, status):
    client.force_login(make_member("x@alpha.nl", alpha, role))
    assert client.get(URL).status_code == status
    assert _post(client).status_code == status
    assert not OrganisationIdentityProvider.unscoped_all_tenants.exists()


@pytest.mark.django_db(transaction=True)
def test_test_connection_reads_the_real_discovery_document(
    alpha, make_member, client, oidc_provider
):
    provider = oidc_provider(redirect_uris=["http://testserver/cb"], users=[])
    client.force_login(make_member("m@alpha.nl", alpha, "manager"))
    response = _post(client, action="test", oidc_issuer=provider.issuer)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.ok, report.problems) == (True, [])
    assert report.url == f"{provider.issuer}/.well-known/openid-configuration"
    assert report.found["issuer"] == provider.issuer
    assert report.found["signing keys"] == "1"
    assert "The provider answers as expected" in response.text
    assert not OrganisationIdentityProvider.unscoped_all_tenants.exists()  # tested, not saved

    # A wrong issuer: the document names another one, and the page says so.
    response = _post(client, action="test", oidc_issuer=provider.issuer.removesuffix("/o") + "/o/")
    assert response.context["report"].ok is True  # a trailing slash is the same issuer
    wrong = provider.issuer.replace("/o", "/other")
    response = _post(client, action="test", oidc_issuer=wrong)
    assert response.context["report"].problems == [
        f"The provider answered HTTP 404 at {wrong}/.well-known/openid-configuration."
    ]


@pytest.mark.django_db
def test_test_connection_says_when_nothing_answers(alpha, make_member, client):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client.force_login(make_member("m@alpha.nl", alpha, "manager"))
    response = _post(client, action="test", oidc_issuer=f"http://127.0.0.1:{port}/realm")
    report = response.context["report"]
    assert report.ok is False
    assert report.problems == [
        f"Could not reach http://127.0.0.1:{port}/realm/.well-known/openid-configuration: "
        "ConnectionError"
    ]
    assert "The provider is not ready for sign-in" in response.text
