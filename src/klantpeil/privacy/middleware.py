"""The audit hook: one entry per page, export or API call that shows or changes tenant data."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from klantpeil.accounts.models import ApiToken
from klantpeil.privacy.models import AuditAction, AuditEvent

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _action(request: HttpRequest, response: HttpResponse) -> AuditAction:
    if response.get("Content-Disposition", "").startswith("attachment"):
        return AuditAction.EXPORT
    return AuditAction.VIEW if request.method in SAFE_METHODS else AuditAction.CHANGE


def _text(value: object, limit: int = 200) -> str:
    """What was asked, in a form every database stores: a NUL (PostgreSQL refuses it even
    in JSON) or an unpaired surrogate becomes a replacement mark, not a lost audit entry."""
    text = str(value)[:limit].replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


def _detail(request: HttpRequest) -> dict:
    match = request.resolver_match
    detail: dict = {}
    objects = {k: _text(v) for k, v in match.kwargs.items() if k != "org"} if match else {}
    if objects:
        detail["object"] = objects
    if request.GET:
        detail["query"] = {_text(k): _text(v) for k, v in list(request.GET.items())[:20]}
    return detail


class AuditMiddleware:
    """Records who saw, exported or changed what.

    - a signed-in member's request to an organisation's page in the app (``/app/<org>/…``);
    - an operator's request in the back office (``/admin/``);
    - every API request made with a token (the token's use is logged here).

    Requests that were refused before reaching an organisation (not a member, no
    token) show nothing and are not recorded.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if match is None:
            return response
        token = getattr(request, "auth", None)
        user = request.user if request.user.is_authenticated else None
        if isinstance(token, ApiToken):
            safe = request.method in SAFE_METHODS
            action = AuditAction.API_READ if safe else AuditAction.API_WRITE
            organisation = token.organisation
            user = None
        elif user is not None and getattr(request, "organisation", None) is not None:
            action, organisation = _action(request, response), request.organisation
        elif user is not None and user.is_staff and request.path.startswith("/admin/"):
            action, organisation = _action(request, response), None
        else:
            return response
        AuditEvent.objects.create(
            action=action,
            user=user,
            api_token=token if isinstance(token, ApiToken) else None,
            organisation=organisation,
            method=request.method or "",
            path=_text(request.path, 500),
            route=(match.view_name or "")[:200],
            status=response.status_code,
            detail=_detail(request),
        )
        return response
