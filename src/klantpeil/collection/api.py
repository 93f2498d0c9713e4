"""Measurements and invitations over the API."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import (
    AfterValidator,
    BeforeValidator,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticCustomError

from klantpeil.api.errors import ApiError, Error
from klantpeil.collection import selectors
from klantpeil.collection.ingest import (
    MAX_BATCH,
    Problem,
    create_invitations,
    ingest_measurements,
)
from klantpeil.collection.models import Measurement, Source
from klantpeil.distribution.services import attach_deliveries, plan_deliveries
from klantpeil.metrics.limits import DATE_RANGE, MAX_OFFSET, day_in_range, moment_in_range
from klantpeil.metrics.periods import parse_period

router = Router(tags=["measurements"])
ERRORS = {400: Error, 401: Error, 404: Error, 422: Error}
# 403: a read-only token; 413: more than 10,000 items or a body over the byte limit.
WRITE_ERRORS = {**ERRORS, 403: Error, 413: Error}


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD``: pydantic would also read ``0`` as a timestamp (1 January 1970)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written as YYYY-MM-DD")
    return value


def _supported_day(value: date) -> date:
    if not day_in_range(value):
        raise PydanticCustomError("date_range", "must be a day from {range}", {"range": DATE_RANGE})
    return value


def _supported_moment(value: datetime) -> datetime:
    if not moment_in_range(value):
        raise PydanticCustomError(
            "date_range", "must be a moment from {range}", {"range": DATE_RANGE}
        )
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_supported_day)]
Moment = Annotated[datetime, AfterValidator(_supported_moment)]


class Filters(Schema):
    # One "example", not "examples": ninja copies the field's examples onto the query
    # parameter, where OpenAPI 3.1 wants a map of named examples, not a list.
    period: str | None = Field(
        None,
        description="2026-09, sep 2026, 2026-Q3, Q3 2026, 2026 or 2026-01-15..2026-03-31",
        json_schema_extra={"example": "2026-Q3"},
    )
    since: IsoDate | None = Field(None, description="first day (inclusive)")
    until: IsoDate | None = Field(None, description="last day (inclusive)")
    channel: str | None = Field(None, description="channel kind, e.g. phone")
    unit: str | None = Field(None, description="unit code")
    instrument: str | None = Field(None, description="instrument key")
    method: str | None = Field(None, description="e.g. customer_survey")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    @field_validator("period")
    @classmethod
    def _known_period(cls, value: str | None) -> str | None:
        """Refused here, beside its field, rather than deep in a selector."""
        if value is not None:
            try:
                parse_period(value)
            except ValueError as exc:
                raise PydanticCustomError("period", "{reason}", {"reason": str(exc)}) from None
        return value

    @field_validator("until")
    @classmethod
    def _not_before_since(cls, value: date | None, info: ValidationInfo) -> date | None:
        since = info.data.get("since")
        if value is not None and since is not None and value < since:
            raise PydanticCustomError(
                "date_order", "lies before since ({since})", {"since": since.isoformat()}
            )
        return value


class MeasurementOut(Schema):
    id: int
    instrument: str
    instrument_version: int
    method: str
    channel: str | None
    unit: str | None
    occurred_at: datetime
    recorded_at: datetime
    source: str
    language: str
    external_id: str
    answers: dict[str, Any]


class MeasurementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MeasurementOut]


class MeasurementIn(Schema):
    instrument: str = Field(..., examples=["customer-survey"])
    occurred_at: Moment
    channel: str | None = None
    unit: str | None = None
    language: str = "nl"
    external_id: str = Field("", max_length=120, description="your id; a retry never stores twice")
    answers: dict[str, Any]


def _item_by_item(value: Any, handler: Any) -> Any:
    """A batch's items are validated one by one in the route (``_checked``), so that a 422
    lists every problem of every item: pydantic would stop at the type errors, before the
    checks that need the organisation's channels, units and instruments. (The documented
    schema is still the typed one.)"""
    if isinstance(value, list) and value:
        return value
    return handler(value)


class MeasurementBatch(Schema):
    measurements: list[MeasurementIn] = Field(..., min_length=1, max_length=MAX_BATCH)

    _items = field_validator("measurements", mode="wrap")(_item_by_item)


class IngestItem(Schema):
    index: int
    id: int
    created: bool


class IngestOut(Schema):
    created: int
    existing: int
    items: list[IngestItem]


class InvitationIn(Schema):
    channel: str
    occurred_at: Moment
    unit: str | None = None
    language: str = "nl"
    external_contact_id: str = ""
    email: str = ""
    phone: str = Field(
        "", description="E.164 (+31612345678) or Dutch national (0612345678) to send by SMS"
    )
    deliver: Literal["email", "sms", "none"] | None = Field(
        None, description="overrides the batch's deliver for this item"
    )
    send_at: Moment | None = Field(None, description="overrides the batch's send_at")


class InvitationBatch(Schema):
    instrument: str = "customer-survey"
    valid_days: int = Field(14, ge=1, le=365)
    deliver: Literal["email", "sms", "none"] = Field(
        "none",
        description="email or sms: Klantpeil sends the link (in the sending window, after "
        "the fatigue and opt-out checks); none: you send it yourself",
    )
    send_at: Moment | None = Field(
        None, description="not before this moment (default: as soon as the window allows)"
    )
    invitations: list[InvitationIn] = Field(..., min_length=1, max_length=MAX_BATCH)

    _items = field_validator("invitations", mode="wrap")(_item_by_item)


class InvitationOut(Schema):
    index: int
    id: int
    url: str
    expires_at: datetime


@functools.cache
def _field_adapters(schema: type[Schema]) -> dict[str, tuple[TypeAdapter, Any]]:
    """One validator per field of ``schema``, with the field's constraints and checks."""
    return {
        name: (
            TypeAdapter(
                Annotated[(field.annotation, *field.metadata)]
                if field.metadata
                else field.annotation
            ),
            field,
        )
        for name, field in schema.model_fields.items()
    }


