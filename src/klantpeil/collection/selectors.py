"""Reads of measurements for the current organisation (the tenant scope applies)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from klantpeil.collection.models import Answer, Measurement
from klantpeil.instruments.models import Method
from klantpeil.metrics.disclosure import MIN_GROUP
from klantpeil.metrics.periods import parse_period
from klantpeil.organisations.models import ChannelKind

# Methods whose single responses are never shown, exported or served by the API:
# employees answer anonymously, so only aggregates of at least five are shown.
ANONYMOUS_METHODS = (Method.EMPLOYEE_SURVEY,)
# The smallest group of anonymous respondents whose aggregate may be shown (the
# employees page's rule); a smaller group is left out entirely, never rounded or noised.
MIN_ANONYMOUS_GROUP = MIN_GROUP  # the one minimum group (metrics/disclosure.py)


def current_measurements() -> QuerySet[Measurement]:
    """Every current measurement, anonymous ones included: only for counts per channel and
    month (no answers, no unit) and the rollups; everything else reads through
    :func:`filtered_measurements` or :func:`individual_measurements`."""
    return Measurement.objects.current()


def individual_measurements() -> QuerySet[Measurement]:
    """Current measurements that may be shown one by one (not the anonymous surveys).

    The default of every filtered read (:func:`filtered_measurements`), so lists,
    comments, search, exports, reports and the API leave anonymous responses out
    without asking for it (fail closed).
    """
    return current_measurements().exclude(method__in=ANONYMOUS_METHODS)


def anonymous_measurements_for_aggregates() -> QuerySet[Measurement]:
    """Current measurements INCLUDING anonymous employee responses: the one escape hatch.

    Only for aggregates that show nothing for a group of fewer than
    ``MIN_ANONYMOUS_GROUP`` respondents (the employees page's unit × quarter cells).
    Never for anything that lists, searches or shows responses or comments.
    """
    return current_measurements()


def counts_per_channel_and_month(*, since: date) -> tuple[list[date], list[dict]]:
    """Current measurements per channel and calendar month (Amsterdam time) since ``since``.

    Returns the months and one row per channel kind with a count per month and a
    total. Employee surveys are not customer contacts and are never counted here.
    """
    rows = (
        current_measurements()
        .exclude(method__in=ANONYMOUS_METHODS)
        .filter(occurred_at__date__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values_list("channel__kind", "month")
        .annotate(n=Count("id"))
    )
    return channel_month_table(rows)


def channel_month_table(rows) -> tuple[list[date], list[dict]]:
    """(channel kind, month, count) rows as months and one row of counts per channel kind."""
    table: dict[str | None, dict[date, int]] = defaultdict(dict)
    months: set[date] = set()
    for kind, moment, n in rows:
        month = moment.date() if isinstance(moment, datetime) else moment
        months.add(month)
        table[kind][month] = table[kind].get(month, 0) + n
    ordered = sorted(months)
    labels = dict(ChannelKind.choices)
    result = []
    for kind in [*ChannelKind.values, None]:
        if kind not in table:
            continue
        counts = [table[kind].get(m, 0) for m in ordered]
        result.append(
            {"kind": kind, "label": labels.get(kind), "counts": counts, "total": sum(counts)}
        )
    return ordered, result


def measurement_by_id(*, pk: int) -> Measurement:
    """One measurement of the current organisation, or 404 (a foreign id is 'not found',
    and so is an anonymous employee's response)."""
    return get_object_or_404(
        Measurement.objects.exclude(method__in=ANONYMOUS_METHODS).select_related(
            "channel", "unit", "instrument_version__instrument", "correction", "corrects"
        ),
        pk=pk,
    )


def answers_of(*, measurement: Measurement) -> QuerySet[Answer]:
    return (
        Answer.objects.filter(measurement=measurement)
        .select_related("question")
        .order_by("question__position")
    )


@dataclass(frozen=True)
class MeasurementFilter:
    """The filters every list, export and KPI read accepts."""

    period: str | None = None
    since: date | None = None
    until: date | None = None
    channel: str | None = None
    unit: str | None = None
    instrument: str | None = None
    method: str | None = None


def filtered_measurements(
    filters: MeasurementFilter, base: QuerySet[Measurement] | None = None
) -> QuerySet[Measurement]:
    """Current measurements of the current organisation matching ``filters``.

    Days are calendar days in Amsterdam; ``until`` is inclusive. A bad period
    raises ValueError with the accepted forms. Anonymous (employee) responses are
    left out unless ``base`` brings them in on purpose
    (:func:`anonymous_measurements_for_aggregates`). ``base`` replaces the current
    organisation's measurements (the sector benchmark's deliberate cross-read).
    """
    queryset = individual_measurements() if base is None else base
    if filters.period:
        period = parse_period(filters.period)
        queryset = queryset.filter(
            occurred_at__gte=_local_midnight(period.start),
            occurred_at__lt=_local_midnight(period.end),
        )
    if filters.since:
        queryset = queryset.filter(occurred_at__gte=_local_midnight(filters.since))
    if filters.until:
        queryset = queryset.filter(
            occurred_at__lt=_local_midnight(filters.until + timedelta(days=1))
        )
    if filters.channel:
        queryset = queryset.filter(channel__kind=filters.channel)
    if filters.unit:
        # "Unit X" is X and its sub-units, as everywhere (organisations.selectors).
        from klantpeil.organisations.selectors import descendant_ids

        queryset = queryset.filter(unit__in=descendant_ids(filters.unit))
    if filters.instrument:
        queryset = queryset.filter(instrument_version__instrument__key=filters.instrument)
    if filters.method:
        queryset = queryset.filter(method=filters.method)
    return queryset


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_default_timezone())


def whole_quarters(filters: MeasurementFilter) -> MeasurementFilter:
    """``filters`` with its days widened to whole calendar quarters: the fixed grid on
    which anonymous aggregates are published.

    A cell cut by a month, a moving "last 365 days" window or a since/until would
    let two requests differ by one employee (six in the quarter, five in May: the
    sixth one's grade is their difference); whole quarters cannot be cut that way.
    A bad period raises ValueError as :func:`filtered_measurements` does.
    """
    start, end = filters.since, filters.until + timedelta(days=1) if filters.until else None
    if filters.period:
        period = parse_period(filters.period)
        start = max(start, period.start) if start else period.start
        end = min(end, period.end) if end else period.end
    if start is not None:
        start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    until = None
    if end is not None:
        last = end - timedelta(days=1)
        first_month = 3 * ((last.month - 1) // 3) + 1
        next_quarter = (
            date(last.year + 1, 1, 1) if first_month == 10 else date(last.year, first_month + 3, 1)
        )
        until = next_quarter - timedelta(days=1)
    return dataclasses.replace(filters, period=None, since=start, until=until)


def with_answers(queryset: QuerySet[Measurement]) -> QuerySet[Measurement]:
    """Prefetch answers and what is needed to name them, in a fixed number of queries."""
    return queryset.select_related(
        "channel", "unit", "instrument_version__instrument"
    ).prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))


def answers_as_dict(measurement: Measurement) -> dict[str, object]:
    values: dict[str, object] = {}
    for answer in measurement.answers.all():
        question = answer.question
        if question.type == "multiple_choice" and answer.text:
            values[question.key] = answer.text.split("|")
        elif question.type == "yes_no" and answer.number is not None:
            values[question.key] = bool(answer.number)
        elif answer.number is not None and answer.number.is_integer():
            values[question.key] = int(answer.number)
        else:
            values[question.key] = answer.value
    return values
