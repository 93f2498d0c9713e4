"""Reads that feed the pure analytics with the current organisation's data."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter

from klantpeil.analytics import stats
from klantpeil.analytics.benchmarks import Benchmark, Correlation, benchmark, correlation
from klantpeil.analytics.business_hours import Calendar
from klantpeil.analytics.drivers import (
    AsymmetricImpact,
    DriverAnalysis,
    Moments,
    Priority,
    analyse,
    bootstrap_shares,
    importance_performance,
    penalty_reward,
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
from klantpeil.analytics.rollups import ALL_UNITS, MEASUREMENTS, folded_up_to
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
    current_measurements,
    filtered_measurements,
    whole_quarters,
)
from klantpeil.core.tenancy import require_organisation
from klantpeil.instruments.models import Driver
from klantpeil.organisations.models import Channel, ChannelKind, Organisation, Unit

TARGET = "overall_grade"
SURVEY = "customer-survey"
MIN_RESPONSES = 50


@dataclass(frozen=True)
class DriverReport:
    analysis: DriverAnalysis
    priorities: list[Priority]
    asymmetry: dict[str, AsymmetricImpact]
    intervals: dict[str, tuple[float, float]]  # bootstrap 95% interval of each share
    responses: int  # all responses in the selection, complete or not


def driver_report(filters: MeasurementFilter) -> DriverReport | None:
    """Key drivers of the overall grade in the customer survey, or None below 50 responses.

    A driver's score is the mean of its items. The IVR menu counts only when the
    selection is the phone channel (other channels never ask it, and listwise
    deletion would otherwise drop every non-phone response).
    """
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    drivers = [d for d in Driver.values if d != Driver.IVR_MENU or filters.channel == "phone"]
    rows = Answer.objects.filter(measurement__in=measurements, number__isnull=False).values_list(
        "measurement_id", "question__key", "question__driver", "number"
    )
    grade: dict[int, float] = {}
    items: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for measurement_id, key, driver, number in rows.iterator(chunk_size=20_000):
        if key == TARGET:
            grade[measurement_id] = number
        elif driver in drivers:
            items[measurement_id][driver].append(number)
    data = np.array(
        [
            [grade[m]] + [np.mean(items[m][d]) if items[m].get(d) else np.nan for d in drivers]
            for m in grade
        ]
    ).reshape(-1, len(drivers) + 1)
    complete = data[~np.isnan(data).any(axis=1)]
    if len(complete) < MIN_RESPONSES:
        return None
    analysis = analyse(Moments.from_rows(complete), drivers)
    performance = {d: float(complete[:, i + 1].mean()) for i, d in enumerate(drivers)}
    return DriverReport(
        analysis=analysis,
        priorities=importance_performance(analysis, performance),
        asymmetry={a.name: a for a in penalty_reward(complete[:, 0], complete[:, 1:], drivers)},
        intervals={
            d: (float(low), float(high))
            for d, (low, high) in zip(drivers, bootstrap_shares(complete), strict=True)
        },
        responses=len(grade),
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


def _kpis(sums: dict, kind: str | None) -> dict[str, Estimate]:
    def get(key: str) -> dict | None:
        return sums.get((kind, key))

    grade, nps_row, ces_row, fcr_row = (get(k) for k in KPI_KEYS)
    empty = stats.proportion(0, 0)
    return {
        "grade": stats.mean(grade["n"], grade["total"], grade["squares"]) if grade else empty,
        "nps": stats.nps_from_counts([nps_row[f"v{i}"] for i in range(11)]) if nps_row else empty,
        "ces": stats.mean(ces_row["n"], ces_row["total"], ces_row["squares"]) if ces_row else empty,
        "fcr": stats.proportion(fcr_row["v1"], fcr_row["n"]) if fcr_row else empty,
    }


UNFOLDED_LIMIT = 20_000


def _unfolded(measurements: QuerySet, organisations: Iterable[int] | None = None) -> QuerySet:
    """Those of ``measurements`` above their organisation's rollup watermark.

    Walked along the primary key from the lowest watermark, across
    organisations, so the cost follows the worker's backlog and not the size of
    the table (a filter on the organisation first would let the planner scan all
    its rows). ``organisations``: default the current one.
    """
    marks = folded_up_to(organisations or [require_organisation().pk])
    newer = (
        Measurement.all_tenants.filter(id__gt=min(marks.values()))
        .order_by("id")
        .values_list("id", "organisation_id")[: UNFOLDED_LIMIT + 1]
    )
    rows = list(newer)
    if len(rows) > UNFOLDED_LIMIT:  # a worker far behind: let the database find them
        above = Q()
        for organisation, mark in marks.items():
            above |= Q(organisation_id=organisation, id__gt=mark)
        return measurements.filter(above)
    return measurements.filter(
        id__in=[pk for pk, owner in rows if owner in marks and pk > marks[owner]]
    )


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
    worker has not folded in yet (measurements above the watermark).

    The cost follows the number of day cells shown, not the number of stored
    answers. A correction made since the last refresh counts its original once
    more until the worker runs; the worker follows every write within seconds.
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
    tail = _unfolded_answers(filtered_measurements(dataclasses.replace(filters, instrument=SURVEY)))
    sums = _kpi_sums(tail)
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
    filters: MeasurementFilter, previous: MeasurementFilter
) -> dict[str, dict[str, Difference]]:
    """Per channel and KPI (grade, nps, ces, fcr), the change from ``previous`` to
    ``filters`` with its test: Welch's t for means, the trinomial z for NPS and the
    two-proportion z for first-contact resolution. Only where both periods have data."""
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


def survey_summary(filters: MeasurementFilter, previous: MeasurementFilter) -> SurveySummary:
    """All channels and each channel, and the overall grade's change with Welch's test,
    from one read of each period's sums."""
    after = _survey_sums(filters)
    every = _all_channels(after)
    before = _all_channels(_survey_sums(previous)).get((None, TARGET))
    now = every.get((None, TARGET))
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


