"""An organisation's own identity provider and the e-mail domains it speaks for."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel


class Protocol(models.TextChoices):
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML 2.0")


class OrganisationIdentityProvider(TenantModel):
    """How one organisation's people sign in: its own OpenID Connect or SAML provider.

    At most one per organisation. The client secret is stored (the token exchange
    needs it) and only its last characters are ever shown again.
    """

    # Managed by whole-organisation members only (accounts.permissions.manages_data).
    unit_scope = WHOLE_ORGANISATION

    protocol = models.CharField(
        _("protocol"), max_length=10, choices=Protocol.choices, default=Protocol.OIDC
    )
    display_name = models.CharField(_("display name"), max_length=120)
    enabled = models.BooleanField(_("enabled"), default=False)
    default_role = models.CharField(_("role for new members"), max_length=20, default="viewer")
    # OpenID Connect
    oidc_issuer = models.URLField(_("issuer URL"), max_length=400, blank=True)
    oidc_client_id = models.CharField(_("client id"), max_length=255, blank=True)
    oidc_client_secret = models.CharField(_("client secret"), max_length=500, blank=True)
    # SAML 2.0
    saml_entity_id = models.CharField(_("IdP entity id"), max_length=400, blank=True)
    saml_sso_url = models.URLField(_("IdP sign-on URL"), max_length=400, blank=True)
    saml_x509_cert = models.TextField(_("IdP signing certificate"), blank=True)
    saml_metadata_url = models.URLField(_("IdP metadata URL"), max_length=400, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="one_identity_provider_per_org")
        ]
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_protocol_display()})"

    @property
    def allauth_id(self) -> str:
        """The provider id allauth keys this organisation's app and linked accounts by.

        Built from the organisation's id, not its slug, so renaming the organisation
        keeps its members' links and the callback URL registered at the provider."""
        return f"kp-org-{self.organisation_id}"

    def secret_hint(self) -> str:
        """What may be shown of the client secret: its length hidden, its last 4 kept."""
        return f"••••{self.oidc_client_secret[-4:]}" if self.oidc_client_secret else ""


class IdentityProviderDomain(TenantModel):
    """An e-mail domain whose people sign in through the organisation's provider.

    Unique across organisations: a domain names exactly one provider at login."""

    unit_scope = WHOLE_ORGANISATION

    provider = models.ForeignKey(
        OrganisationIdentityProvider, on_delete=models.CASCADE, related_name="domains"
    )
    domain = models.CharField(_("e-mail domain"), max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")

    def __str__(self) -> str:
        return self.domain
