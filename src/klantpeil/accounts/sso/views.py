"""The sign-in settings page (managers) and the "sign in with your organisation" step."""

from __future__ import annotations

import logging

from allauth.account.forms import LoginForm
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantpeil.accounts.permissions import MANAGE_DATA, role_required
from klantpeil.accounts.sso import discovery, selectors
from klantpeil.accounts.sso.adapter import social_app
from klantpeil.accounts.sso.forms import IdentityProviderForm
from klantpeil.accounts.sso.models import OrganisationIdentityProvider, Protocol
from klantpeil.accounts.sso.services import configure_identity_provider

logger = logging.getLogger("klantpeil.sso")


@role_required(MANAGE_DATA)
def sign_in_settings(request: HttpRequest, org: str) -> HttpResponse:
    """How the organisation's people sign in: its own identity provider, if any."""
    organisation = request.organisation
    instance = OrganisationIdentityProvider.objects.prefetch_related(
        "domains"
    ).first() or OrganisationIdentityProvider(organisation=organisation)
    form = IdentityProviderForm(
        request.POST or None, instance=instance, by_role=request.membership.role
    )
    report = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if request.POST.get("action") == "test":
                report = _test_connection(form.cleaned_data)
            else:
                try:
                    configure_identity_provider(
                        organisation=organisation,
                        by=request.user,
                        by_role=request.membership.role,
                        values={f: form.cleaned_data[f] for f in form.Meta.fields},
                        domains=form.cleaned_data["domains"],
                        client_secret=form.cleaned_data["client_secret"] or None,
                    )
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field, errors)
                else:
                    messages.success(request, _("The sign-in settings were saved."))
                    return redirect("sso:sign-in", org=organisation.slug)
        if form.errors:
            status = 400
    pid = f"kp-org-{organisation.pk}"
    urls = {
        "oidc_callback": request.build_absolute_uri(
            reverse("openid_connect_callback", kwargs={"provider_id": pid})
        ),
        "saml_metadata": request.build_absolute_uri(reverse("saml_metadata", args=[pid])),
        "saml_acs": request.build_absolute_uri(reverse("saml_acs", args=[pid])),
    }
    return render(
        request,
        "sso/settings.html",
        {"form": form, "report": report, "urls": urls, "provider": instance},
        status=status,
    )


def _test_connection(data: dict) -> discovery.ConnectionReport:
    if data["protocol"] == Protocol.OIDC:
        if not data["oidc_issuer"]:
            return discovery.ConnectionReport(
                ok=False, url="", problems=[_("Enter the issuer URL first.")]
            )
        return discovery.check_oidc(data["oidc_issuer"])
    if not data["saml_metadata_url"]:
        return discovery.ConnectionReport(
            ok=False, url="", problems=[_("Enter the IdP metadata URL to test it.")]
        )
    return discovery.check_saml_metadata(data["saml_metadata_url"], data["saml_entity_id"])


def _next_url(request: HttpRequest) -> str | None:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """E-mail first: the address's domain finds the organisation's identity provider
    and the browser goes there; anyone else gets the password form, address filled in."""
    email = (request.POST.get("email") or "").strip()
    provider = selectors.provider_for_email(email)
    next_url = _next_url(request)
    if provider is None:
        return render(
            request,
            "account/login.html",
            {
                "form": LoginForm(initial={"login": email}, request=request),
                "sso_email": email,
                "sso_not_found": bool(email),
                "redirect_field_name": "next",
                "redirect_field_value": next_url or "",
            },
        )
    app = social_app(provider)
    allauth_provider = app.get_provider(request)
    kwargs: dict = {}
    if provider.protocol == Protocol.OIDC:
        kwargs["auth_params"] = allauth_provider.get_auth_params() | {"login_hint": email}
    try:
        response = allauth_provider.redirect(request, "login", next_url=next_url, **kwargs)
    except ImmediateHttpResponse as exc:
        return exc.response
    except Exception:  # the provider is down or its discovery document is broken
        logger.exception("Single sign-on: could not start the sign-in at %s", provider.allauth_id)
        return render(
            request,
            "sso/refused.html",
            {"reason": _("Your organisation's sign-in service cannot be reached right now.")},
            status=502,
        )
    if not response.has_header("Location"):
        return response
    # Not a redirect: the browser would refuse it, because the Content-Security-Policy's
    # form-action 'self' also covers where a submitted form is redirected. A page that
    # goes on by itself (meta refresh, a new navigation; no script) with a link as well.
    return render(
        request,
        "sso/redirect.html",
        {"url": response["Location"], "name": provider.display_name},
    )


class SignatureCheckingAdapter(OpenIDConnectOAuth2Adapter):
    """allauth skips the ID token's signature when the token came straight from the
    token endpoint over TLS (the specification allows it). Klantpeil checks it
    always: issuer, audience, expiry and signature against the provider's keys."""

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


def oidc_callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OpenID Connect callback with :class:`SignatureCheckingAdapter`."""
    try:
        view = OAuth2CallbackView.adapter_view(SignatureCheckingAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
