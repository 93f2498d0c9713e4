"""The pages for "not found" and "server error": never a traceback or a list of URLs.

With DEBUG off (the default everywhere; ``KLANTPEIL_DEBUG=1`` for a developer) Django
calls these. A browser gets a page in the app's layout; an API client gets the API's
error shape (``{status, code, message, field, errors}``), never HTML. The exception
itself goes to the operator's log (Django's ``django.request`` logger), not to the client.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


class FieldErrors(ValueError):
    """Input that cannot be saved: ``errors`` maps each field (or question key) to its
    problem, so a page shows each beside its field and an API names it. Nothing was
    written. Each domain raises its own subclass."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))
        self.errors = errors


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"status": status, "code": code, "message": message, "field": None, "errors": []},
        status=status,
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(
            500, "server_error", "Something went wrong on our side; the error has been logged."
        )
    return defaults.server_error(request)
