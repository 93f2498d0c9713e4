"""The rollups' feed is commit-safe: real concurrent transactions on PostgreSQL.

On PostgreSQL an id is taken at insert and becomes visible at commit, so a batch
held in a long transaction can commit after measurements with higher ids and after
a refresh has run. The outbox row written in the batch's own transaction makes the
fold find it whenever it commits; an id watermark would have moved past it for good.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.models import Max, Sum

from klantpeil.analytics.selectors import channel_kpis
from klantpeil.collection.ingest import ingest_measurements
from klantpeil.collection.models import Measurement
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.rollups import services as rollups
from klantpeil.rollups.models import AnswerRollup, RollupFold

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="commit order under real concurrency needs PostgreSQL (runs in its pass)",
    ),
]
FIRST_DAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _items(prefix: str, count: int, days: int = 3) -> list[dict]:
    return [
        {
            "instrument": "customer-survey",
            "channel": ("email", "counter")[i % 2],
            "unit": "front",
            "occurred_at": FIRST_DAY + timedelta(days=i % days, minutes=i),
            "external_id": f"{prefix}-{i}",
            "answers": {**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 1 + i % 10},
        }
        for i in range(count)
    ]


def _ingest(org, prefix: str, count: int) -> list[int]:
    with tenant(org):
        return [r.id for r in ingest_measurements(items=_items(prefix, count), source="api")]


def _raw_counts() -> Counter:
    counts: Counter = Counter()
    for org, moment in Measurement.unscoped_all_tenants.filter(superseded_at=None).values_list(
        "organisation_id", "occurred_at"
    ):
        counts[(org, moment.astimezone(rollups.ZONE).date())] += 1
    return counts


def _rollup_counts() -> Counter:
    cells = AnswerRollup.unscoped_all_tenants.filter(
        question_key=rollups.MEASUREMENTS, unit_key=rollups.ALL_UNITS
    )
    return Counter(
        {
            (org, day): n
            for org, day, n in cells.values_list("organisation_id", "day").annotate(n=Sum("n"))
        }
    )


def _exact(org) -> None:
    """The dashboards' figures (rollups plus tail) equal the raw aggregate right now."""
    with tenant(org):
        assert channel_kpis(MeasurementFilter()) == channel_kpis(
            MeasurementFilter(), from_rollups=False
        )


def test_a_batch_that_commits_after_later_measurements_and_a_refresh_is_still_counted(make_org):
    alpha, beta = make_org("alpha"), make_org("beta")
    _ingest(alpha, "early", 30)
    rollups.refresh()
    inserted, release = threading.Event(), threading.Event()
    held: dict = {}

    def hold_a_batch_open() -> None:
        try:
            with transaction.atomic():
                held["ids"] = _ingest(alpha, "held", 600)
                inserted.set()
                assert release.wait(60)
        except BaseException as exc:  # asserted below
            held["error"] = exc
            inserted.set()
        finally:
            connections.close_all()

    batch = threading.Thread(target=hold_a_batch_open)
    batch.start()
    try:
        assert inserted.wait(60) and "error" not in held, held
        # Form answers and other batches commit meanwhile, with higher ids.
        later = _ingest(alpha, "later", 9) + _ingest(beta, "beta", 12)
        visible_at_refresh = set(Measurement.unscoped_all_tenants.values_list("id", flat=True))
        watermark = Measurement.unscoped_all_tenants.aggregate(m=Max("id"))["m"]
        assert max(held["ids"]) < min(later), "the held batch took its ids first"
        assert not visible_at_refresh & set(held["ids"]), "and is not visible yet"
        assert rollups.refresh()["measurements"] == 21
        _exact(alpha)
        assert _rollup_counts() == _raw_counts()  # the held batch is not committed yet
    finally:
        release.set()
        batch.join(60)
    assert "error" not in held, held
    # The old design folded everything up to the newest visible id; these committed
    # below that watermark afterwards and would never have been counted.
    skipped = set(
        Measurement.unscoped_all_tenants.filter(id__lte=watermark)
        .exclude(id__in=visible_at_refresh)
        .values_list("id", flat=True)
    )
    assert skipped == set(held["ids"]) and len(skipped) == 600
    _exact(alpha)  # before the worker runs: the tail holds the late batch
    assert sum(_raw_counts().values()) - sum(_rollup_counts().values()) == 600
    result = rollups.refresh()
    assert (result["organisations"], result["days"], result["measurements"]) == (1, 3, 600)
    assert _rollup_counts() == _raw_counts()
    assert sum(_rollup_counts().values()) == 30 + 600 + 21
    assert not rollups.pending_rows().exists()
    assert rollups.check(repair=False, trigger="test").days_different == 0
    _exact(alpha)


def test_two_refreshes_at_once_fold_each_measurement_once_while_writes_go_on(make_org):
    orgs = [make_org(slug) for slug in ("noord", "oost", "zuid")]
    for number, org in enumerate(orgs):
        _ingest(org, f"backlog{number}", 400)
    start = threading.Barrier(3)
    results, failures = [], []

    def refresh() -> None:
        try:
            start.wait(30)
            for _ in range(3):
                results.append(rollups.refresh())
        except BaseException as exc:  # asserted below
            failures.append(exc)
        finally:
            connections.close_all()

    def write() -> None:
        try:
            start.wait(30)
            for number in range(6):
                _ingest(orgs[number % 3], f"during{number}", 50)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=t) for t in (refresh, refresh, write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    results.append(rollups.refresh())  # what the last writes left
    total = 3 * 400 + 6 * 50
    # Every outbox row was claimed by exactly one fold: none twice, none left.
    assert sum(r["measurements"] for r in results) == total
    assert sum(RollupFold.unscoped_all_tenants.values_list("folded", flat=True)) == total
    assert not rollups.pending_rows().exists()
    assert _rollup_counts() == _raw_counts()
    assert sum(_rollup_counts().values()) == total
    for org in orgs:
        _exact(org)
