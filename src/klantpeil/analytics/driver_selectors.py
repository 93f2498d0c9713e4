"""The driver report of the current organisation: which aspects move the overall grade,
ranked by the one priority model (metrics/priority.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from klantpeil.analytics.sector import DriverTarget, sector_driver_targets
from klantpeil.analytics.selectors import MIN_RESPONSES, SURVEY, TARGET
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
    analyse,
    bootstrap_shares,
    ranked_priorities,
)
from klantpeil.metrics.priority import TARGET_SECTOR


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
