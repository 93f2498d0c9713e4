"""The driver report from the driver rollups (cells plus the not-yet-folded tail)
equals the driver report from the raw answers, figure for figure."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import numpy as np
import pytest
from django.db.models import Count

from klantpeil.analytics.driver_selectors import DriverReport, driver_cells, driver_report
from klantpeil.collection.models import Answer, Measurement
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.instruments.models import Driver
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics.drivers import decode_cell, pattern_vectors
from klantpeil.organisations.models import Channel, Organisation, Unit
from klantpeil.rollups import services as rollups
from klantpeil.rollups.models import DriverRollup, RollupFold

pytestmark = pytest.mark.django_db

FILTERS = [
    MeasurementFilter(since=date(2025, 11, 24), until=date(2026, 11, 23)),  # the default year
    MeasurementFilter(period="2026"),
    MeasurementFilter(period="2026", channel="phone"),  # the IVR menu counts
    MeasurementFilter(since=date(2026, 3, 29), until=date(2026, 10, 25)),  # clock changes
    MeasurementFilter(since=date(2026, 6, 1), until=date(2026, 8, 31)),  # whole months only
    MeasurementFilter(since=date(2026, 5, 3), until=date(2026, 5, 27)),  # days of one month
    MeasurementFilter(since=date(2026, 2, 15)),  # open-ended
    MeasurementFilter(until=date(2026, 7, 14)),
]


def _figures(report: DriverReport) -> list[float]:
    """Every number of the report, in a fixed order, for one approx comparison."""
    numbers = [report.analysis.n, report.analysis.r2, report.responses]
    numbers += [x for d in report.analysis.drivers for x in (d.importance, d.share, d.rank)]
    for p in report.priorities:
        numbers += [p.rank, p.share, p.performance, p.target, p.expected_gain]
        numbers += [p.expected_gain_low, p.expected_gain_high, float(p.dissatisfier)]
    for a in report.asymmetry.values():
        numbers += [a.penalty, a.reward, a.penalty_se, a.reward_se, a.n_low, a.n_high]
    numbers += [x for low_high in report.intervals.values() for x in low_high]
    numbers += [m.answers for m in report.missing]
    return [float("nan") if x is None else float(x) for x in numbers]


def _same(filters: MeasurementFilter) -> DriverReport | None:
    rolled, raw = driver_report(filters), driver_report(filters, from_rollups=False)
    assert (rolled is None) == (raw is None), filters
    if rolled is None:
        return None
    assert [p.name for p in rolled.priorities] == [p.name for p in raw.priorities]
    assert [(m.name, m.reason) for m in rolled.missing] == [(m.name, m.reason) for m in raw.missing]
    assert rolled.sector_targets == raw.sector_targets
    assert _figures(rolled) == pytest.approx(_figures(raw), rel=1e-9, abs=1e-12, nan_ok=True)
    return rolled


def _skip_items(organisation_id: int) -> None:
    """Delete answers as respondents skip them: one in seven responses misses an item
    (a whole driver now and then), one in twenty-five the grade."""
    rng = np.random.default_rng(3)
    answers = list(
        Answer.unscoped_all_tenants.filter(organisation_id=organisation_id, number__isnull=False)
        .exclude(question__driver="", question__key__in=["nps", "ces"])
        .values_list("pk", "question__key")
    )
    gone = [
        pk for pk, key in answers if rng.random() < (1 / 25 if key == "overall_grade" else 1 / 14)
    ]
    Answer.unscoped_all_tenants.filter(pk__in=gone).delete()


def _largest() -> Organisation:
    counts = Measurement.unscoped_all_tenants.values("organisation_id").annotate(n=Count("id"))
    return Organisation.objects.get(
        pk=counts.order_by("-n", "organisation_id")[0]["organisation_id"]
    )


def test_driver_report_from_rollups_equals_the_raw_path():
    generate(seed=7, today=date(2026, 11, 23), scale=0.02)
    organisation = _largest()
    _skip_items(organisation.pk)
    rollups.rebuild_all()
    with tenant(organisation):
        unit = Unit.objects.order_by("pk").first()
        for filters in FILTERS:
            report = _same(filters)
            if report is None:  # too few responses: None on both paths
                assert filters != FILTERS[0]
                continue
            # Responses that skipped an item: listwise deletion leaves them out on both paths.
            assert report.analysis.n < report.responses
            if filters.channel == "phone":
                assert "ivr_menu" in [p.name for p in report.priorities]
            else:
                assert [(m.name, m.reason) for m in report.missing] == [("ivr_menu", "phone_only")]
            by_unit = dataclasses.replace(filters, unit=unit.code)
            if driver_report(by_unit, from_rollups=False) is not None:
                _same(by_unit)
        # Not yet folded: complete, and with a skipped driver (left out of the analysis,
        # counted among the responses and in the answers of the other drivers).
        before = driver_report(FILTERS[0], share_intervals=False)
        for grade in (1, 2, 10):
            made = record_measurement(
                version=latest_version(key="customer-survey"),
                answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade},
                source="api",
                channel=Channel.objects.get(kind="email"),
                occurred_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
            )
            if grade != 1:  # as if skipped (the form requires them; an import need not)
                Answer.objects.filter(measurement=made, question__driver="empathy").delete()
        assert rollups.pending_rows().filter(organisation=organisation).count() == 3
        fresh = _same(FILTERS[0])
        assert fresh.analysis.n == before.analysis.n + 1
        assert fresh.responses == before.responses + 3
        rollups.refresh()
        assert rollups.pending_rows().count() == 0
        folded = _same(FILTERS[0])
        assert _figures(folded) == pytest.approx(_figures(fresh), rel=1e-9, nan_ok=True)


def _cell_patterns(cell: DriverRollup) -> tuple[list[int], np.ndarray]:
    """A cell's masks and packed moments, whichever way it is stored."""
    if cell.masks:
        return decode_cell(bytes(cell.masks), bytes(cell.moments))
    scores = np.frombuffer(bytes(cell.scores), dtype="<f8").reshape(-1, 1 + len(Driver.values))
    masks, packed = pattern_vectors(scores)
    kinds = sorted(set(masks.tolist()))
    return kinds, np.array([packed[masks == m].sum(axis=0) for m in kinds])


