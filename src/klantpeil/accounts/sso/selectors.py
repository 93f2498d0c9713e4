"""Reads for single sign-on. Sign-in happens before any organisation is known, so
finding a provider by e-mail domain or by allauth id reads across organisations."""

from __future__ import annotations

from klantpeil.accounts.sso.models import IdentityProviderDomain, OrganisationIdentityProvider

ALLAUTH_PREFIX = "kp-org-"


def domain_of(email: str) -> str:
    """The domain of an e-mail address, lower-cased ('' when there is none)."""
    _, at, domain = (email or "").strip().rpartition("@")
    return domain.strip().lower().rstrip(".") if at else ""


def provider_for_email(email: str) -> OrganisationIdentityProvider | None:
    """The enabled provider whose organisation claimed the address's domain, if any."""
    domain = domain_of(email)
    if not domain:
        return None
    row = (
        IdentityProviderDomain.unscoped_all_tenants.select_related(
            "provider", "provider__organisation"
        )
        .filter(domain=domain, provider__enabled=True)
        .first()
    )
    return row.provider if row else None


def provider_by_allauth_id(allauth_id: str) -> OrganisationIdentityProvider | None:
    """The provider behind allauth's id ``kp-org-<organisation id>``, enabled or not."""
    if not allauth_id.startswith(ALLAUTH_PREFIX):
        return None
    org_id = allauth_id.removeprefix(ALLAUTH_PREFIX)
    if not org_id.isdigit():
        return None
    return (
        OrganisationIdentityProvider.unscoped_all_tenants.select_related("organisation")
        .filter(organisation_id=int(org_id))
        .first()
    )


def enabled_providers(protocol: str | None = None) -> list[OrganisationIdentityProvider]:
    """Every organisation's enabled provider (allauth lists its apps from these)."""
    rows = OrganisationIdentityProvider.unscoped_all_tenants.filter(enabled=True)
    if protocol:
        rows = rows.filter(protocol=protocol)
    return list(rows.select_related("organisation"))


def claimed_domains(provider: OrganisationIdentityProvider) -> list[str]:
    return list(
        IdentityProviderDomain.unscoped_all_tenants.filter(provider=provider).values_list(
            "domain", flat=True
        )
    )


def domains_claimed_elsewhere(domains: list[str], organisation_id: int) -> list[str]:
    """Which of ``domains`` another organisation already claimed (without naming it)."""
    return sorted(
        IdentityProviderDomain.unscoped_all_tenants.filter(domain__in=domains)
        .exclude(organisation_id=organisation_id)
        .values_list("domain", flat=True)
    )
