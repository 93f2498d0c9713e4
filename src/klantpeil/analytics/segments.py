"""Reads for the segment comparison: one survey KPI per unit, channel, month or quarter,
from the rollups plus the measurements the worker has not folded in yet.

"Team": the data model has no team. A measurement carries its unit and channel but
no employee or team; a team that is measured separately is set up as a unit (units
form a tree: Publiekszaken › Burgerzaken › Balie Centrum).

Units are compared one level at a time, each with its sub-units: without a unit
filter the top-level units; with the filter "unit X" the units directly below X,
plus X itself for measurements recorded on X and not on a sub-unit. The segments
are then disjoint and together hold every answer of the filters, which the
"against the rest" test needs, and a reader drills down by filtering on a segment.
Comparing leaves instead would put a department's own measurements beside its teams
and split small organisations into cells too small to test.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.utils.translation import gettext as _

from klantpeil.analytics.selectors import SURVEY, units_of
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.core import dates
from klantpeil.metrics.kpis import Sums
from klantpeil.metrics.segments import KPI_QUESTIONS, SegmentComparison, compare_segments
from klantpeil.organisations.models import ChannelKind, Unit
from klantpeil.organisations.selectors import unit_tree
from klantpeil.rollups import reader

DIMENSIONS = ("unit", "channel", "month", "quarter")
NONE = ""  # the key of the segment without a unit or channel


def _period_key(dimension: str, day: date) -> str:
    if dimension == "month":
        return f"{day.year}-{day.month:02d}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def segment_sums(filters: MeasurementFilter, dimension: str, kpi: str) -> dict[str, Sums]:
    """The KPI question's sums per segment of ``dimension`` under ``filters``.

    Keys: a unit's code, a channel kind ("" for answers without a unit or channel),
    a month ``2026-09`` or a quarter ``2026-Q3``. Together the segments hold every
    answer of the filters exactly once (the one rollup reader: cells plus the unfolded
    tail, read as of one moment), which is what "the rest" of a segment rests on.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; choose one of {', '.join(DIMENSIONS)}")
    group = "month" if dimension == "quarter" else dimension
    rows = reader.answer_sums(
        keys=[KPI_QUESTIONS[kpi]],
        instrument=SURVEY,
        days=reader.Days.of(filters.period, filters.since, filters.until),
        channel=filters.channel,
        units=units_of(filters.unit),
        by=(group,),
    )
    if dimension == "unit":
        name = _unit_segment(filters.unit)
    elif dimension == "channel":
        name = lambda kind: kind or NONE  # noqa: E731
    else:
        name = lambda month: _period_key(dimension, month)  # noqa: E731
    sums: dict[str, Sums] = defaultdict(Sums)
    for (key,), row in rows.items():
        if not row["n"]:
            continue
        sums[name(key)] += Sums.from_row(row)
    return dict(sums)


def _unit_segment(unit: str | None):
    """unit id -> the code of its segment (module docstring): its top-level unit, or
    with the filter "unit X" the unit directly below X it belongs to (X itself for
    X's own measurements). One read of the unit tree."""
    tree = unit_tree()
    top = tree.by_code.get(unit) if unit else None

    def segment(pk: int) -> str:
        if pk not in tree.rows:
            return NONE  # unit 0: no unit
        chain = [pk, *tree.ancestors(pk)]  # the unit, then up to its top-level unit
        if top is None:
            return tree.rows[chain[-1]][1]
        if top not in chain:
            return NONE  # outside the filter (the reader never gives such a cell)
        index = chain.index(top)
        return tree.rows[chain[index - 1] if index else top][1]

    return segment


def _labelled(
    dimension: str, sums: dict[str, Sums], unit: str | None = None
) -> list[tuple[str, str, Sums]]:
    """The segments in their usual order with the names people know them by."""
    if dimension == "unit":
        names = dict(Unit.objects.values_list("code", "name"))
        if unit in names:
            names[unit] = _("%(unit)s itself") % {"unit": names[unit]}
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
        kpi,
        _labelled(dimension, segment_sums(filters, dimension, kpi), filters.unit),
        alpha=alpha,
    )
