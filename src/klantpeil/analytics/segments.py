"""Reads for the segment comparison: one survey KPI per unit, channel, month or quarter,
from the rollups plus the measurements the worker has not folded in yet.

"Team": the data model has no team. Units are a flat list per organisation (no
parent, so no sub-units), and a measurement carries its unit and channel but no
employee or team; a team that is measured separately is set up as a unit. The unit
dimension is therefore the team comparison.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils.translation import gettext as _

from klantpeil.analytics.models import AnswerRollup
from klantpeil.analytics.rollups import ALL_UNITS, one_snapshot
from klantpeil.analytics.selectors import SURVEY, unfolded_answers
from klantpeil.collection.selectors import MeasurementFilter, filtered_measurements
from klantpeil.core import dates
from klantpeil.metrics.periods import parse_period
from klantpeil.metrics.segments import KPI_QUESTIONS, SegmentComparison, Sums, compare_segments
from klantpeil.organisations.models import Channel, ChannelKind, Unit

DIMENSIONS = ("unit", "channel", "month", "quarter")
VALUES = tuple(f"v{i}" for i in range(11))
NONE = ""  # the key of the segment without a unit or channel


def _day_range(filters: MeasurementFilter) -> Q:
    days = Q()
    if filters.period:
        period = parse_period(filters.period)
        days &= Q(day__gte=period.start, day__lt=period.end)
    if filters.since:
        days &= Q(day__gte=filters.since)
    if filters.until:
        days &= Q(day__lte=filters.until)
    return days


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _period_key(dimension: str, day: date) -> str:
    if dimension == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def segment_sums(filters: MeasurementFilter, dimension: str, kpi: str) -> dict[str, Sums]:
    """The KPI question's sums per segment of ``dimension`` under ``filters``.

    Keys: a unit's code, a channel kind ("" for answers without a unit or channel),
    a month ``2026-09`` or a quarter ``2026-Q3``. Together the segments hold every
    answer of the filters exactly once (cells plus the unfolded tail, read as of one
    moment), which is what "the rest" of a segment rests on.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; choose one of {', '.join(DIMENSIONS)}")
    question = KPI_QUESTIONS[kpi]
    cells = AnswerRollup.objects.filter(
        _day_range(filters), instrument__key=SURVEY, question_key=question
    )
    if filters.channel:
        cells = cells.filter(
            channel_key__in=Channel.objects.filter(kind=filters.channel).values("id")
        )
    if filters.unit:
        cells = cells.filter(unit_key__in=Unit.objects.filter(code=filters.unit).values("id"))
    elif dimension == "unit":
        cells = cells.filter(unit_key__gte=0)
    else:
        cells = cells.filter(unit_key=ALL_UNITS)
    group = {
        "unit": ("unit_key", "measurement__unit_id"),
        "channel": ("channel_key", "measurement__channel_id"),
        "month": (TruncMonth("day"), TruncMonth("measurement__occurred_at")),
        "quarter": (TruncQuarter("day"), TruncQuarter("measurement__occurred_at")),
    }[dimension]
    cell_rows = (
        cells.annotate(segment=group[0] if dimension in ("month", "quarter") else F(group[0]))
        .values("segment")
        .annotate(
            n=Sum("n"),
            total=Sum("total"),
            squares=Sum("total_squares"),
            **{v: Sum(v) for v in VALUES},
        )
    )
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    with one_snapshot():  # cells and tail as of one moment, whatever a fold commits meanwhile
        tail_rows = list(
            unfolded_answers(measurements)
            .filter(question__key=question, number__isnull=False)
            .annotate(segment=group[1] if dimension in ("month", "quarter") else F(group[1]))
            .values("segment")
            .annotate(
                n=Count("id"),
                total=Sum("number"),
                squares=Sum(F("number") * F("number")),
                **{v: Count("id", filter=Q(number=i)) for i, v in enumerate(VALUES)},
            )
        )
        cell_rows = list(cell_rows)
    if dimension == "unit":
        codes = dict(Unit.objects.values_list("id", "code"))
        name = lambda key: codes.get(key, NONE)  # noqa: E731 unit 0 / None: no unit
    elif dimension == "channel":
        kinds = dict(Channel.objects.values_list("id", "kind"))
        name = lambda key: kinds.get(key, NONE)  # noqa: E731
    else:
        name = lambda moment: _period_key(dimension, _day(moment))  # noqa: E731
    sums: dict[str, Sums] = defaultdict(Sums)
    for row in [*cell_rows, *tail_rows]:
        if not row["n"]:
            continue
        sums[name(row["segment"])] += Sums(
            row["n"],
            float(row["total"] or 0),
            float(row["squares"] or 0),
            tuple(int(row[v] or 0) for v in VALUES),
        )
    return dict(sums)


def _labelled(dimension: str, sums: dict[str, Sums]) -> list[tuple[str, str, Sums]]:
    """The segments in their usual order with the names people know them by."""
    if dimension == "unit":
        names = dict(Unit.objects.values_list("code", "name"))
        order = sorted(sums, key=lambda code: (code == NONE, names.get(code, code).lower()))
        label = lambda code: names.get(code) or _("No unit")  # noqa: E731
    elif dimension == "channel":
        names = {k: str(v) for k, v in ChannelKind.choices}
        kinds = list(names)
        order = sorted(sums, key=lambda kind: kinds.index(kind) if kind in kinds else len(kinds))
        label = lambda kind: names.get(kind) or _("No channel")  # noqa: E731
    elif dimension == "month":
        order = sorted(sums)
        label = lambda key: dates.month_year(date.fromisoformat(f"{key}-01"))  # noqa: E731
    else:
        order = sorted(sums)
        label = lambda key: key  # noqa: E731
    return [(key, label(key), sums[key]) for key in order]


def segment_comparison(
    filters: MeasurementFilter, *, dimension: str, kpi: str, alpha: float = 0.05
) -> SegmentComparison:
    """The customer survey's ``kpi`` per segment of ``dimension``, each against the rest
    of the filters' answers, Holm-corrected (``metrics.segments``)."""
    return compare_segments(
        kpi, _labelled(dimension, segment_sums(filters, dimension, kpi)), alpha=alpha
    )
