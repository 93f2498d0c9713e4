"""Measurements and invitations over the API."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator

from klantpeil.api.errors import ApiError, Error
from klantpeil.collection import selectors
from klantpeil.collection.ingest import MAX_BATCH, create_invitations, ingest_measurements
from klantpeil.collection.models import Measurement, Source

router = Router(tags=["measurements"])
ERRORS = {400: Error, 401: Error, 404: Error, 422: Error}
WRITE_ERRORS = {**ERRORS, 403: Error}  # 403: a read-only token


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD``: pydantic would also read ``0`` as a timestamp (1 January 1970)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class Filters(Schema):
    period: str | None = Field(
        None,
        description="2026-09, sep 2026, 2026-Q3, Q3 2026, 2026 or 2026-01-15..2026-03-31",
        examples=["2026-Q3"],
    )
    since: IsoDate | None = Field(None, description="first day (inclusive)")
    until: IsoDate | None = Field(None, description="last day (inclusive)")
    channel: str | None = Field(None, description="channel kind, e.g. phone")
    unit: str | None = Field(None, description="unit code")
    instrument: str | None = Field(None, description="instrument key")
    method: str | None = Field(None, description="e.g. customer_survey")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


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
    occurred_at: datetime
    channel: str | None = None
    unit: str | None = None
    language: str = "nl"
    external_id: str = Field("", max_length=120, description="your id; a retry never stores twice")
    answers: dict[str, Any]


class MeasurementBatch(Schema):
    measurements: list[MeasurementIn] = Field(..., min_length=1, max_length=MAX_BATCH)


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
    occurred_at: datetime
    unit: str | None = None
    language: str = "nl"
    external_contact_id: str = ""
    email: str = ""
    phone: str = ""


class InvitationBatch(Schema):
    instrument: str = "customer-survey"
    valid_days: int = Field(14, ge=1, le=365)
    invitations: list[InvitationIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class InvitationOut(Schema):
    index: int
    id: int
    url: str
    expires_at: datetime


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
    results = ingest_measurements(
        items=[item.dict() for item in payload.measurements], source=Source.API
    )
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
    made = create_invitations(
        events=[e.dict() for e in payload.invitations],
        instrument=payload.instrument,
        valid_days=payload.valid_days,
    )
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
