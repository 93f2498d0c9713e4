"""One error format for every API failure: status, code, message, field (and details)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from klantpeil.collection.ingest import BatchError


class ErrorDetail(Schema):
    field: str | None = None
    index: int | None = None
    message: str
    value: Any = None


class Error(Schema):
    status: int
    code: str
    message: str
    field: str | None = None
    errors: list[ErrorDetail] = []


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


UNSTORABLE = "text may not contain NUL characters or unpaired surrogates"


def storable(value: Any) -> bool:
    """Whether every text in ``value`` can be stored: PostgreSQL refuses NUL characters,
    and no database takes an unpaired surrogate (``"\\udab0"`` is valid JSON)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v) for v in value)
    return True


class StorableTextParser(Parser):
    """JSON bodies and query strings with text the database cannot store are refused
    (found by fuzzing: they gave server errors on PostgreSQL), and so is a query
    parameter given twice."""

    def parse_body(self, request: HttpRequest) -> dict:
        data = super().parse_body(request)
        if not storable(data):
            raise ValueError(UNSTORABLE)  # answered 400, "Cannot parse request body"
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict:
        result = super().parse_querydict(data, list_fields, request)
        for key, value in result.items():
            if not (storable(key) and storable(value)):
                raise ApiError(422, "invalid", UNSTORABLE, key)
            if key not in list_fields and len(data.getlist(key)) > 1:
                # ?period=2025&period=2026: which one was meant? (Django takes the last.)
                raise ApiError(422, "invalid", "A parameter may be given only once.", key)
        return result


def _respond(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    errors: list[dict] | None = None,
) -> HttpResponse:
    body = {
        "status": status,
        "code": code,
        "message": message,
        "field": field,
        "errors": errors or [],
    }
    return api.create_response(request, body, status=status)


def _location(loc: list[Any]) -> tuple[str, int | None]:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload")]
    index = next((int(p) for p in parts if p.isdigit()), None)
    return ".".join(parts), index


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for error in exc.errors:
            field, index = _location(list(error.get("loc", [])))
            errors.append({"field": field, "index": index, "message": error.get("msg", "")})
        first = errors[0]["field"] if errors else None
        return _respond(api, request, 422, "invalid", "The request is not valid.", first, errors)

    @api.exception_handler(BatchError)
    def batch(request: HttpRequest, exc: BatchError) -> HttpResponse:
        errors = [
            {
                "field": p.field,
                "index": None if p.index < 0 else p.index,
                "message": p.reason,
                "value": p.value
                if isinstance(p.value, str | int | float | bool | None)
                else str(p.value),
            }
            for p in exc.problems
        ]
        return _respond(
            api,
            request,
            422,
            "invalid",
            f"{len(errors)} problem(s) found; nothing was written.",
            errors[0]["field"],
            errors,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _respond(
            api,
            request,
            401,
            "unauthenticated",
            "A valid API token is required (Authorization: Bearer …).",
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _respond(api, request, exc.status, exc.code, exc.message, exc.field)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _respond(api, request, exc.status_code, "error", str(exc))