def counts_per_channel_and_month(*, since: date) -> tuple[list[date], list[dict]]:
    """Current measurements per channel and calendar month since ``since``, from the
    rollups' measurement cells plus what the worker has not folded in yet."""
    kinds = dict(Channel.objects.values_list("id", "kind"))
    cells = (
        AnswerRollup.objects.filter(question_key=MEASUREMENTS, unit_key=ALL_UNITS, day__gte=since)
        .annotate(month=TruncMonth("day"))
        .values_list("channel_key", "month")
        .annotate(n=Sum("n"))
    )
    rows = [(kinds.get(channel), month, n) for channel, month, n in cells]
    tail = (
        _unfolded(current_measurements().filter(occurred_at__date__gte=since))
        .annotate(month=TruncMonth("occurred_at"))
        .values_list("channel__kind", "month")
        .annotate(n=Count("id"))
    )
    return channel_month_table([*rows, *tail])


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


def sector_grade_benchmark(filters: MeasurementFilter) -> Benchmark | None:
    """The overall grade of the current organisation among its sector's organisations.

    The one read across organisations on this page (the loud ``all_tenants``): it
    returns only the distribution and the own rank, and nothing below five
    organisations. Sums come from the rollups plus what the worker has not folded in.
    """
    organisation = require_organisation()
    peers = list(
        Organisation.objects.filter(sector_id=organisation.sector_id).values_list("pk", flat=True)
    )
    channels = Channel.all_tenants.filter(organisation_id__in=peers, kind=filters.channel)
    cells = AnswerRollup.all_tenants.filter(
        _day_range(filters),
        organisation_id__in=peers,
        instrument__key=SURVEY,
        question_key=TARGET,
        unit_key=ALL_UNITS,
        **({"channel_key__in": channels.values("pk")} if filters.channel else {}),
    )
    sums: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
    for owner, n, total in cells.values_list("organisation_id").annotate(
        n=Sum("n"), total=Sum("total")
    ):
        sums[owner] = [n, total]
    period = Measurement.all_tenants.filter(
        organisation_id__in=peers,
        superseded_at__isnull=True,
        instrument_version__instrument__key=SURVEY,
        **({"channel__kind": filters.channel} if filters.channel else {}),
    )
    bounded = filtered_measurements(dataclasses.replace(filters, channel=None), base=period)
    tail = _unfolded_answers(bounded, peers).filter(question__key=TARGET, number__isnull=False)
    for owner, n, total in tail.values_list("organisation_id").annotate(
        n=Count("id"), total=Sum("number")
    ):
        sums[owner][0] += n
        sums[owner][1] += total
    if not sums.get(organisation.pk, [0])[0]:
        return None
    means = {owner: total / n for owner, (n, total) in sums.items() if n}
    return benchmark(means, own=organisation.pk)


def sector_grade_benchmarks(filters: MeasurementFilter) -> list[tuple[str, Benchmark | None]]:
    """The sector position over all channels, then per channel the organisation has."""
    from django.utils.translation import gettext

    kinds = set(Channel.objects.values_list("kind", flat=True))
    rows = [(gettext("All channels"), sector_grade_benchmark(filters))]
    rows += [
        (str(label), sector_grade_benchmark(dataclasses.replace(filters, channel=kind)))
        for kind, label in ChannelKind.choices
        if kind in kinds
    ]
    return rows


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
                stats.mean(e["n"], e["total"], e["squares"]),
                stats.mean(c["n"], c["total"], c["squares"]),
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


def monthly_grades(*, since: date, until: date | None = None) -> list[MonthlyGrade]:
    """The customer survey's overall grade per channel and calendar month from ``since``
    (to ``until``, inclusive), each with n and interval: from the rollups plus what the
    worker has not folded in."""
    kinds = dict(Channel.objects.values_list("id", "kind"))
    sums: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    cells = (
        AnswerRollup.objects.filter(
            instrument__key=SURVEY,
            question_key=TARGET,
            unit_key=ALL_UNITS,
            day__gte=since,
            **({"day__lte": until} if until else {}),
        )
        .annotate(month=TruncMonth("day"))
        .values_list("channel_key", "month")
        .annotate(n=Sum("n"), total=Sum("total"), squares=Sum("total_squares"))
    )
    for channel, month, n, total, squares in cells:
        cell = sums[(kinds.get(channel), month)]
        cell[0], cell[1], cell[2] = cell[0] + n, cell[1] + total, cell[2] + squares
    measurements = filtered_measurements(
        MeasurementFilter(since=since, until=until, instrument=SURVEY)
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
        MonthlyGrade(month, kind, str(labels[kind]), stats.mean(n, total, squares))
        for (kind, month), (n, total, squares) in sorted(
            sums.items(), key=lambda item: (item[0][1], list(labels).index(item[0][0]))
        )
        if kind and n
    ]
