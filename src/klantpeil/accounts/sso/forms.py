"""The sign-in settings form: every field checked, errors named by field."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cryptography import x509
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.accounts.sso.models import OrganisationIdentityProvider, Protocol
from klantpeil.accounts.sso.services import FIELDS, grantable_roles

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Mailbox providers anyone can get an address at: claiming one would let an
# organisation's provider speak for strangers.
PUBLIC_MAIL = {
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "live.nl",
    "hotmail.nl",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "protonmail.com",
    "ziggo.nl",
    "kpnmail.nl",
    "xs4all.nl",
    "planet.nl",
    "home.nl",
    "gmx.com",
    "gmx.net",
}


def parse_domains(text: str) -> list[str]:
    """Domains from a text with one per line (commas and spaces also separate)."""
    seen: list[str] = []
    for raw in re.split(r"[\s,;]+", text or ""):
        domain = raw.strip().lower().removeprefix("@").rstrip(".")
        if domain and domain not in seen:
            seen.append(domain)
    return seen


def check_url(value: str, field: str) -> None:
    """https only; plain http only to this machine while developing or testing."""
    if not value:
        return
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise forms.ValidationError(_("The URL may not have a query or fragment."))
    if parts.scheme == "https":
        return
    if (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK
        and settings.KLANTPEIL_SSO_ALLOW_LOOPBACK_HTTP
    ):
        return
    raise forms.ValidationError(_("The URL must start with https://."))


class IdentityProviderForm(forms.ModelForm):
    domains = forms.CharField(
        label=gettext_lazy("E-mail domains"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("One per line, e.g. gemeente-voorbeeld.nl"),
    )
    client_secret = forms.CharField(
        label=gettext_lazy("Client secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("Leave empty to keep the stored secret."),
    )
    default_role = forms.ChoiceField(label=gettext_lazy("Role for new members"))
    oidc_issuer = forms.URLField(
        label=gettext_lazy("Issuer URL"), max_length=400, required=False, assume_scheme="https"
    )
    saml_sso_url = forms.URLField(
        label=gettext_lazy("IdP sign-on URL"), max_length=400, required=False, assume_scheme="https"
    )
    saml_metadata_url = forms.URLField(
        label=gettext_lazy("IdP metadata URL"),
        max_length=400,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = OrganisationIdentityProvider
        fields = list(FIELDS)
        widgets = {"saml_x509_cert": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: object, by_role: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        from klantpeil.accounts.models import Role

        labels = dict(Role.choices)
        self.fields["default_role"].choices = [(r, labels[r]) for r in grantable_roles(by_role)]
        if self.instance.pk:
            self.fields["domains"].initial = "\n".join(
                d.domain for d in self.instance.domains.all()
            )
            hint = self.instance.secret_hint()
            if hint:
                self.fields["client_secret"].help_text = _(
                    "Stored: %(hint)s. Leave empty to keep it."
                ) % {"hint": hint}

    def clean_domains(self) -> list[str]:
        domains = parse_domains(self.cleaned_data.get("domains", ""))
        for domain in domains:
            labels = domain.split(".")
            if len(labels) < 2 or len(domain) > 253 or not all(LABEL.match(x) for x in labels):
                raise forms.ValidationError(
                    _("%(domain)s is not an e-mail domain.") % {"domain": domain}
                )
            if domain in PUBLIC_MAIL:
                raise forms.ValidationError(
                    _("%(domain)s is a public mail service, not your organisation's domain.")
                    % {"domain": domain}
                )
        return domains

    def clean_oidc_issuer(self) -> str:
        value = self.cleaned_data.get("oidc_issuer", "").strip()
        check_url(value, "oidc_issuer")
        return value.rstrip("/")

    def clean_saml_sso_url(self) -> str:
        value = self.cleaned_data.get("saml_sso_url", "").strip()
        check_url(value, "saml_sso_url")
        return value

    def clean_saml_metadata_url(self) -> str:
        value = self.cleaned_data.get("saml_metadata_url", "").strip()
        check_url(value, "saml_metadata_url")
        return value

    def clean_saml_x509_cert(self) -> str:
        value = self.cleaned_data.get("saml_x509_cert", "").strip()
        if not value:
            return value
        body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----|\s", "", value)
        pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
        try:
            x509.load_pem_x509_certificate(pem.encode())
        except ValueError as exc:
            raise forms.ValidationError(_("This is not an X.509 certificate.")) from exc
        return body

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("enabled"):
            return data
        if not data.get("domains") and "domains" not in self.errors:
            self.add_error("domains", _("Name at least one e-mail domain."))
        required: list[str] = []
        if data.get("protocol") == Protocol.OIDC:
            required = ["oidc_issuer", "oidc_client_id"]
            if not data.get("client_secret") and not self.instance.oidc_client_secret:
                self.add_error("client_secret", _("This field is required."))
        elif data.get("protocol") == Protocol.SAML:
            required = ["saml_entity_id"]
            if not data.get("saml_metadata_url"):
                required += ["saml_sso_url", "saml_x509_cert"]
        for name in required:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("This field is required."))
        return data
