"""How django-allauth behaves in Klantpeil: no sign-up, and mail that cannot be sent
is a clear message to the user and a reason in the operator's log, never a server error."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.shortcuts import render

logger = logging.getLogger("klantpeil.mail")


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by operators (`klantpeil createuser`, the admin), not by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        """allauth's, with its two-factor step skipped for sign-ins through an
        organisation's identity provider (accounts/sso/stages.py)."""
        return [
            "klantpeil.accounts.sso.stages.PasswordOnlyAuthenticateStage"
            if stage == "allauth.mfa.stages.AuthenticateStage"
            else stage
            for stage in super().get_login_stages()
        ]

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's own, except that a failure to send (mail server down, refused,
        wrong password, time-out) answers a page that says so (503) instead of a 500."""
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request)}
            | context,
        )
        try:
            message.send()
        except Exception as exc:
            # The log says why, not whom: the recipient is blanked out of the server's reply.
            logger.error(
                "Could not send the e-mail %r through %s: %s: %s",
                template_prefix.rsplit("/", 1)[-1],
                settings.KLANTPEIL_EMAIL_URL,
                type(exc).__name__,
                str(exc).replace(email, "<recipient>") if email else exc,
            )
            raise ImmediateHttpResponse(
                render(request, "account/email_not_sent.html", status=503)
            ) from exc
