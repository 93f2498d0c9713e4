"""Reads that feed the pure analytics with the current organisation's data."""

from __future__ import annotations

import dataclasses
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone

from klantpeil.analytics import stats
from klantpeil.analytics.benchmarks import Correlation, correlation
from klantpeil.analytics.business_hours import Calendar
from klantpeil.analytics.drivers import (
    AsymmetricImpact,
    DriverAnalysis,
    Moments,
    analyse,
    bootstrap_shares,
    ranked_priorities,
)
from klantpeil.analytics.models import AnswerRollup
from klantpeil.analytics.periods import parse_period
from klantpeil.analytics.reachability import (
    Kpi,
    MysteryCall,
    MysteryEmail,
    Norms,
    counts_from_calls,
    email_kpis,
    reachability_kpis,
)
from klantpeil.analytics.rollups import (
    ALL_UNITS,
    MEASUREMENTS,
    folded_organisations,
    one_snapshot,
    pending_rows,
)
from klantpeil.analytics.significance import (
    Difference,
    mean_difference,
    nps_difference,
    proportion_difference,
)
from klantpeil.analytics.stats import Estimate
from klantpeil.collection.models import Answer, Measurement
from klantpeil.collection.selectors import (
    MIN_ANONYMOUS_GROUP,
    MeasurementFilter,
    anonymous_measurements_for_aggregates,
    channel_month_table,
    filtered_measurements,
    whole_quarters,
)
from klantpeil.core.tenancy import require_organisation
from klantpeil.instruments.models import Driver, Method, Question
from klantpeil.metrics import disclosure
from klantpeil.metrics.priority import TARGET_SECTOR
from klantpeil.organisations.models import Channel, ChannelKind, Organisation, Unit

TARGET = "overall_grade"
SURVEY = "customer-survey"
MIN_RESPONSES = 50


@dataclass(frozen=True)
class DriverPriority:
    """One driver's place in the one priority model (metrics/priority.py), with its share."""

    name: str
    rank: int  # the priority: 1 = improve first
    label: str  # focus_here, worth_improving, keep_up or low_priority
    share: float  # share of the explained variance (Shapley), unchanged
    performance: float  # the driver's mean score now
    target: float  # the mean score the gain assumes
    target_basis: str  # plus_one (default: one point up, at most 10) or sector_top_quartile
    expected_gain: float  # grade points if the driver rose to the target
    expected_gain_low: float  # 95% interval (delta method on the regression coefficient)
    expected_gain_high: float
    dissatisfier: bool  # gains only below ``threshold``
    threshold: float | None


@dataclass(frozen=True)
class MissingDriver:
    name: str
    reason: str  # phone_only or too_few_answers
    answers: int  # responses that answered it in the selection


@dataclass(frozen=True)
class DriverReport:
    analysis: DriverAnalysis
    priorities: list[DriverPriority]  # in priority order
    asymmetry: dict[str, AsymmetricImpact]
    intervals: dict[str, tuple[float, float]]  # bootstrap 95% interval of each share
    responses: int  # all responses in the selection, complete or not
    missing: list[MissingDriver] = dataclasses.field(default_factory=list)
    # The sector's targets that were used, by driver (their period and contributors).
    sector_targets: dict[str, DriverTarget] = dataclasses.field(default_factory=dict)


