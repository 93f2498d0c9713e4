"""The segment comparison's sums: rollup cells plus the unfolded tail equal the raw answers
for every dimension, before the first fold, after it and with measurements pending."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from klantpeil.analytics.segments import DIMENSIONS, segment_comparison, segment_sums
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import MeasurementFilter, filtered_measurements
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics.segments import KPI_QUESTIONS, TOO_FEW
from klantpeil.organisations.models import Channel, Organisation, Unit
from klantpeil.rollups import services as rollups

pytestmark = pytest.mark.django_db

WINDOW = MeasurementFilter(since=date(2025, 12, 1), until=date(2026, 11, 30))


def _raw(filters: MeasurementFilter, dimension: str, kpi: str) -> dict[str, tuple]:
    """n, Σx, Σx² and the answer counts per segment, one answer at a time."""
    measurements = filtered_measurements(
        MeasurementFilter(**{**filters.__dict__, "instrument": "customer-survey"})
    )
    sums: dict[str, list] = defaultdict(lambda: [0, 0.0, 0.0, [0] * 11])
    # A unit's segment: its top-level unit, or the unit right below the filter's (the
    # filter's own unit for its own answers), walked up parent by parent here.
    parents = dict(Unit.objects.values_list("code", "parent__code"))

    def segment(code: str | None) -> str:
        if not code:
            return ""
        while parents.get(code) and parents[code] != filters.unit and code != filters.unit:
            code = parents[code]
        return code

    answers = Answer.objects.filter(
        measurement__in=measurements, question__key=KPI_QUESTIONS[kpi], number__isnull=False
    ).values_list(
        "measurement__unit__code",
        "measurement__channel__kind",
        "measurement__occurred_at",
        "number",
    )
    for code, kind, moment, number in answers:
        local = timezone.localtime(moment)
        key = {
            "unit": segment(code),
            "channel": kind or "",
            "month": f"{local.year}-{local.month:02d}",
            "quarter": f"{local.year}-Q{(local.month - 1) // 3 + 1}",
        }[dimension]
        cell = sums[key]
        cell[0] += 1
        cell[1] += number
        cell[2] += number * number
        cell[3][int(number)] += 1
    return {k: (n, t, q, tuple(c)) for k, (n, t, q, c) in sums.items()}


def _check(filters: MeasurementFilter) -> None:
    for dimension in DIMENSIONS:
        for kpi in ("grade", "nps", "fcr"):
            read = segment_sums(filters, dimension, kpi)
            raw = _raw(filters, dimension, kpi)
            assert read.keys() == raw.keys(), (dimension, kpi)
            for key, (n, total, squares, counts) in raw.items():
                got = read[key]
                assert (got.n, got.counts) == (n, counts), (dimension, kpi, key)
                assert got.total == pytest.approx(total, rel=1e-12)
                assert got.squares == pytest.approx(squares, rel=1e-12)


def test_segment_sums_equal_the_raw_answers_folded_or_not():
    generate(seed=11, today=date(2026, 11, 23), scale=0.02)
    organisation = Organisation.objects.order_by("pk").first()
    with tenant(organisation):
        _check(WINDOW)  # never folded: all from the raw tail
    rollups.rebuild_all()
    with tenant(organisation):
        _check(WINDOW)
        unit = Unit.objects.order_by("code").first()
        _check(MeasurementFilter(period="2026-Q2", channel="phone"))
        _check(MeasurementFilter(period="2026-Q3", unit=unit.code))
        # Pending measurements (the worker has not folded them) count as well.
        for grade in (2, 3):
            record_measurement(
                version=latest_version(key="customer-survey"),
                answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade},
                source="api",
                channel=Channel.objects.get(kind="email"),
                unit=unit,
                occurred_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
            )
        _check(WINDOW)


def test_a_unit_below_the_minimum_group_has_no_figure_but_counts_in_the_rest():
    generate(seed=11, today=date(2026, 11, 23), scale=0.02)
    organisation = Organisation.objects.order_by("pk").first()
    with tenant(organisation):
        tiny = Unit.objects.create(organisation=organisation, code="tiny", name="Tiny team")
        for grade in (9, 10, 10, 9):  # four answers: one below the minimum of five
            record_measurement(
                version=latest_version(key="customer-survey"),
                answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade},
                source="api",
                channel=Channel.objects.get(kind="email"),
                unit=tiny,
                occurred_at=datetime(2026, 10, 20, 10, tzinfo=UTC),
            )
        comparison = segment_comparison(WINDOW, dimension="unit", kpi="grade")
        segment = next(s for s in comparison.segments if s.key == "tiny")
        assert (segment.verdict, segment.estimate, segment.difference) == (TOO_FEW, None, None)
        everyone = sum(s.n for s in comparison.segments)
        assert comparison.overall.n == everyone  # its four answers are in the overall figure
