"""What each role may do inside its organisation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from klantpeil.core import tenancy

MANAGE_DATA = frozenset({"operator", "analyst", "manager"})  # import, tokens
READ_DATA = frozenset({"operator", "analyst", "manager", "viewer"})  # export, dashboards
# A mystery shopper works from these screens only: their own contacts, never the results.
SHOPPER_ROUTES = frozenset(
    {
        "app:fieldwork:shopper-today",
        "app:fieldwork:assignment",
        "app:fieldwork:assignment-tap",
        "app:fieldwork:assignment-callback",
    }
)


def may_open(role: str, route: str) -> bool:
    """Whether a member with ``role`` may open the app's page named ``route`` at all
    (views narrow this further with :func:`role_required`)."""
    return role != "shopper" or route in SHOPPER_ROUTES


def manages_data(roles: frozenset[str]) -> bool:
    """Whether pages for ``roles`` manage the organisation's data (import, tokens,
    studies, forgetting a respondent): they act on the whole organisation, so a
    member limited to units may not open them whatever their role."""
    return roles <= MANAGE_DATA


def role_required(roles: frozenset[str]) -> Callable:
    """Only members with one of ``roles`` in the URL's organisation; others get 403
    (and so does a member limited to units on a page that manages data)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in roles:
                raise PermissionDenied
            if manages_data(roles) and tenancy.unit_limited():
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = roles  # read by may_view (the organisation switcher)
        return wrapped

    return decorator


def may_view(role: str, match: Any) -> bool:
    """Whether ``role`` may open the page a resolved URL (``match``) points at."""
    if not may_open(role, match.view_name):
        return False
    roles = getattr(match.func, "required_roles", None)
    return roles is None or role in roles