def _driver_rows(
    filters: MeasurementFilter,
) -> tuple[np.ndarray, list[str], list[MissingDriver], int]:
    """One row per response: the grade, then each driver's score (the mean of its items)."""
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    asked = list(Driver.values)
    rows = Answer.objects.filter(measurement__in=measurements, number__isnull=False).values_list(
        "measurement_id", "question__key", "question__driver", "number"
    )
    grade: dict[int, float] = {}
    items: list[tuple[int, int, float]] = []
    column = {d: i for i, d in enumerate(asked)}
    for measurement_id, key, driver, number in rows.iterator(chunk_size=20_000):
        if key == TARGET:
            grade[measurement_id] = number
        elif driver in column:
            items.append((measurement_id, column[driver], number))
    position = {m: i for i, m in enumerate(grade)}
    totals = np.zeros((len(grade), len(asked)))
    counts = np.zeros((len(grade), len(asked)))
    if items:
        kept = [(position[m], j, v) for m, j, v in items if m in position]
        if kept:
            r, c, v = (np.array(a) for a in zip(*kept, strict=True))
            np.add.at(totals, (r, c), v)
            np.add.at(counts, (r, c), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(counts > 0, totals / counts, np.nan)
    answered = (counts > 0).sum(axis=0)
    drivers, missing = [], []
    for j, d in enumerate(asked):
        if d == Driver.IVR_MENU and filters.channel != "phone":
            # Asked on phone contacts only; with it, listwise deletion would drop
            # every other channel's responses.
            missing.append(MissingDriver(d, "phone_only", int(answered[j])))
        elif answered[j] < MIN_RESPONSES:
            missing.append(MissingDriver(d, "too_few_answers", int(answered[j])))
        else:
            drivers.append(d)
    index = [column[d] for d in drivers]
    data = np.column_stack([np.array(list(grade.values()), dtype=float), scores[:, index]])
    return data.reshape(-1, len(drivers) + 1), drivers, missing, len(grade)


def driver_report(
    filters: MeasurementFilter, *, share_intervals: bool = True
) -> DriverReport | None:
    """Key drivers of the overall grade in the customer survey, or None below 50 responses.

    A driver's score is the mean of its items. The IVR menu counts only when the
    selection is the phone channel (other channels never ask it, and listwise
    deletion would otherwise drop every non-phone response); a driver answered by
    fewer than 50 responses is left out too; both are listed in ``missing`` with why.
    The priorities come from the one priority model (:mod:`klantpeil.metrics.priority`):
    expected gain in the grade at the default target, dissatisfiers (penalty–reward)
    gaining only below 5.5. ``share_intervals``: the bootstrap of the shares (200
    resamples), which only the pages that show them need.
    """
    data, drivers, missing, responses = _driver_rows(filters)
    complete = data[~np.isnan(data).any(axis=1)]
    if len(complete) < MIN_RESPONSES or not drivers:
        return None
    analysis = analyse(Moments.from_rows(complete), drivers)
    # The target is the sector's top quartile where a disclosure-safe benchmark exists
    # for the grid cell of these filters; elsewhere one point up (metrics.priority).
    sector = {d: t for d, t in sector_driver_targets(filters).items() if t and d in drivers}
    model, asymmetry = ranked_priorities(
        complete,
        drivers,
        targets={d: t.value for d, t in sector.items()},
        target_basis=TARGET_SECTOR,
    )
    shares = {d.name: d.share for d in analysis.drivers}
    return DriverReport(
        analysis=analysis,
        priorities=[
            DriverPriority(
                name=g.name,
                rank=g.priority,
                label=g.label,
                share=shares[g.name],
                performance=g.current,
                target=g.target,
                target_basis=g.target_basis,
                expected_gain=g.expected_gain,
                expected_gain_low=g.expected_gain_low,
                expected_gain_high=g.expected_gain_high,
                dissatisfier=g.dissatisfier,
                threshold=g.threshold,
            )
            for g in model.drivers
        ],
        asymmetry=asymmetry,
        intervals={
            d: (float(low), float(high))
            for d, (low, high) in zip(drivers, bootstrap_shares(complete), strict=True)
        }
        if share_intervals
        else {},
        responses=responses,
        sector_targets=sector,
        missing=missing,
    )


@dataclass(frozen=True)
class ChannelKpis:
    kind: str
    label: str
    grade: Estimate
    nps: Estimate
    ces: Estimate
    fcr: Estimate


KPI_KEYS = ("overall_grade", "nps", "ces", "solved_first_contact")


def _kpi_sums(answers) -> dict[tuple, dict]:
    """n, Σx, Σx² and counts per answer value, by channel kind and question key."""
    value_counts = {f"v{i}": Count("id", filter=Q(number=i)) for i in range(11)}
    rows = (
        answers.filter(question__key__in=KPI_KEYS, number__isnull=False)
        .values(kind=F("measurement__channel__kind"), key=F("question__key"))
        .annotate(
            n=Count("id"),
            total=Sum("number"),
            squares=Sum(F("number") * F("number")),
            **value_counts,
        )
    )
    return {(row["kind"], row["key"]): row for row in rows}


def _grade(row: dict) -> Estimate:
    """The mean grade of a row of sums, its interval kept on the 1–10 scale."""
    return stats.mean(row["n"], row["total"], row["squares"], scale=stats.GRADE_SCALE)


def _kpis(sums: dict, kind: str | None) -> dict[str, Estimate]:
    def get(key: str) -> dict | None:
        return sums.get((kind, key))

    grade, nps_row, ces_row, fcr_row = (get(k) for k in KPI_KEYS)
    empty = stats.proportion(0, 0)
    return {
        "grade": _grade(grade) if grade else empty,
        "nps": (
            stats.nps_from_counts([nps_row[f"v{i}"] for i in range(11)], method=stats.NPS_INTERVAL)
            if nps_row
            else empty
        ),
        "ces": (
            stats.mean(ces_row["n"], ces_row["total"], ces_row["squares"], scale=stats.CES_SCALE)
            if ces_row
            else empty
        ),
        "fcr": stats.proportion(fcr_row["v1"], fcr_row["n"]) if fcr_row else empty,
    }


UNFOLDED_LIMIT = 20_000


def _unfolded(measurements: QuerySet, organisations: Iterable[int] | None = None) -> QuerySet:
    """Those of ``measurements`` not in the rollups yet: the ones whose "measurement
    recorded" outbox row the worker has not consumed, and all of an organisation
    whose rollups were never built. The cells leave exactly these out (see
    analytics/rollups.py), so cells plus this tail count each one once.

    The pending ids are read first, from the outbox (the worker's backlog, small),
    so the cost does not follow the size of the table. ``organisations``: default
    the current one.
    """
    organisations = list(organisations or [require_organisation().pk])
    folded = folded_organisations(organisations)
    never = Q(organisation_id__in=[o for o in organisations if o not in folded])
    pending = pending_rows().filter(organisation_id__in=list(folded))
    ids = list(pending.values_list("measurement_id", flat=True)[: UNFOLDED_LIMIT + 1])
    if len(ids) > UNFOLDED_LIMIT:  # a worker far behind: let the database find them
        return measurements.filter(Q(id__in=pending.values("measurement_id")) | never)
    return measurements.filter(Q(id__in=ids) | never)


def _unfolded_answers(
    measurements: QuerySet, organisations: Iterable[int] | None = None
) -> QuerySet[Answer]:
    """The answers of the (tenant-scoped) ``measurements`` not yet in the rollups.

    The ids are fetched first and passed as a list, so the database looks the
    answers up by measurement; given a subquery, SQLite would rather scan the
    organisation's answers. The ids carry the scope, hence ``all_tenants``.
    """
    unfolded = _unfolded(measurements, organisations)
    ids = list(unfolded.values_list("id", flat=True)[: UNFOLDED_LIMIT + 1])
    if len(ids) > UNFOLDED_LIMIT:
        return Answer.all_tenants.filter(measurement__in=unfolded)
    return Answer.all_tenants.filter(measurement_id__in=ids)


def _rolled_kpi_sums(filters: MeasurementFilter) -> dict[tuple, dict]:
    """The same sums as :func:`_kpi_sums`, from the daily rollups plus what the
    worker has not folded in yet (measurements whose outbox row is pending).

    The cost follows the number of day cells shown, not the number of stored
    answers. A correction recomputes its day as it is made, so its original is
    never counted beside it.
    """
    cells = AnswerRollup.objects.filter(instrument__key=SURVEY, question_key__in=KPI_KEYS)
    if filters.period:
        period = parse_period(filters.period)
        cells = cells.filter(day__gte=period.start, day__lt=period.end)
    if filters.since:
        cells = cells.filter(day__gte=filters.since)
    if filters.until:
        cells = cells.filter(day__lte=filters.until)
    if filters.channel:
        cells = cells.filter(
            channel_key__in=Channel.objects.filter(kind=filters.channel).values("id")
        )
    if filters.unit:
        cells = cells.filter(unit_key__in=Unit.objects.filter(code=filters.unit).values("id"))
    else:
        cells = cells.filter(unit_key=ALL_UNITS)
    value_sums = {f"v{i}": Sum(f"v{i}") for i in range(11)}
    rows = cells.values("channel_key", key=F("question_key")).annotate(
        n=Sum("n"), total=Sum("total"), squares=Sum("total_squares"), **value_sums
    )
    kinds = dict(Channel.objects.values_list("id", "kind"))
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    with one_snapshot():  # cells and tail as of one moment, whatever a fold commits meanwhile
        sums = _kpi_sums(_unfolded_answers(measurements))
        rows = list(rows)
    for row in rows:
        cell = (kinds.get(row["channel_key"]), row["key"])
        if cell in sums:
            sums[cell] = {k: sums[cell][k] + row[k] for k in ("n", "total", "squares", *value_sums)}
        else:
            sums[cell] = row
    return sums


def _survey_sums(filters: MeasurementFilter, from_rollups: bool = True) -> dict[tuple, dict]:
    if from_rollups and not filters.method:
        return _rolled_kpi_sums(filters)
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    return _kpi_sums(Answer.objects.filter(measurement__in=measurements))


def _difference(metric: str, before: dict, after: dict) -> Difference | None:
    """The change of one KPI between two periods' sums, or None when it cannot be tested."""

    def counts(row: dict) -> tuple[int, int, int]:
        promoters = row["v9"] + row["v10"]
        detractors = sum(row[f"v{i}"] for i in range(7))
        return promoters, row["n"] - promoters - detractors, detractors

    try:
        if metric in ("overall_grade", "ces"):
            return mean_difference(
                (before["n"], before["total"], before["squares"]),
                (after["n"], after["total"], after["squares"]),
            )
        if metric == "nps":
            return nps_difference(counts(before), counts(after))
        share = proportion_difference(before["v1"], before["n"], after["v1"], after["n"])
        # In percentage points, like the NPS: "+5 pp" reads better than "+0.05".
        return dataclasses.replace(
            share,
            difference=100 * share.difference,
            standard_error=100 * share.standard_error,
            ci_low=100 * share.ci_low,
            ci_high=100 * share.ci_high,
        )
    except ValueError:  # too few answers in one of the periods to test at all
        return None


def channel_changes(
    filters: MeasurementFilter | None, previous: MeasurementFilter | None
) -> dict[str, dict[str, Difference]]:
    """Per channel and KPI (grade, nps, ces, fcr), the change from ``previous`` to
    ``filters`` with its test: Welch's t for means, the trinomial z for NPS and the
    two-proportion z for first-contact resolution. Only where both periods have data.

    The two should cover the same months and days (``dashboards.filters.compare``);
    None for either means there is no like-for-like comparison, so no change."""
    if filters is None or previous is None:
        return {}
    before, after = _survey_sums(previous), _survey_sums(filters)
    names = dict(zip(KPI_KEYS, ("grade", "nps", "ces", "fcr"), strict=True))
    changes: dict[str, dict[str, Difference]] = defaultdict(dict)
    for (kind, key), row in after.items():
        if kind and (kind, key) in before:
            difference = _difference(key, before[(kind, key)], row)
            if difference is not None:
                changes[kind][names[key]] = difference
    return dict(changes)


def _all_channels(sums: dict[tuple, dict]) -> dict[tuple, dict]:
    """Per-channel sums added up into one "all channels" cell per KPI (kind None)."""
    fields = ("n", "total", "squares", *(f"v{i}" for i in range(11)))
    every: dict[tuple, dict] = {}
    for (kind, key), row in sums.items():
        if kind is not None:
            cell = every.setdefault((None, key), dict.fromkeys(fields, 0))
            for field in fields:
                cell[field] += row[field] or 0
    return every


@dataclass(frozen=True)
class SurveySummary:
    overall: ChannelKpis
    channels: list[ChannelKpis]
    grade_change: Difference | None  # overall grade against the previous period


def survey_summary(
    filters: MeasurementFilter,
    previous: MeasurementFilter | None,
    *,
    compared: MeasurementFilter | None = None,
) -> SurveySummary:
    """All channels and each channel, and the overall grade's change with Welch's test,
    from one read of each period's sums.

    The change compares ``compared`` (default ``filters``) with ``previous``: pass the
    like-for-like spans when ``filters`` is still running; ``previous`` None: no change."""
    after = _survey_sums(filters)
    every = _all_channels(after)
    now = every.get((None, TARGET))
    before = None
    if previous is not None:
        before = _all_channels(_survey_sums(previous)).get((None, TARGET))
        if compared is not None and compared != filters:
            now = _all_channels(_survey_sums(compared)).get((None, TARGET))
    return SurveySummary(
        overall=ChannelKpis("all", "", **_kpis(every, None)),
        channels=_channel_rows(after),
        grade_change=_difference(TARGET, before, now) if before and now else None,
    )


def channel_kpis(filters: MeasurementFilter, *, from_rollups: bool = True) -> list[ChannelKpis]:
    """Grade, NPS, CES and first-contact resolution per channel, each with n and interval.

    Read from the rollups unless the filters ask for something they do not keep
    (the collection method), or ``from_rollups`` is False (the raw aggregate the
    tests and the benchmark compare with).
    """
    return _channel_rows(_survey_sums(filters, from_rollups))


def _channel_rows(sums: dict[tuple, dict]) -> list[ChannelKpis]:
    labels = dict(ChannelKind.choices)
    kinds = sorted({kind for kind, _ in sums if kind}, key=lambda k: list(labels).index(k))
    return [ChannelKpis(kind, str(labels[kind]), **_kpis(sums, kind)) for kind in kinds]


def counts_per_channel_and_month(
    *,
    since: date,
    until: date | None = None,
    channel: str | None = None,
    unit: str | None = None,
) -> tuple[list[date], list[dict]]:
    """Current customer-facing measurements per channel and calendar month from ``since``
    (to ``until``, inclusive), narrowed to ``channel`` and ``unit``: from the rollups'
    measurement cells plus what the worker has not folded in yet.

    Employee-survey responses are never counted here: they are not customer contacts."""
    kinds = dict(Channel.objects.values_list("id", "kind"))
    cells = (
        AnswerRollup.objects.filter(
            _day_range(MeasurementFilter(since=since, until=until)),
            _unit_cells(unit),
            question_key=MEASUREMENTS,
        )
        .exclude(instrument__method=Method.EMPLOYEE_SURVEY)
        .annotate(month=TruncMonth("day"))
        .values_list("channel_key", "month")
        .annotate(n=Sum("n"))
    )
    rows = [
        (kinds.get(key), month, n)
        for key, month, n in cells
        if not channel or kinds.get(key) == channel
    ]
    measurements = filtered_measurements(
        MeasurementFilter(since=since, until=until, channel=channel, unit=unit)
    ).exclude(method=Method.EMPLOYEE_SURVEY)
    tail = (
        _unfolded(measurements)
        .annotate(month=TruncMonth("occurred_at"))
        .values_list("channel__kind", "month")
        .annotate(n=Count("id"))
    )
    return channel_month_table([*rows, *tail])


def _unit_cells(unit: str | None) -> Q:
    """Rollup cells of one unit (by its code), or the cells summed over all units."""
    if unit:
        return Q(unit_key__in=Unit.objects.filter(code=unit).values("id"))
    return Q(unit_key=ALL_UNITS)


def first_customer_day(*, channel: str | None = None, unit: str | None = None) -> date | None:
    """The first day (Amsterdam) with a customer-facing measurement in the current
    organisation, narrowed to ``channel`` and ``unit``; None without any. A comparison
    with a period before this day would rest on part of that period only."""
    from django.db.models import Min
    from django.utils import timezone

    first = (
        filtered_measurements(MeasurementFilter(channel=channel, unit=unit))
        .exclude(method=Method.EMPLOYEE_SURVEY)
        .aggregate(first=Min("occurred_at"))["first"]
    )
    return timezone.localtime(first).date() if first else None


def _day_range(filters: MeasurementFilter) -> Q:
    """The filters' period, since and until as a condition on rollup days."""
    days = Q()
    if filters.period:
        period = parse_period(filters.period)
        days &= Q(day__gte=period.start, day__lt=period.end)
    if filters.since:
        days &= Q(day__gte=filters.since)
    if filters.until:
        days &= Q(day__lte=filters.until)
    return days


@dataclass(frozen=True)
class SectorRow:
    """One channel's grid cell as the current organisation may see it."""

    channel: str | None  # channel kind; None: all channels
    label: str
    cell: disclosure.Cell


@dataclass(frozen=True)
class SectorComparison:
    """The sector benchmark of one grid period (``metrics/disclosure.py``)."""

    period: disclosure.GridPeriod | None  # None: the request was refused
    requested: str | None  # the period asked for, when it was not itself a grid cell
    refused: str  # why no grid cell fits the request ("" when one does)
    rows: list[SectorRow]


def _benchmark_secret() -> bytes:
    """The cell key's secret: without it nobody can recompute (and subtract) the noise."""
    from django.conf import settings

    return hmac.new(settings.SECRET_KEY.encode(), b"klantpeil-benchmark", "sha256").digest()


def benchmark_grid(filters: MeasurementFilter) -> tuple[disclosure.GridPeriod, bool]:
    """The grid period a request maps to, and whether it was mapped.

    Benchmarks compare whole organisations on a fixed grid: a unit filter is
    refused, and so is a period that is wider than a year or not over yet
    (``OffGrid``, a ValueError with the reason). ``since``/``until`` are ignored:
    they are the pages' default window (the API refuses them itself); without a
    period the latest quarter that is over is shown.
    """
    today = timezone.localdate()
    if filters.unit:
        raise disclosure.OffGrid(
            "unit",
            "benchmarks compare whole organisations; leave out the unit",
            disclosure.latest_complete_quarter(today),
        )
    if not filters.period:
        return disclosure.grid_period(None, None, today=today)
    period = parse_period(filters.period)
    return disclosure.grid_period(period.start, period.end, today=today)


def _sector_sums(
    period: disclosure.GridPeriod, channel: str | None, keys: Iterable[str]
) -> dict[tuple[int, str], list[float]]:
    """Per organisation of the current organisation's sector and question key: the
    number and the sum of the numeric answers in one grid cell.

    THE one read across organisations (the loud ``all_tenants``) for benchmarks:
    its result never leaves this module except through the disclosure rules.
    Sums come from the rollups plus what the worker has not folded in yet.
    """
    keys = list(keys)
    organisation = require_organisation()
    peers = list(
        Organisation.objects.filter(sector_id=organisation.sector_id).values_list("pk", flat=True)
    )
    channels = Channel.all_tenants.filter(organisation_id__in=peers, kind=channel)
    cells = AnswerRollup.all_tenants.filter(
        day__gte=period.start,
        day__lt=period.end,
        organisation_id__in=peers,
        instrument__key=SURVEY,
        question_key__in=keys,
        unit_key=ALL_UNITS,
        **({"channel_key__in": channels.values("pk")} if channel else {}),
    )
    sums: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for owner, key, n, total in cells.values_list("organisation_id", "question_key").annotate(
        n=Sum("n"), total=Sum("total")
    ):
        sums[owner, key] = [n, total]
    base = Measurement.all_tenants.filter(
        organisation_id__in=peers,
        superseded_at__isnull=True,
        instrument_version__instrument__key=SURVEY,
        **({"channel__kind": channel} if channel else {}),
    )
    window = MeasurementFilter(since=period.start, until=period.end - timedelta(days=1))
    bounded = filtered_measurements(window, base=base)
    tail = _unfolded_answers(bounded, peers).filter(question__key__in=keys, number__isnull=False)
    for owner, key, n, total in tail.values_list("organisation_id", "question__key").annotate(
        n=Count("id"), total=Sum("number")
    ):
        sums[owner, key][0] += n
        sums[owner, key][1] += total
    return sums


def _cell(
    contributions: list[disclosure.Contribution], figure: str, channel: str | None, period
) -> disclosure.Cell:
    organisation = require_organisation()
    return disclosure.protected_cell(
        contributions,
        organisation.pk,
        secret=_benchmark_secret(),
        label=f"{organisation.sector_id}|{channel or 'all'}|{period.label}|{figure}",
    )


def _grade_cell(period: disclosure.GridPeriod, channel: str | None) -> disclosure.Cell:
    sums = _sector_sums(period, channel, [TARGET])
    contributions = [
        disclosure.Contribution(owner, int(n), total / n)
        for (owner, _), (n, total) in sums.items()
        if n
    ]
    return _cell(contributions, TARGET, channel, period)


def sector_grade_benchmark(filters: MeasurementFilter) -> disclosure.Cell:
    """The overall grade of the current organisation against its sector, in the grid
    cell of ``filters`` (period and channel); raises ``OffGrid`` for a request that has
    none. Only what ``metrics.disclosure`` lets through: noisy, rounded quartile edges,
    the own band and the rule that suppressed a cell; never a peer's figure."""
    period, _mapped = benchmark_grid(filters)
    return _grade_cell(period, filters.channel)


def _offgrid_message(error: disclosure.OffGrid, requested: str | None) -> str:
    from django.utils.translation import gettext

    if error.code == "unit":
        return gettext(
            "The sector comparison is for whole organisations: it is not shown for a single unit."
        )
    if error.code == "incomplete":
        return gettext(
            "Sector figures for %(period)s are published once %(cell)s is over; the latest "
            "are for %(latest)s."
        ) % {"period": requested, "cell": error.cell.label, "latest": error.latest.label}
    return gettext(
        "Sector figures exist per quarter and per calendar year only; %(period)s is neither "
        "inside one quarter nor inside one year. The latest are for %(latest)s."
    ) % {"period": requested, "latest": error.latest.label}


def sector_grade_benchmarks(
    filters: MeasurementFilter, *, per_channel: bool = True
) -> SectorComparison:
    """The sector position over all channels, then per channel the organisation has,
    in the grid cell of ``filters``; a request off the grid gives the reason instead.

    ``per_channel=False``: only the cell of the filters' channel (all channels when
    none), for the overview's callout."""
    from django.utils.translation import gettext

    try:
        period, mapped = benchmark_grid(filters)
    except disclosure.OffGrid as error:
        return SectorComparison(None, filters.period, _offgrid_message(error, filters.period), [])
    except ValueError as error:  # a period nobody can read: say so, show nothing
        return SectorComparison(None, filters.period, str(error), [])
    if not per_channel:
        label = dict(ChannelKind.choices).get(filters.channel, gettext("All channels"))
        cell = _grade_cell(period, filters.channel)
        return SectorComparison(
            period,
            filters.period if mapped else None,
            "",
            [SectorRow(filters.channel, str(label), cell)],
        )
    kinds = set(Channel.objects.values_list("kind", flat=True))
    rows = [SectorRow(None, gettext("All channels"), _grade_cell(period, None))]
    rows += [
        SectorRow(kind, str(label), _grade_cell(period, kind))
        for kind, label in ChannelKind.choices
        if kind in kinds
    ]
    return SectorComparison(period, filters.period if mapped else None, "", rows)


@dataclass(frozen=True)
class DriverTarget:
    """A disclosure-safe sector target for one driver: the published upper-quartile
    edge (cell-key noise, rounded to 0.1) of the organisations' driver scores."""

    value: float
    period: str
    organisations: int


def sector_driver_targets(filters: MeasurementFilter) -> dict[str, DriverTarget | None]:
    """Per driver, the sector's top quartile as a target for the priority model, or None
    where no disclosure-safe benchmark exists (too few organisations with 30 responses,
    one dominant organisation, or a request off the grid).

    An organisation's driver score is the mean of its items' means in the grid cell of
    ``filters`` (period and channel); the target is that cell's published upper
    quartile edge, the same figure and rules as the benchmark page (``metrics.disclosure``),
    so it never equals a peer's score.
    """
    drivers: dict[str, list[str]] = defaultdict(list)
    for key, driver in (
        Question.objects.filter(version__instrument__key=SURVEY)
        .exclude(driver="")
        .values_list("key", "driver")
        .distinct()
    ):
        if key not in drivers[driver]:
            drivers[driver].append(key)
    empty: dict[str, DriverTarget | None] = dict.fromkeys(Driver.values)
    try:
        period, _mapped = benchmark_grid(dataclasses.replace(filters, unit=None))
    except disclosure.OffGrid:
        return empty
    sums = _sector_sums(period, filters.channel, [k for keys in drivers.values() for k in keys])
    owners = {owner for owner, _ in sums}
    targets = empty
    for driver, keys in drivers.items():
        contributions = []
        for owner in owners:
            items = [sums[owner, k] for k in keys if sums.get((owner, k), [0])[0]]
            if len(items) == len(keys):
                n = int(min(count for count, _ in items))
                score = sum(total / count for count, total in items) / len(items)
                contributions.append(disclosure.Contribution(owner, n, score))
        cell = _cell(contributions, driver, filters.channel, period)
        targets[driver] = (
            DriverTarget(cell.edges.q3, period.label, cell.organisations)
            if cell.edges is not None and cell.organisations
            else None
        )
    return targets


PHONE_PROTOCOL = "mystery-phone"
_CALL_FIELDS = (
    "connected",
    "seconds_to_answer",
    "ivr_options",
    "transferred",
    "ended_at",
    "callback_promised",
    "callback_hours",
    "answer_correct",
    "empathy",
)
_BOOLEAN = {"connected", "transferred", "callback_promised", "answer_correct", "empathy"}


def organisation_norms() -> Norms:
    """NEN 8878 defaults, overridden by what the organisation has configured."""
    configured = require_organisation().norms or {}
    known = {k: float(v) for k, v in configured.items() if k in Norms.__dataclass_fields__}
    return Norms(**known)


def reachability_of(measurements: QuerySet, norms: Norms) -> dict[str, Kpi]:
    """The reachability KPIs of these mystery-call measurements."""
    calls: dict[int, dict] = defaultdict(dict)
    for measurement_id, key, number, text in Answer.objects.filter(
        measurement__in=measurements, question__key__in=_CALL_FIELDS
    ).values_list("measurement_id", "question__key", "number", "text"):
        if key == "ended_at":
            calls[measurement_id][key] = text
        elif key in _BOOLEAN:
            calls[measurement_id][key] = bool(number) if number is not None else None
        else:
            calls[measurement_id][key] = number
    counts = counts_from_calls((MysteryCall(**values) for values in calls.values()), norms)
    return reachability_kpis(counts, norms)


def reachability(filters: MeasurementFilter) -> tuple[dict[str, Kpi], Norms]:
    """The reachability KPIs of the organisation's mystery calls matching ``filters``."""
    norms = organisation_norms()
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=PHONE_PROTOCOL))
    return reachability_of(measurements, norms), norms


