"""KPIs, driver analysis and benchmarks over the API, with the measurement list's filters."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from klantpeil.analytics.selectors import channel_kpis, driver_report, sector_grade_benchmark
from klantpeil.analytics.stats import Estimate
from klantpeil.api.errors import ApiError, Error
from klantpeil.collection.api import Filters
from klantpeil.collection.selectors import MeasurementFilter

router = Router(tags=["analysis"])
ERRORS = {401: Error, 422: Error}


class EstimateOut(Schema):
    value: float | None
    n: int
    ci_low: float | None = Field(description="95% interval, limited to the figure's scale")
    ci_high: float | None
    small_sample: bool = Field(description="fewer than 30 answers: read with care")
    too_few_responses: bool = Field(
        description="the interval spans more than 40% of the scale (or there is one answer): "
        "the pages and reports show 'too few responses' instead of the value"
    )


class ChannelKpisOut(Schema):
    channel: str
    grade: EstimateOut
    nps: EstimateOut
    ces: EstimateOut
    fcr: EstimateOut


class DriverOut(Schema):
    name: str
    importance: float
    share: float
    share_ci_low: float
    share_ci_high: float
    rank: int
    performance: float
    quadrant: str
    priority: int
    effect: str
    penalty: float
    reward: float


class DriversOut(Schema):
    n: int
    r2: float
    method: str
    drivers: list[DriverOut]


class BenchmarkOut(Schema):
    organisations: int
    mean: float
    q1: float
    median: float
    q3: float
    own: float | None
    percentile_rank: float | None


def _filters(filters: Filters) -> MeasurementFilter:
    """The list's filters that make sense here (analyses are of the customer survey)."""
    data = filters.dict()
    for key in ("limit", "offset", "instrument", "method"):
        data.pop(key)
    return MeasurementFilter(**data)


def _estimate(e: Estimate) -> dict:
    return {
        "value": e.value,
        "n": e.n,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "small_sample": e.small_sample,
        "too_few_responses": e.too_wide,
    }


def _guard(call):
    try:
        return call()
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc), "period") from None


@router.get(
    "/kpis",
    response={200: list[ChannelKpisOut], **ERRORS},
    summary="Grade, NPS, CES and first-contact resolution per channel (95% intervals)",
)
def kpis(request: HttpRequest, filters: Query[Filters]) -> list[dict]:
    rows = _guard(lambda: channel_kpis(_filters(filters)))
    return [
        {
            "channel": r.kind,
            "grade": _estimate(r.grade),
            "nps": _estimate(r.nps),
            "ces": _estimate(r.ces),
            "fcr": _estimate(r.fcr),
        }
        for r in rows
    ]


@router.get(
    "/drivers",
    response={200: DriversOut, **ERRORS},
    summary="Key drivers of the overall grade (Shapley), ranked into actions",
)
def drivers(request: HttpRequest, filters: Query[Filters]) -> dict:
    report = _guard(lambda: driver_report(_filters(filters)))
    if report is None:
        raise ApiError(
            422,
            "too_few_responses",
            "Fewer than 50 complete customer-survey responses match these filters.",
        )
    priority = {p.name: p for p in report.priorities}
    return {
        "n": report.analysis.n,
        "r2": report.analysis.r2,
        "method": report.analysis.method,
        "drivers": [
            {
                "name": d.name,
                "importance": d.importance,
                "share": d.share,
                "share_ci_low": report.intervals[d.name][0],
                "share_ci_high": report.intervals[d.name][1],
                "rank": d.rank,
                "performance": priority[d.name].performance,
                "quadrant": priority[d.name].quadrant,
                "priority": priority[d.name].rank,
                "effect": report.asymmetry[d.name].kind,
                "penalty": report.asymmetry[d.name].penalty,
                "reward": report.asymmetry[d.name].reward,
            }
            for d in report.analysis.drivers
        ],
    }


@router.get(
    "/benchmarks/grade",
    response={200: BenchmarkOut, 404: Error, **ERRORS},
    summary="The overall grade among the sector (only from five organisations)",
)
def grade_benchmark(request: HttpRequest, filters: Query[Filters]) -> dict:
    result = _guard(lambda: sector_grade_benchmark(_filters(filters)))
    if result is None:
        raise ApiError(
            404,
            "no_benchmark",
            "No benchmark: fewer than five organisations in the sector have results.",
        )
    return result.__dict__
