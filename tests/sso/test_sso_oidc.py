"""Single sign-on against a real OpenID provider (django-oauth-toolkit) on loopback.

Klantpeil runs as a live server; the provider runs in its own process with its own
database and a fresh RS256 key; every request goes over real HTTP through both."""

from __future__ import annotations

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from klantpeil.accounts.models import Membership, User
from klantpeil.accounts.sso.services import configure_identity_provider
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, sign_in_through_provider

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    {
        "username": "anna",
        "email": "anna@gemeente-a.nl",
        "first_name": "Anna",
        "last_name": "de Vries",
    },
    {"username": "bob", "email": "bob@insurer-b.nl", "first_name": "Bob", "last_name": "Jansen"},
]


def _configure(org, manager, issuer, domains, *, role="viewer", enabled=True):
    return configure_identity_provider(
        organisation=org,
        by=manager,
        by_role="manager",
        values={
            "protocol": "oidc",
            "display_name": f"{org.name} Keycloak",
            "enabled": enabled,
            "default_role": role,
            "oidc_issuer": issuer,
            "oidc_client_id": CLIENT_ID,
            "saml_entity_id": "",
            "saml_sso_url": "",
            "saml_x509_cert": "",
            "saml_metadata_url": "",
        },
        domains=domains,
        client_secret=CLIENT_SECRET,
    )


def _callback(live_server, org) -> str:
    return f"{live_server.url}/accounts/oidc/kp-org-{org.pk}/login/callback/"


@pytest.fixture
def world(live_server, make_org, make_member, oidc_provider):
    alpha, beta = make_org("gemeente-a"), make_org("insurer-b")
    manager = make_member("manager@gemeente-a.nl", alpha, "manager")
    beta_manager = make_member("manager@insurer-b.nl", beta, "manager")
    provider = oidc_provider(
        redirect_uris=[_callback(live_server, alpha), _callback(live_server, beta)], users=PEOPLE
    )
    _configure(alpha, manager, provider.issuer, ["gemeente-a.nl"], role="viewer")
    return {
        "base": live_server.url,
        "alpha": alpha,
        "beta": beta,
        "beta_manager": beta_manager,
        "provider": provider,
    }


def _signed_in_as(session, base) -> str | None:
    """The app's home page if the session is signed in (else it ends elsewhere:
    the login page, or the two-factor step of a login under way)."""
    page = session.get(f"{base}/app/", timeout=10)
    if page.status_code != 200 or not page.url.startswith(f"{base}/app/"):
        return None
    return page.text


def test_first_sign_in_makes_the_member_and_the_second_reuses_it(world):
    base = world["base"]
    session, response = sign_in_through_provider(base, "anna@gemeente-a.nl", "anna")
    assert response.status_code == 200, response.text[:500]
    assert response.url.startswith(base), response.url
    assert _signed_in_as(session, base) is not None

    user = User.objects.get(email="anna@gemeente-a.nl")
    assert (user.first_name, user.last_name) == ("Anna", "de Vries")
    assert not user.has_usable_password()
    memberships = list(
        Membership.objects.filter(user=user).values_list("organisation__slug", "role")
    )
    assert memberships == [("gemeente-a", "viewer")]
    assert list(SocialAccount.objects.filter(user=user).values_list("provider", flat=True)) == [
        f"kp-org-{world['alpha'].pk}"
    ]
    # The member reads their organisation's pages.
    assert session.get(f"{base}/app/gemeente-a/", timeout=10).status_code == 200

    session2, response2 = sign_in_through_provider(base, "anna@gemeente-a.nl", "anna")
    assert response2.url.startswith(base)
    assert _signed_in_as(session2, base) is not None
    assert User.objects.filter(email="anna@gemeente-a.nl").count() == 1
    assert Membership.objects.filter(user=user).count() == 1
    assert SocialAccount.objects.filter(user=user).count() == 1


def test_an_unclaimed_domain_gets_the_password_form(world):
    base = world["base"]
    session, response = sign_in_through_provider(base, "someone@elsewhere.nl", "anna")
    assert response.status_code == 200
    assert response.url == f"{base}/accounts/sso/"
    assert 'id="sso-not-found"' in response.text
    assert 'name="password"' in response.text
    assert 'value="someone@elsewhere.nl"' in response.text
    assert _signed_in_as(session, base) is None
    # Passwords still work for everyone else.
    csrf = session.cookies.get("csrftoken")
    done = session.post(
        f"{base}/accounts/login/",
        data={
            "login": "manager@insurer-b.nl",
            "password": "pw-for-tests-only",
            "csrfmiddlewaretoken": csrf,
        },
        timeout=10,
    )
    assert done.url == f"{base}/app/insurer-b/" or done.url.startswith(f"{base}/app/")
    assert _signed_in_as(session, base) is not None


def test_a_person_of_another_domain_cannot_join_through_this_provider(world):
    """Alpha's provider vouches for bob@insurer-b.nl: a domain alpha never claimed."""
    base = world["base"]
    # Bob's own organisation has not set up sign-in; he tries alpha's (whose domain
    # list lacks his). The e-mail step finds no provider for him ...
    session, response = sign_in_through_provider(base, "bob@insurer-b.nl", "bob")
    assert 'id="sso-not-found"' in response.text
    # ... so he types alpha's domain at Klantpeil and signs in at the provider as bob.
    session, response = sign_in_through_provider(base, "x@gemeente-a.nl", "bob")
    assert response.status_code == 403
    assert "bob@insurer-b.nl does not belong to a domain of this organisation" in response.text
    assert not User.objects.filter(email="bob@insurer-b.nl").exists()
    assert not Membership.objects.filter(
        organisation=world["alpha"], user__email__startswith="bob"
    ).exists()
    assert _signed_in_as(session, base) is None


