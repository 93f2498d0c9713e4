"""Reads of the current organisation's customer-survey KPIs: per channel, per month, changes."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import (
    MeasurementFilter,
    channel_month_table,
    filtered_measurements,
)
from klantpeil.core.tenancy import require_organisation
from klantpeil.instruments.models import Method
from klantpeil.metrics import stats
from klantpeil.metrics.periods import parse_period
from klantpeil.metrics.significance import (
    Difference,
    mean_difference,
    nps_difference,
    proportion_difference,
)
from klantpeil.metrics.stats import Estimate
from klantpeil.organisations.models import Channel, ChannelKind, Unit
from klantpeil.rollups.models import AnswerRollup
from klantpeil.rollups.services import (
    ALL_UNITS,
    MEASUREMENTS,
    folded_organisations,
    one_snapshot,
    pending_rows,
)

TARGET = "overall_grade"
SURVEY = "customer-survey"
MIN_RESPONSES = 50


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


def grade_of_sums(row: dict) -> Estimate:
    """The mean grade of a row of sums, its interval kept on the 1–10 scale."""
    return stats.mean(row["n"], row["total"], row["squares"], scale=stats.GRADE_SCALE)


def _kpis(sums: dict, kind: str | None) -> dict[str, Estimate]:
    def get(key: str) -> dict | None:
        return sums.get((kind, key))

    grade, nps_row, ces_row, fcr_row = (get(k) for k in KPI_KEYS)
    empty = stats.proportion(0, 0)
    return {
        "grade": grade_of_sums(grade) if grade else empty,
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


def unfolded_answers(
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
        sums = _kpi_sums(unfolded_answers(measurements))
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
        unfolded_answers(measurements)
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
