"""What each role may do inside its organisation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

MANAGE_DATA = frozenset({"operator", "analyst", "manager"})  # import, tokens
READ_DATA = frozenset({"operator", "analyst", "manager", "viewer"})  # export, dashboards


def role_required(roles: frozenset[str]) -> Callable:
    """Only members with one of ``roles`` in the URL's organisation; others get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