EMPLOYEE_SURVEY = "employee-survey"
MIN_EMPLOYEES = MIN_ANONYMOUS_GROUP  # never shown for fewer respondents (anonymity)


@dataclass(frozen=True)
class UnitLink:
    unit: str
    quarter: str
    employee: Estimate  # employee grade
    customer: Estimate  # customers' overall grade


@dataclass(frozen=True)
class EmployeeCustomerLink:
    pairs: list[UnitLink]  # unit × quarter cells with at least MIN_EMPLOYEES respondents
    hidden: int  # cells left out because too few employees answered
    correlation: Correlation | None  # across the pairs; None below 4 pairs


def _grade_sums(
    instrument: str, key: str, filters: MeasurementFilter, base: QuerySet | None = None
) -> dict[tuple, dict]:
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=instrument), base)
    rows = (
        Answer.objects.filter(measurement__in=measurements, question__key=key, number__isnull=False)
        .annotate(quarter=TruncQuarter("measurement__occurred_at"))
        .values("quarter", unit_name=F("measurement__unit__name"))
        .annotate(n=Count("id"), total=Sum("number"), squares=Sum(F("number") * F("number")))
    )
    return {(r["unit_name"], r["quarter"]): r for r in rows if r["unit_name"]}


def employee_customer_link(filters: MeasurementFilter) -> EmployeeCustomerLink:
    """Employee grade against customer grade per unit and quarter, with their correlation.

    Pairs are unit × quarter so that an organisation with a handful of units still
    has enough points; a cell with fewer than five employee responses is left out
    entirely, so no page, export or API can narrow down who said what.
    """
    # The one deliberate read of anonymous responses: on whole quarters (no cell can be
    # cut down to differ by one person), and cells below MIN_EMPLOYEES are dropped.
    filters = whole_quarters(filters)
    employees = _grade_sums(
        EMPLOYEE_SURVEY, "employee_grade", filters, anonymous_measurements_for_aggregates()
    )
    customers = _grade_sums(SURVEY, "overall_grade", filters)
    pairs, hidden = [], 0
    for cell, e in sorted(employees.items(), key=lambda item: (item[0][1], item[0][0])):
        if e["n"] < MIN_EMPLOYEES:
            hidden += 1
            continue
        c = customers.get(cell)
        if c is None:
            continue
        unit, quarter = cell
        label = f"{quarter.year}-Q{(quarter.month - 1) // 3 + 1}"
        pairs.append(
            UnitLink(
                unit,
                label,
                _grade(e),
                _grade(c),
            )
        )
    link = correlation([p.employee.value for p in pairs], [p.customer.value for p in pairs])
    return EmployeeCustomerLink(pairs, hidden, link)


