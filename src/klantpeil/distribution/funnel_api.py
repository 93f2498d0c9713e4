"""The invitation funnel over the API: GET /api/v1/distribution/funnel."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from klantpeil.api.errors import ApiError, Error
from klantpeil.distribution.funnel import invitation_funnel
from klantpeil.instruments.models import Instrument
from klantpeil.metrics.funnel import MAIN_PATH, SIDE_OUTCOMES
from klantpeil.metrics.periods import last_twelve_months, parse_period

router = Router(tags=["invitations"])

STEP_WORDS = (
    "made: invitations made in the period (by the API, the app or an import); sent: the "
    "invitation's own message accepted by the mail server or SMS provider (delivered "
    "included); opened: the survey form was shown; started: the form was submitted at "
    "least once; completed: answered. Side outcomes: delivered (confirmed by the SMS "
    "provider), failed, bounced, skipped_fatigue (the fatigue rule held it back), "
    "skipped_opted_out (the person had opted out before), opted_out (opted out through "
    "one of the invitation's messages), scheduled (still waiting for its moment or the "
    "sending window), not_sent_by_us (deliver none: you handed out the link)."
)


class FunnelQuery(Schema):
    period: str | None = Field(
        None,
        description="2026-09, 2026-Q3, 2026 or a range 2026-01-15..2026-03-31; "
        "default: the last twelve months",
    )
    instrument: str | None = Field(None, description="an instrument key; default: all")


class FunnelStepOut(Schema):
    step: str
    count: int
    share_of_made: float | None = Field(description="count ÷ made (0–1); null when none made")
    share_of_previous: float | None = Field(
        description="main path only: count ÷ the step before (0–1)"
    )
    main: bool = Field(description="true on the main path made → sent → opened → …")


class FunnelOut(Schema):
    period: str
    since: str = Field(description="first day (YYYY-MM-DD), local time")
    until: str = Field(description="last day (YYYY-MM-DD), included")
    instrument: str | None
    counts: dict[str, int]
    steps: list[FunnelStepOut]


@router.get(
    "/distribution/funnel",
    response={200: FunnelOut, 401: Error, 422: Error},
    summary="The invitation funnel: made, sent, opened, started, completed and what was lost",
    description=f"Counts invitations made in the period. {STEP_WORDS}",
)
def funnel(request: HttpRequest, query: Query[FunnelQuery]) -> dict:
    try:
        period = (
            parse_period(query.period) if query.period else last_twelve_months(timezone.localdate())
        )
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc), "period", query.period) from None
    instrument = (query.instrument or "").strip()
    if instrument and not Instrument.objects.filter(key=instrument).exists():
        raise ApiError(422, "invalid", "unknown instrument", "instrument", instrument)
    result = invitation_funnel(period, instrument=instrument)
    return {
        "period": period.label,
        "since": period.start.isoformat(),
        "until": period.last_day.isoformat(),
        "instrument": instrument or None,
        "counts": {key: result.counts[key] for key in (*MAIN_PATH, *SIDE_OUTCOMES)},
        "steps": [
            {
                "step": r.key,
                "count": r.count,
                "share_of_made": r.of_made,
                "share_of_previous": r.of_previous,
                "main": r.main,
            }
            for r in result.rows
        ],
    }
