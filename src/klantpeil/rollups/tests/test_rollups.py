"""Rollups hold exactly the sums the raw answers give, and stay so through refreshes."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import UTC, date, datetime

import numpy as np
import pytest
from django.db.models import Count, Q, Sum

from klantpeil.analytics import sector
from klantpeil.analytics import selectors as analytics_selectors
from klantpeil.analytics.selectors import channel_kpis
from klantpeil.collection import selectors as collection_selectors
from klantpeil.collection.models import Answer, Measurement
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.collection.services import correct_measurement, record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics.disclosure import GridPeriod
from klantpeil.organisations.models import Channel, Organisation, Unit
from klantpeil.rollups import services as rollups
from klantpeil.rollups.models import AnswerRollup

pytestmark = pytest.mark.django_db


def _sums_by_key_and_channel():
    raw: dict = defaultdict(lambda: [0, 0.0, 0.0])
    for key, kind, number in Answer.unscoped_all_tenants.filter(
        number__isnull=False, measurement__superseded_at=None
    ).values_list("question__key", "measurement__channel__kind", "number"):
        cell = raw[(key, kind)]
        cell[0] += 1
        cell[1] += number
        cell[2] += number * number
    kinds = dict(Channel.unscoped_all_tenants.values_list("id", "kind"))
    rolled: dict = defaultdict(lambda: [0, 0.0, 0.0])
    per_unit = AnswerRollup.unscoped_all_tenants.exclude(unit_key=rollups.ALL_UNITS)
    for r in per_unit.exclude(question_key=rollups.MEASUREMENTS):
        cell = rolled[(r.question_key, kinds.get(r.channel_key))]
        cell[0] += r.n
        cell[1] += r.total
        cell[2] += r.total_squares
    return raw, rolled


def test_a_full_rebuild_equals_the_raw_answers_exactly_on_random_data():
    generate(seed=5, today=date(2026, 11, 23), scale=0.02)
    rollups.rebuild_all()
    raw, rolled = _sums_by_key_and_channel()
    assert raw.keys() == rolled.keys()
    for cell, (n, total, squares) in raw.items():
        assert rolled[cell][0] == n
        assert rolled[cell][1] == pytest.approx(total, rel=1e-12)
        assert rolled[cell][2] == pytest.approx(squares, rel=1e-12)
    # The measurement cells count every current measurement once.
    current = Measurement.unscoped_all_tenants.current().count()
    for units in (Q(unit_key=rollups.ALL_UNITS), ~Q(unit_key=rollups.ALL_UNITS)):
        counted = AnswerRollup.unscoped_all_tenants.filter(units, question_key=rollups.MEASUREMENTS)
        assert sum(r.n for r in counted) == current
    # The value counts add up to n for scale answers.
    grade = AnswerRollup.unscoped_all_tenants.filter(question_key="overall_grade").exclude(
        unit_key=rollups.ALL_UNITS
    )
    assert sum(sum(getattr(r, f"v{i}") for i in range(11)) for r in grade) == sum(
        r.n for r in grade
    )


def test_refresh_from_the_outbox_is_idempotent_and_follows_corrections(make_org):
    org = make_org("alpha")
    with tenant(org):
        version = latest_version(key="customer-survey")
        email = Channel.objects.get(kind="email")
        first = record_measurement(
            version=version,
            answers=CUSTOMER_SURVEY_ANSWERS,
            source="api",
            channel=email,
            occurred_at=datetime(2026, 9, 14, 22, 30, tzinfo=UTC),  # 00:30 on the 15th locally
        )
    assert rollups.refresh()["days"] == 1
    grade = AnswerRollup.unscoped_all_tenants.get(question_key="overall_grade", unit_key=0)
    assert (grade.day, grade.n, grade.total, grade.v8) == (date(2026, 9, 15), 1, 8.0, 1)
    assert rollups.refresh() == {"organisations": 0, "days": 0, "rows": 0, "measurements": 0}
    with tenant(org):
        correct_measurement(
            measurement=first,
            answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 3},
            reason="typo",
        )
    rollups.refresh()
    grade = AnswerRollup.unscoped_all_tenants.get(question_key="overall_grade", unit_key=0)
    assert (grade.n, grade.total, grade.v3, grade.v8) == (1, 3.0, 1, 0)
    before = sorted(AnswerRollup.unscoped_all_tenants.values_list("question_key", "n", "total"))
    rollups.rebuild_all()
    assert (
        sorted(AnswerRollup.unscoped_all_tenants.values_list("question_key", "n", "total"))
        == before
    )


FILTERS = [
    MeasurementFilter(),
    MeasurementFilter(period="2026-Q2"),
    MeasurementFilter(period="2026-10", channel="phone"),
    MeasurementFilter(since=date(2026, 3, 29), until=date(2026, 10, 25)),  # clock changes
]


def _figures(kpis) -> tuple[list[str], list[float]]:
    """The channels, and every n, value and bound as one flat list for approx."""
    numbers = [
        float("nan") if x is None else x
        for k in kpis
        for e in (k.grade, k.nps, k.ces, k.fcr)
        for x in (e.n, e.value, e.ci_low, e.ci_high)
    ]
    return [k.kind for k in kpis], numbers


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.period or str(f.since or "all"))
def test_kpis_from_rollups_equal_kpis_from_the_raw_answers(filters):
    generate(seed=7, today=date(2026, 11, 23), scale=0.02)
    rollups.rebuild_all()
    organisation = Organisation.objects.order_by("pk").first()
    unit = Unit.unscoped_all_tenants.filter(organisation=organisation).first()
    with tenant(organisation):
        for f in (filters, dataclasses.replace(filters, unit=unit.code)):
            kinds, numbers = _figures(channel_kpis(f))
            raw_kinds, raw_numbers = _figures(channel_kpis(f, from_rollups=False))
            assert kinds == raw_kinds, f
            assert kinds or f.unit, f  # the unit of a small sample may be empty
            assert numbers == pytest.approx(raw_numbers, rel=1e-12, nan_ok=True)


def test_pending_measurements_count_before_the_worker_folds_them_in():
    generate(seed=8, today=date(2026, 11, 23), scale=0.01)
    rollups.rebuild_all()
    organisation = Organisation.objects.order_by("pk").first()
    with tenant(organisation):
        before = channel_kpis(MeasurementFilter())
        for grade in (1, 2, 3):
            record_measurement(
                version=latest_version(key="customer-survey"),
                answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade},
                source="api",
                channel=Channel.objects.get(kind="email"),
                occurred_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
            )
        fresh = channel_kpis(MeasurementFilter())
        assert fresh == channel_kpis(MeasurementFilter(), from_rollups=False)
        email = {k.kind: k for k in fresh}["email"]
        assert email.grade.n == {k.kind: k for k in before}["email"].grade.n + 3
        rollups.refresh()
        assert channel_kpis(MeasurementFilter()) == fresh


def test_counts_and_the_sector_benchmark_from_rollups_equal_the_raw_figures():
    generate(seed=9, today=date(2026, 11, 23), scale=0.02)
    rollups.rebuild_all()
    organisation = Organisation.objects.order_by("pk").first()
    since = date(2025, 12, 1)
    with tenant(organisation):
        # One measurement the worker has not folded in yet counts as well.
        record_measurement(
            version=latest_version(key="customer-survey"),
            answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 2},
            source="api",
            channel=Channel.objects.get(kind="email"),
            occurred_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        )
        assert analytics_selectors.counts_per_channel_and_month(
            since=since
        ) == collection_selectors.counts_per_channel_and_month(since=since)
        # Changed by issue 20: the sector read is per grid cell (a quarter or a year)
        # and feeds the disclosure rules; its per-organisation sums equal the raw ones.
        q4 = GridPeriod("2026-Q4", date(2026, 10, 1), date(2027, 1, 1))
        rolled = sector._sector_sums(q4, None, ["overall_grade"])
    peers = Organisation.objects.filter(sector=organisation.sector)
    raw = {
        o.pk: Answer.unscoped_all_tenants.filter(
            organisation=o,
            question__key="overall_grade",
            measurement__superseded_at=None,
            measurement__instrument_version__instrument__key="customer-survey",
            measurement__occurred_at__gte=datetime(2026, 9, 30, 22, tzinfo=UTC),
            number__isnull=False,
        ).aggregate(n=Count("id"), total=Sum("number"))
        for o in peers
    }
    assert {owner: (n, float(total)) for (owner, _), (n, total) in rolled.items()} == {
        o: (r["n"], float(r["total"])) for o, r in raw.items()
    }
    assert len(rolled) == 5


def test_monthly_grades_equal_the_raw_monthly_means():
    generate(seed=10, today=date(2026, 11, 23), scale=0.02)
    rollups.rebuild_all()
    organisation = Organisation.objects.order_by("pk").first()
    with tenant(organisation):
        trend = analytics_selectors.monthly_grades(since=date(2026, 1, 1))
        raw: dict = defaultdict(list)
        for measurement in (
            Measurement.objects.current()
            .filter(
                instrument_version__instrument__key="customer-survey",
                occurred_at__gte=datetime(2025, 12, 31, 23, tzinfo=UTC),
            )
            .select_related("channel")
        ):
            grade = Answer.objects.filter(measurement=measurement, question__key="overall_grade")
            local = measurement.occurred_at.astimezone(rollups.ZONE)
            for number in grade.values_list("number", flat=True):
                raw[(local.date().replace(day=1), measurement.channel.kind)].append(number)
    assert trend and {(p.month, p.kind) for p in trend} == set(raw)
    for point in trend:
        values = raw[(point.month, point.kind)]
        assert point.grade.n == len(values)
        assert point.grade.value == pytest.approx(np.mean(values))


def _record_without_outbox(org, grade: int, when: datetime) -> Measurement:
    """A measurement stored past the feed, as a late commit under the old id watermark was."""
    with tenant(org):
        measurement = record_measurement(
            version=latest_version(key="customer-survey"),
            answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade},
            source="api",
            channel=Channel.objects.get(kind="email"),
            occurred_at=when,
        )
    rollups.pending_rows().filter(measurement=measurement).delete()
    return measurement


def test_the_self_check_finds_repairs_and_records_days_that_differ(make_org, make_member, client):
    from klantpeil.cli import main
    from klantpeil.rollups.models import RollupCheck

    alpha, beta = make_org("alpha"), make_org("beta")
    for org, day in ((alpha, 2), (alpha, 3), (beta, 3)):
        with tenant(org):
            record_measurement(
                version=latest_version(key="customer-survey"),
                answers=CUSTOMER_SURVEY_ANSWERS,
                source="api",
                channel=Channel.objects.get(kind="email"),
                occurred_at=datetime(2026, 11, day, 9, tzinfo=UTC),
            )
    rollups.refresh()
    assert rollups.check(trigger="test").days_different == 0
    # Two faults: a measurement the feed never saw, and a cell changed by hand.
    _record_without_outbox(alpha, 4, datetime(2026, 11, 3, 12, tzinfo=UTC))
    AnswerRollup.unscoped_all_tenants.filter(
        organisation=alpha, day=date(2026, 11, 2), question_key=rollups.MEASUREMENTS
    ).update(n=5)
    _record_without_outbox(beta, 6, datetime(2026, 10, 30, 23, 30, tzinfo=UTC))  # 31 Oct local
    assert main(["rollups", "check"]) == 1  # found, not repaired
    found = RollupCheck.objects.first()
    assert (found.trigger, found.days_different, found.days_repaired) == ("cli check", 3, 0)
    assert found.differences == [
        {"organisation": "alpha", "day": "2026-11-02", "rollups": 5, "raw": 1},
        {"organisation": "alpha", "day": "2026-11-03", "rollups": 1, "raw": 2},
        {"organisation": "beta", "day": "2026-10-31", "rollups": 0, "raw": 1},
    ]
    assert main(["rollups", "check", "--repair"]) == 0
    assert RollupCheck.objects.first().days_repaired == 3
    assert rollups.check(repair=False, trigger="test").days_different == 0
    for org in (alpha, beta):
        with tenant(org):
            assert channel_kpis(MeasurementFilter()) == channel_kpis(
                MeasurementFilter(), from_rollups=False
            )
    # The operator's back office shows the runs and each organisation's feed.
    client.force_login(make_member("ops@klantpeil.example", None, "operator"))
    page = client.get("/admin/rollups/rollupcheck/")
    assert page.status_code == 200
    assert "alpha 2026-11-03: 1 → 2" in page.content.decode()
    assert client.get("/admin/rollups/rollupfold/").status_code == 200
    assert client.get(f"/admin/rollups/rollupcheck/{found.pk}/delete/").status_code == 403
    # Bookmarks from before the models moved out of the analytics app still arrive.
    moved = client.get("/admin/analytics/rollupcheck/?trigger=schedule")
    assert (moved.status_code, moved["Location"]) == (
        301,
        "/admin/rollups/rollupcheck/?trigger=schedule",
    )


def test_a_correction_is_never_counted_beside_its_original(make_org):
    org = make_org("alpha")
    with tenant(org):
        first = record_measurement(
            version=latest_version(key="customer-survey"),
            answers=CUSTOMER_SURVEY_ANSWERS,
            source="api",
            channel=Channel.objects.get(kind="email"),
            occurred_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        )
    rollups.refresh()
    with tenant(org):
        correct_measurement(
            measurement=first, answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 3}, reason="x"
        )
        # Before the worker runs: the original's day was recomputed with the correction.
        figures = channel_kpis(MeasurementFilter())
        assert figures == channel_kpis(MeasurementFilter(), from_rollups=False)
        assert (figures[0].grade.n, figures[0].grade.value) == (1, 3.0)


def test_a_fold_claims_its_backlog_in_several_batches(make_org, monkeypatch):
    monkeypatch.setattr(rollups, "CLAIM_BATCH", 2)
    org = make_org("alpha")
    with tenant(org):
        for day in (2, 3, 3, 5, 9):
            record_measurement(
                version=latest_version(key="customer-survey"),
                answers=CUSTOMER_SURVEY_ANSWERS,
                source="api",
                channel=Channel.objects.get(kind="email"),
                occurred_at=datetime(2026, 11, day, 9, tzinfo=UTC),
            )
    assert rollups.refresh()["measurements"] == 5
    assert not rollups.pending_rows().exists()
    cells = AnswerRollup.unscoped_all_tenants.filter(
        question_key=rollups.MEASUREMENTS, unit_key=rollups.ALL_UNITS
    )
    assert sorted(cells.values_list("day__day", "n")) == [(2, 1), (3, 2), (5, 1), (9, 1)]


def test_the_self_check_finds_and_repairs_driver_cells_that_differ(make_org):
    from klantpeil.rollups.models import DriverRollup

    alpha = make_org("alpha")
    with tenant(alpha):
        for day in (2, 3):
            record_measurement(
                version=latest_version(key="customer-survey"),
                answers=CUSTOMER_SURVEY_ANSWERS,
                source="api",
                channel=Channel.objects.get(kind="email"),
                occurred_at=datetime(2026, 11, day, 9, tzinfo=UTC),
            )
    rollups.refresh()
    assert rollups.check(trigger="test").days_different == 0
    cells = DriverRollup.unscoped_all_tenants.filter(
        organisation=alpha, unit_key=rollups.ALL_UNITS, channel_key=rollups.ALL
    )
    cells.filter(span=DriverRollup.DAY, day=date(2026, 11, 3)).update(n=7)
    found = rollups.check(repair=False, trigger="test")
    # The day against the raw answers, and so its month against the sum of its days.
    assert found.differences == [
        {"organisation": "alpha", "day": "2026-11-01", "rollups": 2, "raw": 8, "cells": "drivers"},
        {"organisation": "alpha", "day": "2026-11-03", "rollups": 7, "raw": 1, "cells": "drivers"},
    ]
    cells.filter(span=DriverRollup.DAY, day=date(2026, 11, 3)).update(n=1)
    cells.filter(span=DriverRollup.MONTH).update(n=5)  # the month no longer its days' sum
    found = rollups.check(trigger="test")
    assert found.differences == [
        {"organisation": "alpha", "day": "2026-11-01", "rollups": 5, "raw": 2, "cells": "drivers"}
    ]
    assert found.days_repaired == 1
    assert rollups.check(repair=False, trigger="test").days_different == 0
    assert cells.get(span=DriverRollup.MONTH).n == 2
