"""The write path's events under real concurrent transactions on PostgreSQL.

A write held open in one connection while others commit: its subscribers are woken
when, and only when, it commits, once each; rolled back, it publishes nothing, and
its in-transaction outbox rows vanish with it (klantpeil.core.events).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction
from django_tasks_db.models import DBTaskResult

from klantpeil.collection.ingest import ingest_measurements
from klantpeil.collection.models import Measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core import events
from klantpeil.core.tenancy import tenant
from klantpeil.rollups import services as rollups
from klantpeil.rollups.models import MeasurementRecorded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a transaction held open beside others needs PostgreSQL (runs in its pass)",
    ),
]
FIRST_DAY = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _items(prefix: str, count: int, comment: bool) -> list[dict]:
    return [
        {
            "instrument": "customer-survey",
            "channel": "email",
            "occurred_at": FIRST_DAY + timedelta(minutes=i),
            "external_id": f"{prefix}-{i}",
            "answers": {
                **CUSTOMER_SURVEY_ANSWERS,
                **({"comment": f"opmerking {i}"} if comment else {}),
            },
        }
        for i in range(count)
    ]


def _ingest(org, prefix: str, count: int, comment: bool = False) -> list[int]:
    with tenant(org):
        return [
            r.id for r in ingest_measurements(items=_items(prefix, count, comment), source="api")
        ]


@pytest.fixture
def woken(monkeypatch) -> list[tuple[str, events.MeasurementsRecorded]]:
    """The real on-commit subscribers, each wrapped to log (subscriber, event) as it runs."""
    log: list = []

    def logging(handler):
        def run(event):
            log.append((handler.__module__, event))
            return handler(event)

        return run

    kind = events.MeasurementsRecorded
    monkeypatch.setitem(events._on_commit, kind, [logging(h) for h in events._on_commit[kind]])
    return log


def _hold(org, prefix: str, count: int, *, commit: bool):
    """Start a thread that ingests in a transaction and waits; returns (thread, state)."""
    inserted, release = threading.Event(), threading.Event()
    state: dict = {"release": release}

    def run() -> None:
        try:
            with transaction.atomic():
                state["ids"] = _ingest(org, prefix, count, comment=True)
                state["in_transaction"] = MeasurementRecorded.unscoped_all_tenants.filter(
                    measurement_id__in=state["ids"]
                ).count()
                inserted.set()
                assert release.wait(60)
                if not commit:
                    transaction.set_rollback(True)
        except BaseException as exc:  # asserted by the caller
            state["error"] = exc
            inserted.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    assert inserted.wait(60) and "error" not in state, state
    return thread, state


def _queued() -> Counter:
    return Counter(
        p.rsplit(".", 1)[1] for p in DBTaskResult.objects.values_list("task_path", flat=True)
    )


def test_a_held_write_wakes_its_subscribers_once_at_commit_and_never_if_rolled_back(
    make_org, woken
):
    alpha = make_org("alpha")
    # A batch that will roll back, held open while another commits beside it.
    thread, rolled = _hold(alpha, "rolled", 40, commit=False)
    try:
        assert rolled["in_transaction"] == 40  # its outbox rows, in its own transaction
        assert not woken and not _queued()
        beside = _ingest(alpha, "beside", 5)
        assert sorted(m for _, e in woken for m, _ in e.measurements) == sorted(beside * 2)
        assert [module for module, _ in woken] == [
            "klantpeil.rollups.tasks",
            "klantpeil.textanalysis.tasks",
        ]
        assert _queued() == {"refresh_rollups": 1}  # no comment beside: nothing to annotate
    finally:
        rolled["release"].set()
        thread.join(60)
    assert "error" not in rolled, rolled
    assert len(woken) == 2, "the rolled-back batch woke nobody"
    assert not Measurement.unscoped_all_tenants.filter(id__in=rolled["ids"]).exists()
    assert not MeasurementRecorded.unscoped_all_tenants.filter(
        measurement_id__in=rolled["ids"]
    ).exists()
    assert _queued() == {"refresh_rollups": 1}

    # A batch that will commit, held open while the worker folds what is visible.
    woken.clear()
    thread, held = _hold(alpha, "held", 30, commit=True)
    try:
        assert rollups.refresh()["measurements"] == 5
        assert not woken, "held and uncommitted: nobody woken yet"
    finally:
        held["release"].set()
        thread.join(60)
    assert "error" not in held, held
    assert [(module, sorted(m for m, _ in e.measurements), e.comments) for module, e in woken] == [
        ("klantpeil.rollups.tasks", sorted(held["ids"]), True),
        ("klantpeil.textanalysis.tasks", sorted(held["ids"]), True),
    ]
    # One refresh waits however often it was asked for; the comments are to be annotated.
    assert _queued() == {"refresh_rollups": 1, "annotate_new_comments": 1}
    assert rollups.refresh()["measurements"] == 30
