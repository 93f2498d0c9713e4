"""The disclosure-safe sector targets per driver, for the priority model (issue 20)."""

from collections import defaultdict

import pytest
from django.utils import timezone

from klantpeil.analytics.sector import (
    _benchmark_secret,
    benchmark_grid,
    sector_driver_targets,
    sector_grade_benchmarks,
)
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.instruments.models import Driver
from klantpeil.metrics import disclosure
from klantpeil.organisations.models import Organisation


@pytest.fixture(scope="module")
def _demo_data(module_transaction, django_db_blocker):
    """Generated once for the module (conftest.py: module_transaction), not per test."""
    with django_db_blocker.unblock():
        generate(seed=4, today=timezone.localdate(), scale=0.12)


@pytest.fixture
def wadderveen(_demo_data, db):
    return Organisation.objects.get(slug="gemeente-wadderveen")


def _raw_driver_scores(organisation, period, keys_of):
    """Each sector organisation's driver score (mean of its items' means) from the raw
    answers, and the smallest item count, independently of the rollups."""
    sums = defaultdict(lambda: [0, 0.0])
    answers = Answer.unscoped_all_tenants.filter(
        organisation__sector=organisation.sector,
        measurement__superseded_at=None,
        measurement__instrument_version__instrument__key="customer-survey",
        measurement__occurred_at__date__gte=period.start,
        measurement__occurred_at__date__lt=period.end,
        number__isnull=False,
        question__driver__gt="",
    ).values_list("organisation_id", "question__key", "number")
    for owner, key, number in answers:
        sums[owner, key][0] += 1
        sums[owner, key][1] += number
    scores = {}
    for driver, keys in keys_of.items():
        scores[driver] = [
            disclosure.Contribution(
                owner,
                min(sums[owner, k][0] for k in keys),
                sum(sums[owner, k][1] / sums[owner, k][0] for k in keys) / len(keys),
            )
            for owner in {o for o, _ in sums}
            if all(sums[owner, k][0] for k in keys)
        ]
    return scores


def test_each_driver_gets_the_published_upper_quartile_edge_or_none(wadderveen):
    from klantpeil.instruments.models import Question

    keys_of = defaultdict(list)
    for key, driver in (
        Question.objects.filter(version__instrument__key="customer-survey")
        .exclude(driver="")
        .values_list("key", "driver")
        .distinct()
    ):
        if key not in keys_of[driver]:
            keys_of[driver].append(key)
    with tenant(wadderveen):
        targets = sector_driver_targets(MeasurementFilter())
        period, _ = benchmark_grid(MeasurementFilter())
        secret = _benchmark_secret()
        letter = sector_driver_targets(MeasurementFilter(channel="letter"))
        running = sector_driver_targets(MeasurementFilter(period=str(timezone.localdate().year)))
    assert set(targets) == set(Driver.values)
    scores = _raw_driver_scores(wadderveen, period, keys_of)
    for driver in Driver.values:
        cell = disclosure.protected_cell(
            scores[driver],
            wadderveen.pk,
            secret=secret,
            label=f"{wadderveen.sector_id}|all|{period.label}|{driver}",
        )
        target = targets[driver]
        if cell.edges is None:
            assert target is None, driver
            continue
        assert target == type(target)(cell.edges.q3, period.label, 5), driver
        # Never a peer's own score: at least 0.1 from the interpolated quartile it
        # rests on, and no organisation's score itself.
        means = [c.mean for c in scores[driver]]
        counted = disclosure.contributors(scores[driver])
        exact = disclosure.interpolated([c.mean for c in counted], 0.75)
        assert abs(target.value - exact) >= 0.1 - 1e-9
        assert all(abs(target.value - m) > 1e-9 for m in means)
    # Reliability is asked in every channel: five organisations with 30 answers.
    assert targets["reliability"] is not None
    # Letters are few: fewer than five organisations with 30 responses, no target.
    assert all(v is None for v in letter.values())
    # A year that is not over has no grid cell: no target.
    assert all(v is None for v in running.values())


def test_the_grade_comparison_maps_a_month_to_its_quarter_and_refuses_the_running_one(
    wadderveen,
):
    today = timezone.localdate()
    with tenant(wadderveen):
        latest = disclosure.latest_complete_quarter(today)
        month = f"{latest.start.year}-{latest.start.month:02d}"
        mapped = sector_grade_benchmarks(MeasurementFilter(period=month))
        quarter = sector_grade_benchmarks(MeasurementFilter(period=latest.label))
        running = sector_grade_benchmarks(MeasurementFilter(period=f"{today:%Y-%m}"))
        unit = sector_grade_benchmarks(MeasurementFilter(unit="x"))
    assert (mapped.period, mapped.requested) == (latest, month)
    assert [r.cell for r in mapped.rows] == [r.cell for r in quarter.rows]
    assert quarter.requested is None and not quarter.refused
    assert running.period is None and running.rows == []
    quarter_now = disclosure.quarter_of(today).label
    assert running.refused == (
        f"Sector figures for {today:%Y-%m} are published once {quarter_now} is over; "
        f"the latest are for {latest.label}."
    )
    assert "whole organisations" in unit.refused
