"""Reads that feed the pure analytics with the current organisation's data."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from klantpeil.analytics.drivers import (
    AsymmetricImpact,
    DriverAnalysis,
    Moments,
    Priority,
    analyse,
    importance_performance,
    penalty_reward,
)
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import MeasurementFilter, filtered_measurements
from klantpeil.instruments.models import Driver

TARGET = "overall_grade"
SURVEY = "customer-survey"
MIN_RESPONSES = 50


@dataclass(frozen=True)
class DriverReport:
    analysis: DriverAnalysis
    priorities: list[Priority]
    asymmetry: dict[str, AsymmetricImpact]
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
        responses=len(grade),
    )