EMAIL_NORM_HOURS = 16  # two working days of eight office hours (the government e-mail code)


def email_kpis_of(measurements: QuerySet) -> dict:
    """The mystery e-mail KPIs of these measurements, in business hours: Dutch office
    hours and public holidays, Europe/Amsterdam, clock changes included."""
    fields = {f.name for f in dataclasses.fields(MysteryEmail)}
    emails: dict[int, dict] = defaultdict(dict)
    for measurement_id, key, number, moment in Answer.objects.filter(
        measurement__in=measurements, question__key__in=fields
    ).values_list("measurement_id", "question__key", "number", "moment"):
        if key in ("sent_at", "answered_at"):
            emails[measurement_id][key] = moment
        elif key in ("answer_correct", "complete"):
            emails[measurement_id][key] = None if number is None else bool(number)
        else:
            emails[measurement_id][key] = number
    sent = [MysteryEmail(**values) for values in emails.values() if values.get("sent_at")]
    years = {e.sent_at.year for e in sent} | {e.answered_at.year for e in sent if e.answered_at}
    return email_kpis(sent, Calendar.dutch(years or {date.today().year}), EMAIL_NORM_HOURS)


@dataclass(frozen=True)
class MonthlyGrade:
    month: date
    kind: str
    label: str
    grade: Estimate


