"""The survey KPIs over all channels weighted to the organisation's contact volumes.

Respondents do not come in the mix customers contact the organisation: a municipality
may get 70% of its contacts by phone while e-mail customers answer the survey more
often. The unweighted overall grade then leans towards e-mail; weighted, every channel
counts as its share of contacts, so the figure is the grade of the average contact.

Both figures are always shown side by side, the weighted one with Kish's effective n.
When a channel with responses lacks a volume for any month it was measured in, the
figures are not weighted at all (never a mix of weighted and unweighted channels), and
the reason is given. Pure computation: :mod:`klantpeil.metrics.weighting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.analytics.selectors import monthly_grades, overall_kpis, survey_sums
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.core.tenancy import unit_limited
from klantpeil.metrics import stats
from klantpeil.metrics.periods import parse_period
from klantpeil.metrics.stats import Estimate
from klantpeil.metrics.weighting import (
    VolumeGap,
    WeightedKpi,
    volume_gaps,
    weighted_grade,
    weighted_nps,
    weighted_share,
)
from klantpeil.organisations.models import ChannelKind
from klantpeil.organisations.selectors import channel_volumes

GRADE, NPS, CES, FCR = "overall_grade", "nps", "ces", "solved_first_contact"
# The figures by the names the pages, API and reports use (as ChannelKpis).
FIGURES = (("grade", GRADE), ("nps", NPS), ("ces", CES), ("fcr", FCR))

EXPLANATION = gettext_lazy(
    "Weighted to your contact volumes: each channel counts as its share of contacts, not "
    "of responses. Effective n is what the weighted figure is worth in responses; the "
    "interval uses it."
)

WEIGHTED = "weighted"
# Why there is no weighted figure:
NO_RESPONSES = "no_responses"  # no customer-survey responses in the period
ONE_CHANNEL = "one_channel"  # a channel filter, or responses in one channel only
UNIT = "unit"  # volumes are the whole organisation's, the figures one unit's
NO_VOLUMES = "no_volumes"  # no contact volumes entered for the period's months
MISSING_VOLUMES = "missing_volumes"  # some channel/month with responses has no volume
NO_CONTACTS = "no_contacts"  # a channel with responses has 0 contacts entered


@dataclass(frozen=True)
class Figure:
    unweighted: Estimate
    weighted: WeightedKpi | None


@dataclass(frozen=True)
class ChannelShare:
    kind: str
    label: str
    responses: int  # overall-grade responses in the period
    response_share: float
    contacts: int | None  # contacts entered for the period's measured months
    contact_share: float | None
    weight: float | None  # what one response counts for in the weighted grade


@dataclass(frozen=True)
class WeightedOverview:
    status: str  # WEIGHTED or the reason there is no weighted figure
    figures: dict[str, Figure]  # grade, nps, ces, fcr
    channels: list[ChannelShare] = field(default_factory=list)
    months: list[date] = field(default_factory=list)  # the months whose volumes count
    gaps: list[VolumeGap] = field(default_factory=list)  # (channel kind, months missing)
    zero_contacts: list[str] = field(default_factory=list)  # kinds with 0 contacts entered
    uncovered: list[str] = field(default_factory=list)  # contacts, but no responses

    @property
    def weighted(self) -> bool:
        return self.status == WEIGHTED

    @property
    def reason(self) -> str:
        """Why the figures are not weighted, in the user's language ("" when they are)."""
        labels = dict(ChannelKind.choices)
        if self.status == MISSING_VOLUMES:
            parts = [
                _("%(channel)s (%(months)s)")
                % {
                    "channel": labels[gap.cell],
                    "months": ", ".join(f"{m:%Y-%m}" for m in gap.months),
                }
                for gap in self.gaps
            ]
            return _(
                "Not weighted: contact volumes are missing for %(cells)s. Enter them to "
                "see the weighted figures."
            ) % {"cells": "; ".join(parts)}
        if self.status == NO_CONTACTS:
            return _(
                "Not weighted: %(channels)s has responses but 0 contacts entered. Correct "
                "the contact volumes to see the weighted figures."
            ) % {"channels": ", ".join(str(labels[k]) for k in self.zero_contacts)}
        return {
            NO_VOLUMES: _(
                "Not weighted: no contact volumes have been entered for this period. "
                "Enter them to see the figures weighted to your contacts."
            ),
            UNIT: _(
                "Not weighted: contact volumes are entered for the whole organisation, "
                "not per unit."
            ),
            ONE_CHANNEL: _("One channel: weighting between channels does not apply."),
            NO_RESPONSES: _("No customer-survey responses in this period."),
        }.get(self.status, "")


