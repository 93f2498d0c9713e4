"""The driver report of the current organisation: which aspects move the overall grade,
ranked by the one priority model (metrics/priority.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db.models import Q

from klantpeil.analytics.sector import DriverTarget, sector_driver_targets
from klantpeil.analytics.selectors import MIN_RESPONSES, SURVEY, TARGET, units_of
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import (
    MeasurementFilter,
    filtered_measurements,
)
from klantpeil.instruments.models import Driver
from klantpeil.metrics.drivers import (
    AsymmetricImpact,
    DriverAnalysis,
    Moments,
    PatternMoments,
    analyse,
    answered_counts,
    complete_case_moments,
    prca_moments,
    ranked_priorities_from_moments,
    response_scores,
    sum_cells,
    unpack_patterns,
    wishart_share_intervals,
)
from klantpeil.metrics.priority import TARGET_SECTOR
from klantpeil.organisations.models import Channel
from klantpeil.rollups.models import DriverRollup, RollupFold
from klantpeil.rollups.reader import Days, one_snapshot, unfolded_answers
from klantpeil.rollups.services import ALL, ALL_UNITS, _month_end, driver_layout


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
    intervals: dict[str, tuple[float, float]]  # 95% interval of each share (from the moments)
    responses: int  # all responses in the selection, complete or not
    missing: list[MissingDriver] = dataclasses.field(default_factory=list)
    # The sector's targets that were used, by driver (their period and contributors).
    sector_targets: dict[str, DriverTarget] = dataclasses.field(default_factory=dict)


def _selection(answered: np.ndarray, channel: str | None) -> tuple[list[int], list[MissingDriver]]:
    """The driver columns an analysis of this selection keeps, and those it leaves out
    and why: the rule both reads share (raw rows and rollup cells)."""
    chosen, missing = [], []
    for j, d in enumerate(Driver.values):
        if d == Driver.IVR_MENU and channel != "phone":
            # Asked on phone contacts only; with it, listwise deletion would drop
            # every other channel's responses.
            missing.append(MissingDriver(d, "phone_only", int(answered[j])))
        elif answered[j] < MIN_RESPONSES:
            missing.append(MissingDriver(d, "too_few_answers", int(answered[j])))
        else:
            chosen.append(j)
    return chosen, missing


def _scores(answers) -> np.ndarray:
    """Score rows (the grade, then every driver's score) of the responses among ``answers``
    that have a grade; the same function makes the rollups' cells."""
    column = {d: j for j, d in enumerate(Driver.values)}
    grade: dict[int, float] = {}
    items: list[tuple[int, int, float]] = []
    rows = answers.filter(number__isnull=False).values_list(
        "measurement_id", "question__key", "question__driver", "number"
    )
    for measurement_id, key, driver, number in rows.iterator(chunk_size=20_000):
        if key == TARGET:
            grade[measurement_id] = number
        elif driver in column:
            items.append((measurement_id, column[driver], number))
    return response_scores(grade, items, len(column))[1]


def _driver_rows(
    filters: MeasurementFilter,
) -> tuple[np.ndarray, list[str], list[MissingDriver], int]:
    """One row per response: the grade, then each driver's score (the mean of its items)."""
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    scores = _scores(Answer.objects.filter(measurement__in=measurements))
    chosen, missing = _selection((~np.isnan(scores[:, 1:])).sum(axis=0), filters.channel)
    data = scores[:, [0, *(1 + j for j in chosen)]]
    return data, [Driver.values[j] for j in chosen], missing, len(scores)


def driver_cells(filters: MeasurementFilter) -> list[PatternMoments] | None:
    """The driver moments by answer pattern of the survey responses matching ``filters``:
    the rollup cells of the months and days, channel and unit asked for, plus the
    measurements not folded in yet (whose outbox row is pending), read as of one moment.
    None when the cells cannot answer (a collection-method filter, which they do not
    keep, or cells of an older layout awaiting a rebuild); then read the rows.

    Whole months come from the month cells, the days of a month the period covers in
    part from the day cells: about 12 + 30 cells for a moving year, one unit-and-channel
    key each, so the cost follows neither the stored answers nor the days shown.
    """
    if filters.method:
        return None
    # Cells of an older layout (or none yet, after an upgrade) are not read.
    built = RollupFold.objects.values_list("driver_layout", flat=True).first()
    if built is not None and built != driver_layout():
        return None
    days = Days.of(filters.period, filters.since, filters.until)
    cells = DriverRollup.objects.filter(instrument__key=SURVEY).filter(_spans(days))
    if filters.channel:
        kinds = Channel.objects.filter(kind=filters.channel).values("id")
        cells = cells.filter(channel_key__in=kinds)
    else:
        cells = cells.filter(channel_key=ALL)
    units = units_of(filters.unit)  # a unit-limited member: the sum of their units' cells
    cells = cells.filter(unit_key=ALL_UNITS) if units is None else cells.filter(unit_key__in=units)
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    with one_snapshot():  # cells and tail as of one moment, whatever a fold commits meanwhile
        tail = _scores(unfolded_answers(measurements))
        stored = list(cells.values_list("masks", "moments", "scores"))
    totals = sum_cells(stored, tail, len(Driver.values))
    if totals is None:
        return None  # cells of another driver list: the next refresh lays them out anew
    return unpack_patterns(totals, len(Driver.values))


def _spans(days: Days) -> Q:
    """The month cells of the months ``days`` covers whole, and the day cells of the
    rest (the days of the first and last month when these are covered in part)."""
    first, last = days.first, days.last
    if first and last and first > last:
        return Q(pk__in=[])
    whole_from = first if not first or first.day == 1 else _month_end(first) + timedelta(days=1)
    whole_to = last if not last or last == _month_end(last) else last.replace(day=1) - timedelta(1)
    if whole_from and whole_to and whole_from > whole_to:  # no whole month: days only
        return Q(span=DriverRollup.DAY, day__gte=first, day__lte=last)
    months = Q(span=DriverRollup.MONTH)
    if whole_from:
        months &= Q(day__gte=whole_from)
    if whole_to:
        months &= Q(day__lte=whole_to)
    spans = months
    if whole_from and whole_from != first:
        spans |= Q(span=DriverRollup.DAY, day__gte=first, day__lt=whole_from)
    if whole_to and whole_to != last:
        spans |= Q(span=DriverRollup.DAY, day__gt=whole_to, day__lte=last)
    return spans


def driver_report(
    filters: MeasurementFilter, *, share_intervals: bool = True, from_rollups: bool = True
) -> DriverReport | None:
    """Key drivers of the overall grade in the customer survey, or None below 50 responses.

    A driver's score is the mean of its items. The IVR menu counts only when the
    selection is the phone channel (other channels never ask it, and listwise
    deletion would otherwise drop every non-phone response); a driver answered by
    fewer than 50 responses is left out too; both are listed in ``missing`` with why.
    The analysis takes the responses that answered the grade and every driver kept
    (listwise deletion, see metrics/drivers.py).
    The priorities come from the one priority model (:mod:`klantpeil.metrics.priority`):
    expected gain in the grade at the default target, dissatisfiers (penalty–reward)
    gaining only below 5.5. ``share_intervals``: the 95% intervals of the shares (a
    parametric bootstrap of the moments, :func:`metrics.drivers.wishart_share_intervals`),
    which only the pages that show them need.

    Read from the driver rollups plus the not-yet-folded tail (:func:`driver_cells`),
    so the cost does not grow with the stored answers; ``from_rollups`` False reads
    the raw answers (what the tests and the benchmark compare with). Both give the
    same figures.
    """
    patterns = driver_cells(filters) if from_rollups else None
    if patterns is None:
        data, drivers, missing, responses = _driver_rows(filters)
        complete = data[~np.isnan(data).any(axis=1)]
        if len(complete) < MIN_RESPONSES or not drivers:
            return None
        moments = Moments.from_rows(complete)
        prca = prca_moments(complete[:, 0], complete[:, 1:])
    else:
        chosen, missing = _selection(answered_counts(patterns, len(Driver.values)), filters.channel)
        responses = sum(p.n for p in patterns)
        drivers = [Driver.values[j] for j in chosen]
        if not drivers:
            return None
        moments, prca = complete_case_moments(patterns, chosen)
        if moments.n < MIN_RESPONSES:
            return None
    analysis = analyse(moments, drivers)
    # The target is the sector's top quartile where a disclosure-safe benchmark exists
    # for the grid cell of these filters; elsewhere one point up (metrics.priority).
    sector = {d: t for d, t in sector_driver_targets(filters).items() if t and d in drivers}
    model, asymmetry = ranked_priorities_from_moments(
        moments,
        prca,
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
            for d, (low, high) in zip(drivers, wishart_share_intervals(moments), strict=True)
        }
        if share_intervals
        else {},
        responses=responses,
        sector_targets=sector,
        missing=missing,
    )
