"""KPIs, driver analysis and benchmarks over the API, with the measurement list's filters."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from klantpeil.analytics.driver_selectors import driver_report
from klantpeil.analytics.sector import sector_grade_benchmark
from klantpeil.analytics.selectors import channel_kpis
from klantpeil.analytics.weighted import EXPLANATION, weighted_overview
from klantpeil.api.errors import ApiError, Error
from klantpeil.collection.api import Filters
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.metrics.disclosure import below_minimum_group
from klantpeil.metrics.stats import Estimate

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
        "the pages and reports show 'too few responses' instead of the value; or the group "
        "has fewer than 5 answers (the minimum group), and value and interval are null"
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
    penalty: float | None = Field(
        description="Penalty–reward: drop when the driver scores low (null: too few low scores)"
    )
    reward: float | None = Field(
        description="Penalty–reward: gain when the driver scores high (null: too few high scores)"
    )
    expected_gain: float = Field(
        description="Grade points the overall grade rises if this driver's mean rises to "
        "`target` (docs/priority-model.md)"
    )
    expected_gain_low: float = Field(description="95% interval of the gain, lower bound")
    expected_gain_high: float = Field(description="95% interval of the gain, upper bound")
    target: float = Field(description="The driver mean the gain assumes")
    target_basis: str = Field(
        description="sector_top_quartile: the sector's disclosure-safe upper quartile of this "
        "driver; plus_one: one point above the mean, at most 10"
    )
    priority: int = Field(description="1 = improve first; the list is in this order")
    label: str = Field(description="focus_here, worth_improving, keep_up or low_priority")
    dissatisfier: bool = Field(description="Gains only below `threshold`")
    threshold: float | None


class DriversOut(Schema):
    n: int
    r2: float
    method: str
    drivers: list[DriverOut]


class SectorEdgesOut(Schema):
    q1: float
    median: float
    q3: float


class BenchmarkOut(Schema):
    """One grid cell of the sector benchmark under the disclosure rules
    (``metrics/disclosure.py``): no mean, no percentile rank, no exact quartile."""

    period: str  # the grid cell: a calendar quarter or year that is over
    requested_period: str | None  # the period asked for, when it mapped to ``period``
    channel: str | None
    shown: bool
    suppressed_by: str | None  # min_organisations, dominance or perturbation
    organisations: int | None  # contributors (each with min_responses or more)
    sector: SectorEdgesOut | None  # quartile edges, shifted by the noise and rounded
    own: float | None  # the organisation's own mean grade in the cell
    own_n: int
    band: str | None  # bottom, second, third or top quarter against ``sector``
    own_suppressed_by: str | None  # own_min_responses
    rules: dict[str, float]  # min_organisations, min_responses, dominance_share, noise…
    # linear (Hyndman-Fan type 7, numpy's default) plus the cell-key noise; an edge is
    # never an organisation's own figure
    quantile_method: str


WINDOW = (
    "Without period, since or until the figures cover the last twelve months, as on the "
    "pages: the twelve complete calendar months before the running one plus the running "
    "month up to today (e.g. 1 Dec 2025 – 30 Nov 2026 and December 2026 so far). "
    "period reads 2026-09, sep 2026, september 2026, 2026-Q3, Q3 2026, 2026 or a range "
    "of days such as 2026-01-15..2026-03-31 (Dutch and English month names)."
)


def _filters(filters: Filters, *, default_window: bool = True) -> MeasurementFilter:
    """The list's filters that make sense here (analyses are of the customer survey),
    checked, with the last twelve months when no period, since or until is given
    (``default_window``; the benchmark has its own default, the latest quarter)."""
    from django.utils import timezone

    from klantpeil.metrics.periods import last_twelve_months, parse_period
    from klantpeil.organisations.models import ChannelKind, Unit

    data = filters.dict()
    for key in ("limit", "offset", "instrument", "method"):
        data.pop(key)
    if data["period"]:
        try:
            data["period"] = parse_period(data["period"]).label
        except ValueError as exc:
            raise ApiError(422, "invalid", str(exc), "period") from None
    if data["channel"] and data["channel"] not in ChannelKind.values:
        raise ApiError(
            422,
            "invalid",
            f"{data['channel']!r} is not a channel; use one of {', '.join(ChannelKind.values)}",
            "channel",
        )
    if data["unit"] and not Unit.objects.filter(code=data["unit"]).exists():
        raise ApiError(422, "invalid", f"no unit with the code {data['unit']!r}", "unit")
    if default_window and not (data["period"] or data["since"] or data["until"]):
        window = last_twelve_months(timezone.localdate())
        data["since"], data["until"] = window.start, window.last_day
    return MeasurementFilter(**data)


def _estimate(e: Estimate) -> dict:
    if below_minimum_group(e.n):
        # A group below the minimum shows no figure (metrics.disclosure.MIN_GROUP).
        return {
            "value": None,
            "n": e.n,
            "ci_low": None,
            "ci_high": None,
            "small_sample": True,
            "too_few_responses": True,
        }
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
    description=WINDOW,
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


class WeightedEstimateOut(EstimateOut):
    effective_n: float = Field(
        description="Kish's effective n, (Σw)²/Σw²: what the weighted figure is worth in "
        "responses; the interval and small_sample use it"
    )


class OverallFigureOut(Schema):
    unweighted: EstimateOut = Field(description="All responses counted alike")
    weighted: WeightedEstimateOut | None = Field(
        description="Each channel counted as its share of contacts; null when not weighted"
    )


class MissingVolumeOut(Schema):
    channel: str
    months: list[str] = Field(description="Months (YYYY-MM) with responses and no volume")


class ChannelWeightOut(Schema):
    channel: str
    responses: int = Field(description="Overall-grade responses in the period")
    response_share: float
    contacts: int | None = Field(description="Contacts entered for the period's months")
    contact_share: float | None
    weight: float | None = Field(description="What one response counts for in the grade")


class OverallKpisOut(Schema):
    weighted: bool = Field(description="Whether the weighted figures are given")
    status: str = Field(
        description="weighted, or why not: no_responses, one_channel (a channel filter or "
        "one channel only), unit (volumes are organisation-wide), no_volumes, "
        "missing_volumes, no_contacts (a channel with responses has 0 contacts)"
    )
    explanation: str
    reason: str = Field(description="Why the figures are not weighted ('' when they are)")
    months: list[str] = Field(description="The months (YYYY-MM) whose volumes count")
    missing_volumes: list[MissingVolumeOut]
    grade: OverallFigureOut
    nps: OverallFigureOut
    ces: OverallFigureOut
    fcr: OverallFigureOut
    channels: list[ChannelWeightOut]


@router.get(
    "/kpis/overall",
    response={200: OverallKpisOut, **ERRORS},
    summary="All channels together, unweighted and weighted to the contact volumes",
    description=WINDOW
    + " Weighting: each channel counts as its share of the contacts entered for the "
    "period's months (PUT /channel-volumes); with any of those missing, only the "
    "unweighted figures are given and `status` says why.",
)
def overall_kpis(request: HttpRequest, filters: Query[Filters]) -> dict:
    overview = _guard(lambda: weighted_overview(_filters(filters)))

    def figure(name: str) -> dict:
        f = overview.figures[name]
        weighted = None
        if f.weighted is not None:
            weighted = {**_estimate(f.weighted.estimate), "effective_n": f.weighted.effective_n}
        return {"unweighted": _estimate(f.unweighted), "weighted": weighted}

    return {
        "weighted": overview.weighted,
        "status": overview.status,
        "explanation": str(EXPLANATION),
        "reason": overview.reason,
        "months": [f"{m:%Y-%m}" for m in overview.months],
        "missing_volumes": [
            {"channel": g.cell, "months": [f"{m:%Y-%m}" for m in g.months]} for g in overview.gaps
        ],
        **{name: figure(name) for name in ("grade", "nps", "ces", "fcr")},
        "channels": [
            {
                "channel": c.kind,
                "responses": c.responses,
                "response_share": c.response_share,
                "contacts": c.contacts,
                "contact_share": c.contact_share,
                "weight": c.weight,
            }
            for c in overview.channels
        ],
    }


@router.get(
    "/drivers",
    response={200: DriversOut, **ERRORS},
    summary="Key drivers of the overall grade (Shapley), ranked by expected gain in the grade",
    description=WINDOW,
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
    response={200: BenchmarkOut, **ERRORS},
    summary="The overall grade against the sector, on the fixed grid and disclosure-safe",
    description=(
        "Sector figures per calendar quarter or year once it is over (no period: the "
        "latest quarter), for all channels or one. A month or a range inside one quarter "
        "maps to that quarter; since/until, a unit, a period wider than a year or not "
        "over yet get a 422 naming the field. A cell is shown only with at least five "
        "organisations of at least 30 responses each and no organisation above 50% of "
        "the responses (``suppressed_by`` says which rule hid it), with the number of "
        "``organisations`` it rests on. Its quartiles are interpolated (Hyndman-Fan type 7, "
        "``quantile_method`` linear), shifted by 0.15 to 0.40 points (cell key) and rounded "
        "to 0.1; an edge that would equal an organisation's own figure is never published."
    ),
)
def grade_benchmark(request: HttpRequest, filters: Query[Filters]) -> dict:
    from klantpeil.analytics.sector import benchmark_grid
    from klantpeil.metrics import disclosure
    from klantpeil.organisations.models import ChannelKind

    for name in ("since", "until"):
        if getattr(filters, name, None):
            raise ApiError(
                422,
                "off_grid",
                "Benchmarks take a period (a quarter such as 2026-Q3, or a year), "
                f"not {name}: overlapping ranges could be subtracted from each other.",
                name,
            )
    chosen = _filters(filters, default_window=False)
    if chosen.channel and chosen.channel not in ChannelKind.values:
        raise ApiError(
            422,
            "invalid",
            f"{chosen.channel!r} is not a channel; use one of {', '.join(ChannelKind.values)}",
            "channel",
        )
    try:
        period, mapped = benchmark_grid(chosen)
        cell = sector_grade_benchmark(chosen)
    except disclosure.OffGrid as exc:
        field = "unit" if exc.code == "unit" else "period"
        raise ApiError(422, "off_grid", str(exc), field) from None
    except ValueError as exc:
        raise ApiError(422, "invalid", str(exc), "period") from None
    return {
        "period": period.label,
        "requested_period": chosen.period if mapped else None,
        "channel": chosen.channel,
        "shown": cell.edges is not None,
        "suppressed_by": cell.suppressed_by,
        "organisations": cell.organisations,
        "sector": None if cell.edges is None else cell.edges.__dict__,
        "own": cell.own,
        "own_n": cell.own_n,
        "band": cell.band,
        "own_suppressed_by": cell.own_suppressed_by,
        "quantile_method": disclosure.QUANTILE_METHOD,
        "rules": {
            "min_organisations": disclosure.MIN_ORGANISATIONS,
            "min_responses": disclosure.MIN_RESPONSES,
            "dominance_share": disclosure.DOMINANCE_SHARE,
            "noise_min": disclosure.NOISE_MIN,
            "noise_max": disclosure.NOISE_MAX,
            "step": disclosure.STEP,
        },
    }
