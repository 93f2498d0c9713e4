"""Resolves the organisation of every /app/ request: the one tenancy gate of the web app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from klantpeil.accounts.permissions import may_open
from klantpeil.accounts.selectors import membership_in
from klantpeil.core import tenancy


class TenantMiddleware:
    """For any view whose URL carries ``<org>``, require a membership and scope the request.

    Not a member, not signed in for a member-only page, and no such organisation
    all answer 404, so nobody learns which organisations exist.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organisation = None
        request.membership = None
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_tenant_token", None)
            if token is not None:
                tenancy.deactivate(token)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.get("org")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        membership = membership_in(user=request.user, organisation_slug=slug)
        if membership is None:
            raise Http404("No such organisation")
        request.organisation = membership.organisation
        request.membership = membership
        request._tenant_token = tenancy.activate(membership.organisation)
        route = request.resolver_match.view_name if request.resolver_match else ""
        if not may_open(membership.role, route):
            if route == "app:overview":  # where a login lands: the shopper's day instead
                return redirect("app:fieldwork:shopper-today", org=slug)
            raise PermissionDenied
        return None