def _span(filters: MeasurementFilter) -> tuple[date | None, date | None]:
    """The first and last day the filters allow (None: open)."""
    first, last = filters.since, filters.until
    if filters.period:
        period = parse_period(filters.period)
        first = max(first, period.start) if first else period.start
        last = min(last, period.last_day) if last else period.last_day
    return first, last


def _cells(sums: dict[tuple, dict], key: str) -> dict[str, tuple]:
    """One KPI's per-channel input for :mod:`metrics.weighting`."""
    cells: dict[str, tuple] = {}
    for (kind, question), row in sums.items():
        if kind is None or question != key or not row["n"]:
            continue
        counts = [row[f"v{i}"] or 0 for i in range(11)]
        if key == NPS:
            cells[kind] = (sum(counts[9:]), sum(counts[7:9]), sum(counts[:7]))
        elif key == FCR:
            cells[kind] = (counts[1], row["n"])
        else:
            cells[kind] = (row["n"], float(row["total"] or 0), float(row["squares"] or 0))
    return cells


def _weigh(key: str, cells: dict[str, tuple], volumes: dict[str, int]) -> WeightedKpi | None:
    """One KPI weighted; None when it has no answers or a channel answered this question
    only (not the grade) and has no contacts entered: no figure rather than a guess."""
    if not cells:
        return None
    try:
        if key == NPS:
            return weighted_nps(cells, volumes)
        if key == FCR:
            return weighted_share(cells, volumes)
        scale = stats.CES_SCALE if key == CES else stats.GRADE_SCALE
        return weighted_grade(cells, volumes, scale=scale)
    except ValueError:
        return None


def weighted_overview(filters: MeasurementFilter) -> WeightedOverview:
    """Grade, NPS, CES and first-contact resolution over all channels for ``filters``,
    unweighted and (when the volumes allow) weighted to the contact volumes of the
    months in the period that have responses, per channel summed over those months."""
    sums = survey_sums(filters)
    overall = overall_kpis(sums)
    unweighted = {name: getattr(overall, name) for name, _key in FIGURES}

    def without(status: str, **more) -> WeightedOverview:
        figures = {name: Figure(e, None) for name, e in unweighted.items()}
        return WeightedOverview(status, figures, **more)

    grade_cells = _cells(sums, GRADE)
    if overall.grade.n == 0:
        return without(NO_RESPONSES)
    if filters.channel or len(grade_cells) < 2:
        return without(ONE_CHANNEL)
    if filters.unit or unit_limited():  # a unit-limited member sees their units' figures
        return without(UNIT)
    first, last = _span(filters)
    # The months each channel was measured in: each needs that month's contacts.
    responses = {
        (point.kind, point.month): point.grade.n
        for point in monthly_grades(since=first or date(1900, 1, 1), until=last)
    }
    months = sorted({month for _kind, month in responses})
    entered = {
        cell: contacts
        for cell, contacts in channel_volumes(since=first, until=last).items()
        if cell[1] in months
    }
    if not entered:
        return without(NO_VOLUMES, months=months)
    gaps = volume_gaps(responses, entered)
    if gaps:
        return without(MISSING_VOLUMES, months=months, gaps=gaps)
    volumes: dict[str, int] = {}
    for (kind, _month), contacts in entered.items():
        volumes[kind] = volumes.get(kind, 0) + contacts
    zero = [kind for kind in grade_cells if volumes.get(kind, 0) == 0]
    if zero:
        return without(NO_CONTACTS, months=months, zero_contacts=zero)
    figures = {
        name: Figure(unweighted[name], _weigh(key, _cells(sums, key), volumes))
        for name, key in FIGURES
    }
    labels = dict(ChannelKind.choices)
    n = sum(cell[0] for cell in grade_cells.values())
    total = sum(volumes.values())
    grade = figures["grade"].weighted
    order = list(labels)
    channels = [
        ChannelShare(
            kind,
            str(labels[kind]),
            grade_cells.get(kind, (0,))[0],
            grade_cells.get(kind, (0,))[0] / n,
            volumes.get(kind),
            volumes[kind] / total if kind in volumes else None,
            grade.shares[kind] / (grade_cells[kind][0] / n)
            if grade and kind in grade.shares
            else None,
        )
        for kind in sorted(set(grade_cells) | set(volumes), key=order.index)
    ]
    uncovered = [kind for kind in volumes if volumes[kind] > 0 and kind not in grade_cells]
    return WeightedOverview(
        WEIGHTED,
        figures,
        channels=channels,
        months=months,
        uncovered=sorted(uncovered, key=order.index),
    )
