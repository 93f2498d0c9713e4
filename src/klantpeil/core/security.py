"""Security middleware: response headers, no caching, session expiry, two-factor for operators."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

# Scripts and everything else come from our own origin only: no inline script,
# no eval (the charts run vega with its CSP-safe expression interpreter). Styles
# allow inline attributes because vega and htmx set them on the elements they draw.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Klantpeil needs none of the browser's powerful features.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy, Permissions-Policy and CORP headers to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on everything Django answers: pages (signed in or
    not), API answers and downloads (exports, reports, a new token's secret), so no
    browser, shared computer or proxy keeps a copy. Static files are served by
    WhiteNoise before this and stay cacheable. A view's own ``no-store`` is kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response


STARTED, SEEN = "klantpeil_session_started", "klantpeil_session_seen"


class SessionExpiryMiddleware:
    """Ends a signed-in session after ``SESSION_IDLE_SECONDS`` without a request or
    ``SESSION_ABSOLUTE_SECONDS`` after it began, whichever comes first.

    The last-seen time is written at most once a minute, so a page with many
    requests does not rewrite its session on each one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started, seen = session.get(STARTED), session.get(SEEN)
            if started is None or seen is None:
                session[STARTED] = session[SEEN] = now
            elif (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_ABSOLUTE_SECONDS
            ):
                logout(request)
                return redirect_to_login(request.get_full_path())
            elif now - seen >= 60:
                session[SEEN] = now
        return self.get_response(request)


def has_totp(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class OperatorTwoFactorMiddleware:
    """Where ``KLANTPEIL_OPERATOR_MFA_REQUIRED`` (production), an operator (a staff
    account) without an authenticator app is sent to set one up before reaching the
    back office or the app. Once set up, allauth asks for the code at every login."""

    GUARDED = ("/admin/", "/app/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.KLANTPEIL_OPERATOR_MFA_REQUIRED
            and request.path.startswith(self.GUARDED)
            and request.user.is_authenticated
            and request.user.is_staff
            and not has_totp(request.user)
        ):
            return redirect("mfa_activate_totp")
        # A member who joined through an invitation sets up an authenticator before
        # anything else (issue 22); the flag is cleared once they have.
        if (
            request.path.startswith(self.GUARDED)
            and request.user.is_authenticated
            and getattr(request.user, "two_factor_required", False)
            and not has_totp(request.user)
        ):
            return redirect("team-two-factor")
        return self.get_response(request)
