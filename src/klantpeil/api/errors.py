"""One error format for every API failure: status, code, message, field (and details)."""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.parser import Parser
from ninja.schema import DjangoGetter

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
    """An answer in the error shape; with a ``field`` it is also listed in ``errors``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.value = value


SHOWN_TEXT = 200  # characters of a refused value echoed back
JSON_SAFE_INTEGER = 2**53  # beyond this, JavaScript clients would read another number


def shown(value: Any) -> str | int | float | bool | None:
    """A refused value as it goes back in ``errors[].value``: valid JSON (no Infinity or
    NaN), exact for a JavaScript client (huge integers as text), and short (a 4 MB string
    is not echoed back)."""
    if isinstance(value, DjangoGetter):
        # ninja wraps a whole refused body in its getter; show the body, not the wrapper.
        value = value._obj
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < JSON_SAFE_INTEGER:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, dict | list):
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (ValueError, RecursionError):
            text = repr(value)
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"


class Api(NinjaAPI):
    """django-ninja's API, with the refused value kept in each validation error (ninja
    drops pydantic's ``input``; the README promises ``value`` with every problem)."""

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        inputs = [
            error.get("input")
            for context in error_contexts
            for error in context.pydantic_validation_error.errors(include_url=False)
        ]
        result = super().validation_error_from_error_contexts(error_contexts)
        for error, value in zip(result.errors, inputs, strict=True):
            error["value"] = value
        return result


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


def _message(error: dict) -> str:
    """Pydantic's message without its "Value error, " prefix (our validators' own words)."""
    return str(error.get("msg", "")).removeprefix("Value error, ")


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
            errors.append(
                {
                    "field": field,
                    "index": index,
                    "message": _message(error),
                    "value": shown(error.get("value")),
                }
            )
        first = errors[0]["field"] if errors else None
        return _respond(api, request, 422, "invalid", "The request is not valid.", first, errors)

    @api.exception_handler(BatchError)
    def batch(request: HttpRequest, exc: BatchError) -> HttpResponse:
        errors = [
            {
                "field": p.field,
                "index": None if p.index < 0 else p.index,
                "message": p.reason,
                "value": shown(p.value),
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
        errors = None
        if exc.field is not None:
            detail = {"field": exc.field, "index": None, "message": exc.message}
            errors = [{**detail, "value": shown(exc.value)}]
        return _respond(api, request, exc.status, exc.code, exc.message, exc.field, errors)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) on routes without a larger one.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _respond(
            api, request, 413, "too_large", f"The request body may be at most {limit:,} bytes."
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _respond(api, request, exc.status_code, "error", str(exc))
