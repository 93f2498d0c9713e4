"""The segment comparison over the API: the page's table as JSON."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from klantpeil.analytics.api import ERRORS, WINDOW, EstimateOut, _estimate, _filters
from klantpeil.analytics.segments import DIMENSIONS, segment_comparison
from klantpeil.api.errors import ApiError
from klantpeil.collection.api import Filters
from klantpeil.metrics.segments import KPI_QUESTIONS, Segment

router = Router(tags=["analysis"])


class SegmentFilters(Filters):
    dimension: str = Field("unit", description="unit, channel, month or quarter")
    kpi: str = Field("grade", description="grade, nps, ces or fcr (share solved in one contact)")


class SegmentOut(Schema):
    key: str = Field(description="unit code, channel kind, 2026-09 or 2026-Q3 ('' = none)")
    label: str
    shown: bool = Field(
        description="false below the minimum group (min_group answers): no figure, no n"
    )
    n: int | None = Field(description="answers in the segment; null when not shown")
    estimate: EstimateOut | None = Field(description="null when not shown")
    tested: bool = Field(
        description="tested against the rest: the segment and its rest both have "
        "min_tested answers or more"
    )
    difference: float | None = Field(
        description="segment − rest, in the figure's unit (NPS and fcr in points)"
    )
    difference_ci_low: float | None
    difference_ci_high: float | None
    p_value: float | None = Field(description="the test's own p-value, before the correction")
    p_adjusted: float | None = Field(description="Holm–Bonferroni over all tested segments")
    verdict: str = Field(description="higher, lower, no_difference, not_tested or too_few")


class SegmentsOut(Schema):
    dimension: str
    kpi: str
    compared_with: str = Field(description="rest: each segment against all other segments")
    correction: str = Field(description="holm: Holm–Bonferroni, family-wise error rate")
    alpha: float
    min_group: int = Field(description="fewer answers than this: the segment is not shown")
    min_tested: int = Field(description="fewer answers than this: shown, not tested")
    tested: int
    overall: EstimateOut
    segments: list[SegmentOut]


def _segment(s: Segment) -> dict:
    d = s.difference
    return {
        "key": s.key,
        "label": s.label,
        "shown": s.shown,
        "n": s.n if s.shown else None,
        "estimate": _estimate(s.estimate) if s.estimate is not None else None,
        "tested": s.tested,
        "difference": d.difference if d else None,
        "difference_ci_low": d.ci_low if d else None,
        "difference_ci_high": d.ci_high if d else None,
        "p_value": d.p_value if d else None,
        "p_adjusted": s.p_adjusted,
        "verdict": s.verdict,
    }


@router.get(
    "/segments",
    response={200: SegmentsOut, **ERRORS},
    summary="One KPI per unit, channel, month or quarter, each against the rest (Holm)",
    description=(
        "The customer survey's grade, NPS, CES or first-contact resolution per segment, "
        "with its 95% interval and n, and for each segment the difference with all other "
        "segments together under the same filters, its test (Welch's t, the NPS z-test or "
        "the two-proportion z-test) and the Holm-corrected p-value over all segments "
        "tested. A segment with fewer than min_group answers shows no figure and no n. " + WINDOW
    ),
)
def segments(request: HttpRequest, filters: Query[SegmentFilters]) -> dict:
    dimension, kpi = filters.dimension, filters.kpi
    if dimension not in DIMENSIONS:
        raise ApiError(
            422,
            "invalid",
            f"{dimension!r} is not a dimension; use one of {', '.join(DIMENSIONS)}",
            "dimension",
        )
    if kpi not in KPI_QUESTIONS:
        raise ApiError(
            422, "invalid", f"{kpi!r} is not a figure; use one of {', '.join(KPI_QUESTIONS)}", "kpi"
        )
    chosen = _filters(Filters(**filters.dict(exclude={"dimension", "kpi"})))
    try:
        comparison = segment_comparison(chosen, dimension=dimension, kpi=kpi)
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc), "period") from None
    return {
        "dimension": dimension,
        "kpi": kpi,
        "compared_with": "rest",
        "correction": "holm",
        "alpha": comparison.alpha,
        "min_group": comparison.min_group,
        "min_tested": comparison.min_tested,
        "tested": comparison.tested,
        "overall": _estimate(comparison.overall),
        "segments": [_segment(s) for s in comparison.segments],
    }