def monthly_grades(
    *,
    since: date,
    until: date | None = None,
    channel: str | None = None,
    unit: str | None = None,
) -> list[MonthlyGrade]:
    """The customer survey's overall grade per channel and calendar month from ``since``
    (to ``until``, inclusive), narrowed to ``channel`` and ``unit``, each with n and
    interval: from the rollups plus what the worker has not folded in."""
    kinds = dict(Channel.objects.values_list("id", "kind"))
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    cells = (
        AnswerRollup.objects.filter(
            _day_range(MeasurementFilter(since=since, until=until)),
            _unit_cells(unit),
            instrument__key=SURVEY,
            question_key=TARGET,
        )
        .annotate(month=TruncMonth("day"))
        .values_list("channel_key", "month")
        .annotate(n=Sum("n"), total=Sum("total"), squares=Sum("total_squares"))
    )
    for key, month, n, total, squares in cells:
        if channel and kinds.get(key) != channel:
            continue
        cell = sums[(kinds.get(key), month)]
        cell[0], cell[1], cell[2] = cell[0] + n, cell[1] + total, cell[2] + squares
    measurements = filtered_measurements(
        MeasurementFilter(since=since, until=until, instrument=SURVEY, channel=channel, unit=unit)
    )
    tail = (
        _unfolded_answers(measurements)
        .filter(question__key=TARGET, number__isnull=False)
        .annotate(month=TruncMonth("measurement__occurred_at"))
        .values_list("measurement__channel__kind", "month")
        .annotate(n=Count("id"), total=Sum("number"), squares=Sum(F("number") * F("number")))
    )
    for kind, moment, n, total, squares in tail:
        cell = sums[(kind, moment.date() if isinstance(moment, datetime) else moment)]
        cell[0], cell[1], cell[2] = cell[0] + n, cell[1] + total, cell[2] + squares
    labels = dict(ChannelKind.choices)
    return [
        MonthlyGrade(
            month, kind, str(labels[kind]), stats.mean(n, total, squares, scale=stats.GRADE_SCALE)
        )
        for (kind, month), (n, total, squares) in sorted(
            sums.items(), key=lambda item: (item[0][1], list(labels).index(item[0][0]))
        )
        if kind and n
    ]
