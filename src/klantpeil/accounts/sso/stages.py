"""Two-factor authentication is the identity provider's business for SSO sign-ins."""

from __future__ import annotations

from allauth.mfa.stages import AuthenticateStage


class PasswordOnlyAuthenticateStage(AuthenticateStage):
    """allauth's "enter your authenticator code" step, skipped for a sign-in through
    an organisation's identity provider: that provider enforces its own second
    factor (Entra ID conditional access, Google's 2-step verification, Keycloak's
    OTP), and asking again would make members keep two authenticators. Password
    sign-ins still ask for the code as before."""

    def _should_handle(self, request: object) -> bool:
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if sociallogin is not None and sociallogin.account.provider.startswith("kp-org-"):
            return False
        return super()._should_handle(request)