def test_a_domain_claimed_by_another_organisation_cannot_be_claimed_again(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        _configure(
            world["beta"], world["beta_manager"], world["provider"].issuer, ["gemeente-a.nl"]
        )
    assert caught.value.message_dict == {
        "domains": ["Already used for sign-in by another organisation: gemeente-a.nl"]
    }


@pytest.mark.parametrize("mode", ["audience", "issuer", "signature", "unverified"])
def test_a_bad_id_token_signs_nobody_in(world, mode):
    world["provider"].misbehave(mode)
    base = world["base"]
    session, response = sign_in_through_provider(base, "anna@gemeente-a.nl", "anna")
    assert response.url.startswith(f"{base}/accounts/oidc/kp-org-{world['alpha'].pk}/")
    # allauth's "login failed" page for a bad token; the adapter's refusal for an
    # address the provider did not verify.
    assert response.status_code == (403 if mode == "unverified" else 401)
    assert _signed_in_as(session, base) is None
    assert not User.objects.filter(email="anna@gemeente-a.nl").exists()
    assert not SocialAccount.objects.exists()


def test_two_factor_is_left_to_the_provider_but_kept_for_passwords(world, make_member):
    """An existing member of alpha with an authenticator app: the SSO sign-in links
    their account and asks no code; their password sign-in still asks for it."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    base = world["base"]
    anna = make_member("anna@gemeente-a.nl", world["alpha"], "analyst")
    TOTP.activate(anna, generate_totp_secret())

    session, response = sign_in_through_provider(base, "anna@gemeente-a.nl", "anna")
    assert "/2fa/" not in response.url
    assert _signed_in_as(session, base) is not None
    assert SocialAccount.objects.get().user == anna
    # Linked, not duplicated, and the role she had is kept.
    assert list(Membership.objects.filter(user=anna).values_list("role", flat=True)) == ["analyst"]

    password = requests.Session()
    password.headers["Accept-Language"] = "en"
    password.get(f"{base}/accounts/login/", timeout=10)
    response = password.post(
        f"{base}/accounts/login/",
        data={
            "login": "anna@gemeente-a.nl",
            "password": "pw-for-tests-only",
            "csrfmiddlewaretoken": password.cookies.get("csrftoken"),
        },
        timeout=10,
    )
    assert response.url == f"{base}/accounts/2fa/authenticate/"
    assert _signed_in_as(password, base) is None


def test_an_account_that_reaches_another_organisation_is_not_taken_over(world, make_member):
    """anna@gemeente-a.nl already exists as a member of beta: alpha's provider (whose
    manager claimed the domain) must not sign into that account."""
    base = world["base"]
    anna = make_member("anna@gemeente-a.nl", world["beta"], "manager")
    session, response = sign_in_through_provider(base, "anna@gemeente-a.nl", "anna")
    assert response.status_code == 403
    assert "already exists outside this organisation" in response.text
    assert _signed_in_as(session, base) is None
    assert not SocialAccount.objects.exists()
    assert list(
        Membership.objects.filter(user=anna).values_list("organisation__slug", flat=True)
    ) == ["insurer-b"]


def test_a_disabled_provider_sends_people_to_the_password_form(world):
    from klantpeil.accounts.sso.models import OrganisationIdentityProvider

    OrganisationIdentityProvider.unscoped_all_tenants.update(enabled=False)
    _, response = sign_in_through_provider(world["base"], "anna@gemeente-a.nl", "anna")
    assert 'id="sso-not-found"' in response.text
    assert not User.objects.filter(email="anna@gemeente-a.nl").exists()


def test_a_signed_in_user_cannot_attach_the_provider_to_their_account(world):
    """Accounts are linked only at a first sign-in, by the verified address: bob (a
    password user of beta) cannot attach anna's identity at alpha's provider to his."""
    from tests.sso.conftest import PASSWORD, form_fields

    base = world["base"]
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    session.get(f"{base}/accounts/login/", timeout=10)
    session.post(
        f"{base}/accounts/login/",
        data={
            "login": "manager@insurer-b.nl",
            "password": "pw-for-tests-only",
            "csrfmiddlewaretoken": session.cookies.get("csrftoken"),
        },
        timeout=10,
    )
    assert _signed_in_as(session, base) is not None
    # allauth's own start of a "connect" (a form on its page; requests ignores CSP).
    response = session.post(
        f"{base}/accounts/oidc/kp-org-{world['alpha'].pk}/login/",
        data={"process": "connect", "csrfmiddlewaretoken": session.cookies.get("csrftoken")},
        timeout=20,
    )
    assert response.url.startswith("http://127.0.0.1"), response.url
    response = session.post(
        response.url,
        data={
            "csrfmiddlewaretoken": session.cookies.get("op_csrftoken"),
            "next": form_fields(response.text)["next"],
            "username": "anna",
            "password": PASSWORD,
        },
        timeout=30,
    )
    assert response.status_code == 403
    assert "cannot be attached to an account by hand" in response.text
    assert not SocialAccount.objects.exists()