def test_a_day_cell_holds_its_responses_by_answer_pattern():
    """The all-units, all-channels cell of one day, checked against the raw answers by hand:
    the responses with a grade, and for the complete pattern the sums of the grade and of
    each driver's score (the mean of its items)."""
    generate(seed=6, today=date(2026, 11, 23), scale=0.02)
    rollups.rebuild_all()
    cell = max(
        DriverRollup.unscoped_all_tenants.filter(
            span=DriverRollup.DAY, unit_key=rollups.ALL_UNITS, channel_key=rollups.ALL
        ),
        key=lambda c: c.n,
    )
    day = [
        m
        for m in Measurement.unscoped_all_tenants.filter(
            organisation_id=cell.organisation_id,
            instrument_version__instrument_id=cell.instrument_id,
            superseded_at=None,
        )
        if m.occurred_at.astimezone(rollups.ZONE).date() == cell.day
    ]
    graded, complete = 0, []
    drivers = list(Driver.values)
    for m in day:
        answers = Answer.unscoped_all_tenants.filter(measurement=m, number__isnull=False)
        given = dict(answers.values_list("question__key", "number"))
        if "overall_grade" not in given:
            continue
        graded += 1
        scores = []
        for d in drivers:
            items = [
                n
                for k, n in answers.filter(question__driver=d).values_list(
                    "question__key", "number"
                )
            ]
            scores.append(np.mean(items) if items else None)
        answered = [s for s in scores if s is not None]
        if len(answered) == len(drivers) - 1 and scores[drivers.index("ivr_menu")] is None:
            complete.append([given["overall_grade"], *(s or 0.0 for s in scores)])
    masks, rows = _cell_patterns(cell)
    assert cell.n == graded == rows[:, 0].sum()
    no_ivr = ((1 << len(drivers)) - 1) & ~(1 << drivers.index("ivr_menu"))
    assert (no_ivr in masks) == bool(complete)
    if complete:
        row = rows[masks.index(no_ivr)]
        assert row[0] == len(complete)
        assert row[1 : 2 + len(drivers)].tolist() == pytest.approx(
            np.sum(complete, axis=0).tolist(), rel=1e-12
        )


def test_a_month_cell_is_the_sum_of_its_day_cells():
    generate(seed=6, today=date(2026, 11, 23), scale=0.02)
    rollups.rebuild_all()
    cells = DriverRollup.unscoped_all_tenants.filter(
        unit_key=rollups.ALL_UNITS, channel_key=rollups.ALL
    )
    months = list(cells.filter(span=DriverRollup.MONTH))
    assert months and {m.day.day for m in months} == {1}
    assert {c.span for c in cells} == {DriverRollup.DAY, DriverRollup.MONTH}
    for month in months:
        days = cells.filter(
            span=DriverRollup.DAY,
            organisation_id=month.organisation_id,
            instrument_id=month.instrument_id,
            day__year=month.day.year,
            day__month=month.day.month,
        )
        summed: dict[int, np.ndarray] = {}
        for day in days:
            for mask, row in zip(*_cell_patterns(day), strict=True):
                summed[mask] = summed.get(mask, 0) + row
        masks, rows = _cell_patterns(month)
        assert month.n == sum(d.n for d in days)
        assert sorted(masks) == sorted(summed)
        for mask, row in zip(masks, rows, strict=True):
            assert row.tolist() == pytest.approx(summed[mask].tolist(), rel=1e-12, abs=1e-12)


def test_cells_of_an_older_layout_are_not_read_until_the_next_refresh_rebuilds_them():
    generate(seed=6, today=date(2026, 11, 23), scale=0.02)
    rollups.rebuild_all()
    organisation = _largest()
    RollupFold.unscoped_all_tenants.update(driver_layout="1:overall_grade")
    DriverRollup.unscoped_all_tenants.update(n=0, masks=b"", moments=b"", scores=b"")
    with tenant(organisation):
        assert driver_cells(MeasurementFilter()) is None
        report = driver_report(MeasurementFilter())
        assert report is not None
        raw = driver_report(MeasurementFilter(), from_rollups=False)
        assert _figures(report) == _figures(raw)
        assert rollups.stale_organisations()
        done = rollups.refresh()
        assert done["organisations"] == Organisation.objects.count()
        assert rollups.stale_organisations() == []
        assert driver_cells(MeasurementFilter()) is not None
        assert _figures(driver_report(MeasurementFilter())) == pytest.approx(
            _figures(raw), rel=1e-9, abs=1e-12, nan_ok=True
        )
