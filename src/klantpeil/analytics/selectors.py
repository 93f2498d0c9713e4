"""Reads of the current organisation's customer-survey KPIs: per channel, per month, changes."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, Sum

from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import (
    MeasurementFilter,
    channel_month_table,
    filtered_measurements,
)
from klantpeil.core.tenancy import current_units
from klantpeil.instruments.models import Method
from klantpeil.metrics import kpis, stats
from klantpeil.metrics.significance import (
    Difference,
    mean_difference,
    nps_difference,
    proportion_difference,
)
from klantpeil.metrics.stats import Estimate
from klantpeil.organisations.models import ChannelKind
from klantpeil.organisations.selectors import descendant_ids
from klantpeil.rollups import reader
from klantpeil.rollups.reader import Days
from klantpeil.rollups.services import MEASUREMENTS

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


KPI_KEYS = kpis.QUESTION_KEYS  # overall_grade, nps, ces, solved_first_contact


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
    """The mean grade of a row of n, Σx and Σx² (a mean needs no counts per value), its
    interval kept on the 1–10 scale."""
    return kpis.grade(
        kpis.Sums(int(row["n"] or 0), float(row["total"] or 0), float(row["squares"] or 0))
    )


def _kpis(sums: dict, kind: str | None) -> dict[str, Estimate]:
    """Grade, NPS, CES and FCR of one channel kind (None: all channels), by the catalogue."""
    return kpis.survey_kpis(
        {key: kpis.Sums.from_row(row) for (k, key), row in sums.items() if k == kind}
    )


def units_of(unit: str | None) -> set[int] | None:
    """The unit filter as the rollup reader takes it: the ids of the unit with this code
    and of all its sub-units (none when no unit has it), or None for all units.

    For a member limited to units (core/tenancy.py) "all units" means theirs: the sum
    of their units' own cells, never the organisation's all-units cells (the rollups'
    manager keeps those out too, so a mistake here shows nothing rather than the
    organisation's totals); another unit's code finds no unit (the unit manager is
    scoped too), so no cells."""
    if unit:
        # The unit and its sub-units (organisations.selectors.descendant_ids).
        return set(descendant_ids(unit))
    scope = current_units()
    return None if scope is None else set(scope)


def _rolled_kpi_sums(filters: MeasurementFilter) -> dict[tuple, dict]:
    """The same sums as :func:`_kpi_sums`, from the daily rollups plus what the
    worker has not folded in yet (:mod:`klantpeil.rollups.reader`).

    The cost follows the number of day cells shown, not the number of stored
    answers. A correction recomputes its day as it is made, so its original is
    never counted beside it.
    """
    return reader.answer_sums(
        keys=KPI_KEYS,
        instrument=SURVEY,
        days=Days.of(filters.period, filters.since, filters.until),
        channel=filters.channel,
        units=units_of(filters.unit),
        by=("channel", "key"),
    )


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
    sums = reader.answer_sums(
        keys=[MEASUREMENTS],
        exclude_methods=[Method.EMPLOYEE_SURVEY],
        days=Days(since, until),
        channel=channel,
        units=units_of(unit),
        by=("channel", "month"),
    )
    return channel_month_table([(kind, month, row["n"]) for (kind, month), row in sums.items()])


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
    sums = reader.answer_sums(
        keys=[TARGET],
        instrument=SURVEY,
        days=Days(since, until),
        channel=channel,
        units=units_of(unit),
        by=("channel", "month"),
    )
    labels = dict(ChannelKind.choices)
    return [
        MonthlyGrade(
            month, kind, str(labels[kind]), stats.mean(n, total, squares, scale=stats.GRADE_SCALE)
        )
        for (kind, month), (n, total, squares) in sorted(
            ((group, (r["n"], r["total"], r["squares"])) for group, r in sums.items() if group[0]),
            key=lambda item: (item[0][1], list(labels).index(item[0][0])),
        )
        if n
    ]


def survey_sums(filters: MeasurementFilter) -> dict[tuple, dict]:
    """Per (channel kind, KPI question key): n, Σx, Σx² and the counts of the answers
    0–10, as the KPIs are computed from; the input of the weighted overview."""
    return _survey_sums(filters)


def overall_kpis(sums: dict[tuple, dict]) -> ChannelKpis:
    """The KPIs of all channels together (unweighted) from :func:`survey_sums`."""
    return ChannelKpis("all", "", **_kpis(_all_channels(sums), None))
