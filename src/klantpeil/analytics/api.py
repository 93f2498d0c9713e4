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
    quadrant: str = Field(description="The advice of the priority model (same as `label`)")
    effect: str
    penalty: float
    reward: float
    expected_gain: float = Field(
        description="Grade points the overall grade rises if this driver's mean rises to "
        "`target` (docs/priority-model.md)"
    )
    expected_gain_low: float = Field(description="95% interval of the gain, lower bound")
    expected_gain_high: float = Field(description="95% interval of the gain, upper bound")
    target: float = Field(description="The driver mean the gain assumes")
    target_basis: str = Field(description="plus_one: one point above the mean, at most 10")
    priority: int = Field(description="1 = improve first; the list is in this order")
    label: str = Field(description="focus_here, worth_improving, keep_up or low_priority")
    dissatisfier: bool = Field(description="Gains only below `threshold`")
    threshold: float | None


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
    summary="Key drivers of the overall grade (Shapley), ranked by expected gain in the grade",
)
def drivers(request: HttpRequest, filters: Query[Filters]) -> dict:
    report = _guard(lambda: driver_report(_filters(filters)))
    if report is None:
        raise ApiError(
            422,
            "too_few_responses",
            "Fewer than 50 complete customer-survey responses match these filters.",
        )
    drivers = {d.name: d for d in report.analysis.drivers}
    return {
        "n": report.analysis.n,
        "r2": report.analysis.r2,
        "method": report.analysis.method,
        # In priority order, from the one priority model (as the pages and reports).
        "drivers": [
            {
                "name": p.name,
                "importance": drivers[p.name].importance,
                "share": drivers[p.name].share,
                "share_ci_low": report.intervals[p.name][0],
                "share_ci_high": report.intervals[p.name][1],
                "rank": drivers[p.name].rank,
                "performance": p.performance,
                "quadrant": p.label,
                "effect": report.asymmetry[p.name].kind,
                "penalty": report.asymmetry[p.name].penalty,
                "reward": report.asymmetry[p.name].reward,
                "expected_gain": p.expected_gain,
                "expected_gain_low": p.expected_gain_low,
                "expected_gain_high": p.expected_gain_high,
                "target": p.target,
                "target_basis": p.target_basis,
                "priority": p.rank,
                "label": p.label,
                "dissatisfier": p.dissatisfier,
                "threshold": p.threshold,
            }
            for p in report.priorities
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
