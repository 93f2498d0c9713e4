"""Employee survey against customer survey per unit, with the anonymity rule for employees."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import TruncQuarter

from klantpeil.analytics.selectors import SURVEY, grade_of_sums
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import (
    MIN_ANONYMOUS_GROUP,
    MeasurementFilter,
    anonymous_measurements_for_aggregates,
    filtered_measurements,
    whole_quarters,
)
from klantpeil.metrics.benchmarks import Correlation, correlation
from klantpeil.metrics.stats import Estimate

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
                grade_of_sums(e),
                grade_of_sums(c),
            )
        )
    link = correlation([p.employee.value for p in pairs], [p.customer.value for p in pairs])
    return EmployeeCustomerLink(pairs, hidden, link)