def _checked(
    items: list[Any], schema: type[Schema], what: str
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Every item's fields validated one by one: the valid values (a refused field is left
    out) and every problem of every item, with its index, field and value."""
    if len(items) > MAX_BATCH:
        raise ApiError(
            413, "too_many_items", f"At most {MAX_BATCH:,} {what} per request.", what, len(items)
        )
    adapters = _field_adapters(schema)
    valid: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(Problem(index, "", "must be an object", item))
            valid.append({})
            continue
        values: dict[str, Any] = {}
        for name, (adapter, field) in adapters.items():
            if name not in item:
                if field.is_required():
                    problems.append(Problem(index, name, "is required"))
                else:
                    values[name] = field.get_default(call_default_factory=True)
                continue
            try:
                values[name] = adapter.validate_python(item[name])
            except PydanticError as exc:
                for error in exc.errors(include_url=False):
                    where = ".".join(str(part) for part in (name, *error["loc"]))
                    message = str(error["msg"]).removeprefix("Value error, ")
                    problems.append(Problem(index, where, message, error.get("input")))
        valid.append(values)
    return valid, problems


def _out(measurement: Measurement) -> dict[str, Any]:
    return {
        "id": measurement.pk,
        "instrument": measurement.instrument_version.instrument.key,
        "instrument_version": measurement.instrument_version.number,
        "method": measurement.method,
        "channel": measurement.channel.kind if measurement.channel else None,
        "unit": measurement.unit.code if measurement.unit else None,
        "occurred_at": measurement.occurred_at,
        "recorded_at": measurement.recorded_at,
        "source": measurement.source,
        "language": measurement.language,
        "external_id": measurement.external_id,
        "answers": selectors.answers_as_dict(measurement),
    }


@router.get(
    "/measurements",
    response={200: MeasurementPage, **ERRORS},
    summary="Measurements, newest first, filtered and paginated",
    description="Anonymous employee-survey responses are never listed one by one.",
)
def list_measurements(request: HttpRequest, filters: Query[Filters]) -> dict:
    data = filters.dict()
    limit, offset = data.pop("limit"), data.pop("offset")
    try:
        queryset = selectors.filtered_measurements(
            selectors.MeasurementFilter(**data), base=selectors.individual_measurements()
        )
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc), "period") from None
    page = selectors.with_answers(queryset)[offset : offset + limit]
    return {
        "count": queryset.count(),
        "limit": limit,
        "offset": offset,
        "items": [_out(m) for m in page],
    }


@router.get(
    "/measurements/{measurement_id}",
    response={200: MeasurementOut, **ERRORS},
    summary="One measurement with its answers",
)
def get_measurement(request: HttpRequest, measurement_id: int) -> dict:
    measurement = get_object_or_404(
        selectors.with_answers(selectors.individual_measurements()), pk=measurement_id
    )
    return _out(measurement)


@router.post(
    "/measurements",
    response={201: IngestOut, 200: IngestOut, **WRITE_ERRORS},
    summary="Store up to 10,000 measurements at once (all or nothing)",
)
def create_measurements(request: HttpRequest, payload: MeasurementBatch) -> Status:
    items, problems = _checked(payload.measurements, MeasurementIn, "measurements")
    results = ingest_measurements(items=items, source=Source.API, known_problems=problems)
    created = sum(r.created for r in results)
    body = {
        "created": created,
        "existing": len(results) - created,
        "items": [{"index": r.index, "id": r.id, "created": r.created} for r in results],
    }
    return Status(201 if created else 200, body)


@router.post(
    "/invitations",
    response={201: list[InvitationOut], **WRITE_ERRORS},
    tags=["invitations"],
    summary="Make single-use survey links from contact events (up to 10,000)",
)
def make_invitations(request: HttpRequest, payload: InvitationBatch) -> Status:
    events, problems = _checked(payload.invitations, InvitationIn, "invitations")
    # The invitations and their deliveries commit together: an acknowledged invitation
    # to be sent always has its delivery.
    with transaction.atomic():
        plans = plan_deliveries(
            events, deliver=payload.deliver, send_at=payload.send_at, problems=problems
        )
        made = create_invitations(
            events=events,
            instrument=payload.instrument,
            valid_days=payload.valid_days,
            known_problems=problems,
        )
        attach_deliveries(made, plans, base_url=request.build_absolute_uri("/"))
    return Status(
        201,
        [
            {
                "index": index,
                "id": invitation.pk,
                "url": request.build_absolute_uri(reverse("respond", kwargs={"token": token})),
                "expires_at": invitation.expires_at,
            }
            for index, (invitation, token) in enumerate(made)
        ],
    )
