"""Writes for single sign-on: an organisation's provider and its e-mail domains."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klantpeil.accounts.models import User
from klantpeil.accounts.sso import selectors
from klantpeil.accounts.sso.models import IdentityProviderDomain, OrganisationIdentityProvider
from klantpeil.accounts.team import grantable_roles
from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Organisation

FIELDS = (
    "protocol",
    "display_name",
    "enabled",
    "default_role",
    "oidc_issuer",
    "oidc_client_id",
    "saml_entity_id",
    "saml_sso_url",
    "saml_x509_cert",
    "saml_metadata_url",
)


def domains_error(taken: Iterable[str]) -> ValidationError:
    return ValidationError(
        {
            "domains": _("Already used for sign-in by another organisation: %(domains)s")
            % {"domains": ", ".join(taken)}
        }
    )


def configure_identity_provider(
    *,
    organisation: Organisation,
    by: User,
    by_role: str,
    values: dict[str, Any],
    domains: list[str],
    client_secret: str | None,
) -> OrganisationIdentityProvider:
    """Create or update the organisation's provider and replace its domains, all or
    nothing. ``client_secret`` None keeps the stored one. A domain another
    organisation claimed, or a default role above ``by_role``, is refused naming
    the field."""
    # The roles an invitation could carry: never above the member's own, never operator.
    if values["default_role"] not in grantable_roles(by_role):
        raise ValidationError(
            {"default_role": _("You cannot give new members a role above your own.")}
        )
    taken = selectors.domains_claimed_elsewhere(domains, organisation.pk)
    if taken:
        raise domains_error(taken)
    try:
        with transaction.atomic(), tenant(organisation):
            provider = OrganisationIdentityProvider.objects.filter(
                organisation=organisation
            ).first() or OrganisationIdentityProvider(organisation=organisation)
            for field in FIELDS:
                setattr(provider, field, values[field])
            if client_secret is not None:
                provider.oidc_client_secret = client_secret
            provider.updated_by = by
            provider.save()
            IdentityProviderDomain.objects.filter(provider=provider).exclude(
                domain__in=domains
            ).delete()
            existing = set(
                IdentityProviderDomain.objects.filter(provider=provider).values_list(
                    "domain", flat=True
                )
            )
            IdentityProviderDomain.objects.bulk_create(
                IdentityProviderDomain(organisation=organisation, provider=provider, domain=d)
                for d in domains
                if d not in existing
            )
    except IntegrityError as exc:
        # Another organisation claimed one of the domains between our check and now.
        raise domains_error(
            selectors.domains_claimed_elsewhere(domains, organisation.pk) or domains
        ) from exc
    return provider
