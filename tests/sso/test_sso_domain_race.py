"""Two organisations claim the same e-mail domain at the same moment (PostgreSQL,
real concurrent transactions): one wins, the other gets the error naming `domains`
and nothing of its settings is saved."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import translation

from klantpeil.accounts.sso.models import IdentityProviderDomain, OrganisationIdentityProvider
from klantpeil.accounts.sso.services import configure_identity_provider

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a transaction held open beside another needs PostgreSQL (runs in its pass)",
    ),
]


def _claim(org, manager, domain: str) -> None:
    configure_identity_provider(
        organisation=org,
        by=manager,
        by_role="manager",
        values={
            "protocol": "oidc",
            "display_name": org.name,
            "enabled": True,
            "default_role": "viewer",
            "oidc_issuer": f"https://idp.{org.slug}.nl",
            "oidc_client_id": "c",
            "saml_entity_id": "",
            "saml_sso_url": "",
            "saml_x509_cert": "",
            "saml_metadata_url": "",
        },
        domains=[domain],
        client_secret="s",
    )


def test_a_domain_claimed_twice_at_once_goes_to_the_first_to_commit(make_org, make_member):
    alpha, beta = make_org("alpha"), make_org("beta")
    alpha_manager = make_member("m@alpha.nl", alpha, "manager")
    beta_manager = make_member("m@beta.nl", beta, "manager")
    claimed, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def alpha_claims() -> None:
        try:
            with transaction.atomic():
                _claim(alpha, alpha_manager, "shared.nl")
                claimed.set()
                release.wait(10)  # hold the claim uncommitted while beta tries
        finally:
            connections.close_all()

    def beta_claims() -> None:
        try:
            with translation.override("en"):  # a thread starts in the default language
                _claim(beta, beta_manager, "shared.nl")  # blocks on alpha's row, then fails
            outcome["beta"] = "saved"
        except ValidationError as exc:
            outcome["beta"] = exc.message_dict
        finally:
            connections.close_all()

    first = threading.Thread(target=alpha_claims)
    first.start()
    assert claimed.wait(10)
    second = threading.Thread(target=beta_claims)
    second.start()
    second.join(1)
    assert second.is_alive(), "beta's insert should wait for alpha's transaction"
    release.set()
    first.join(10)
    second.join(10)

    assert outcome["beta"] == {
        "domains": ["Already used for sign-in by another organisation: shared.nl"]
    }
    assert list(
        IdentityProviderDomain.unscoped_all_tenants.values_list("organisation__slug", "domain")
    ) == [("alpha", "shared.nl")]
    assert list(
        OrganisationIdentityProvider.unscoped_all_tenants.values_list("organisation__slug")
    ) == [("alpha",)]
