"""django-allauth's social side, bent to one identity provider per organisation.

allauth reads its provider "apps" through ``list_apps``; here they are built from
:class:`OrganisationIdentityProvider` rows on each call, so there is one source of
truth and nothing to keep in sync (no SocialApp rows). Every sign-in through an
organisation's provider is checked before allauth logs anyone in:

- the provider is enabled, the e-mail address is verified by the provider and its
  domain is one the organisation claimed (a provider cannot sign in people of
  another organisation's domain);
- a new address becomes a user with a membership at the provider's default role;
- an existing account is linked only if it is already a member of this
  organisation and of no other, and is not an operator: a manager who claims a
  domain must not be able to take over an account that reaches other data.
"""

from __future__ import annotations

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from allauth.socialaccount.providers.base.constants import AuthProcess
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from klantpeil.accounts.models import Membership, User
from klantpeil.accounts.sso import selectors
from klantpeil.accounts.sso.models import OrganisationIdentityProvider, Protocol

logger = logging.getLogger("klantpeil.sso")

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"


def social_app(provider: OrganisationIdentityProvider) -> SocialApp:
    """The (unsaved) allauth app for one organisation's provider."""
    pid = provider.allauth_id
    if provider.protocol == Protocol.OIDC:
        return SocialApp(
            provider="openid_connect",
            provider_id=pid,
            name=provider.display_name,
            client_id=provider.oidc_client_id,
            secret=provider.oidc_client_secret,
            settings={"server_url": provider.oidc_issuer, "oauth_pkce_enabled": True},
        )
    idp: dict = {"entity_id": provider.saml_entity_id}
    if provider.saml_metadata_url:
        idp["metadata_url"] = provider.saml_metadata_url
    else:
        idp |= {"sso_url": provider.saml_sso_url, "x509cert": provider.saml_x509_cert}
    return SocialApp(
        provider="saml",
        provider_id=pid,
        # allauth's SAML URLs carry the app's client id as the "organization slug".
        client_id=pid,
        name=provider.display_name,
        settings={
            "idp": idp,
            # Entra ID / ADFS claim names first, then the standard OIDs; without a
            # subject-id attribute the NameID is the uid.
            "attribute_mapping": {
                "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
                "email": [f"{CLAIMS}emailaddress", "urn:oid:0.9.2342.19200300.100.1.3", "email"],
                "first_name": [f"{CLAIMS}givenname", "urn:oid:2.5.4.42"],
                "last_name": [f"{CLAIMS}surname", "urn:oid:2.5.4.4"],
            },
            # Only signed assertions sign anyone in.
            "advanced": {"want_assertion_signed": True, "strict": True},
        },
    )


def _refuse(request: HttpRequest, reason: str, *, log: str) -> ImmediateHttpResponse:
    logger.warning("Single sign-on refused: %s", log)
    return ImmediateHttpResponse(
        render(request, "sso/refused.html", {"reason": reason}, status=403)
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        apps = []
        for row in selectors.enabled_providers():
            app = social_app(row)
            if provider and provider not in (app.provider, app.provider_id):
                continue
            if client_id and client_id != app.client_id:
                continue
            apps.append(app)
        return apps

    def _provider_row(self, sociallogin: SocialLogin) -> OrganisationIdentityProvider | None:
        return selectors.provider_by_allauth_id(sociallogin.account.provider)

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        row = self._provider_row(sociallogin)
        if row is None or not row.enabled:
            raise _refuse(
                request,
                _("Single sign-on is not (or no longer) set up for this organisation."),
                log=f"provider {sociallogin.account.provider} unknown or disabled",
            )
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            # Linking happens at first sign-in by e-mail address (below), never by a
            # signed-in user attaching some provider account to theirs.
            raise _refuse(
                request,
                _("An organisation's sign-in cannot be attached to an account by hand."),
                log=f"{row.allauth_id}: connect refused",
            )
        email = self._verified_email(sociallogin, row)
        if email is None:
            raise _refuse(
                request,
                _("Your identity provider did not confirm a verified e-mail address."),
                log=f"{row.allauth_id}: no verified e-mail address",
            )
        if selectors.domain_of(email) not in selectors.claimed_domains(row):
            raise _refuse(
                request,
                _(
                    "The e-mail address %(email)s does not belong to a domain of this "
                    "organisation's sign-in."
                )
                % {"email": email},
                log=f"{row.allauth_id}: domain of {email!r} not claimed by this organisation",
            )
        if sociallogin.is_existing:
            return
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            return  # a new member: save_user creates them
        memberships = set(
            Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
        )
        if user.is_staff or user.is_superuser or memberships != {row.organisation_id}:
            raise _refuse(
                request,
                _(
                    "An account with this e-mail address already exists outside this "
                    "organisation; sign in with your password."
                ),
                log=f"{row.allauth_id}: existing account {user.pk} not linked",
            )
        sociallogin.connect(request, user)

    def _verified_email(
        self, sociallogin: SocialLogin, row: OrganisationIdentityProvider
    ) -> str | None:
        """The address the provider vouches for; unverified ones sign nobody in."""
        for address in sociallogin.email_addresses:
            if address.verified and address.email:
                return address.email.strip().lower()
        if row.protocol == Protocol.SAML:
            # A SAML assertion is signed by the provider: its address is its word.
            email = (sociallogin.user.email or "").strip().lower()
            return email or None
        return None

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # pre_social_login has already refused anything but this organisation's domain.
        return self._provider_row(sociallogin) is not None

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> User:
        user = super().populate_user(request, sociallogin, data)
        user.email = (user.email or "").strip().lower()
        return user

    @transaction.atomic
    def save_user(
        self, request: HttpRequest, sociallogin: SocialLogin, form: object = None
    ) -> User:
        """A first sign-in: the user, their link to the provider and their membership
        at the provider's default role, all or nothing."""
        user = super().save_user(request, sociallogin, form)
        row = self._provider_row(sociallogin)
        Membership.objects.get_or_create(
            user=user, organisation_id=row.organisation_id, defaults={"role": row.default_role}
        )
        logger.info("Single sign-on: %s joined organisation %s", user.pk, row.organisation_id)
        return user
