"""Writes queue one rollup refresh; the database worker runs it and empties the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tasks_db.models import DBTaskResult

from klantpeil.cli import main
from klantpeil.collection.ingest import ingest_measurements
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel
from klantpeil.rollups.models import AnswerRollup
from klantpeil.rollups.services import ALL_UNITS, pending_rows

# The refresh is queued when the write commits, so these tests need real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def _submit(grade: int) -> int:
    return record_measurement(
        version=latest_version(key="customer-survey"),
        answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade},
        source="api",
        channel=Channel.objects.get(kind="email"),
        occurred_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    ).pk


def test_a_burst_of_submissions_queues_one_refresh_that_the_worker_runs(make_org):
    org = make_org("alpha")
    with tenant(org):
        ids = [_submit(grade) for grade in (6, 7, 9)]
    assert DBTaskResult.objects.ready().count() == 1
    assert sorted(pending_rows().values_list("measurement_id", flat=True)) == sorted(ids)

    assert main(["worker", "--once"]) == 0

    assert DBTaskResult.objects.ready().count() == 0
    # The refresh ran once; a worker starting on a never-checked service also ran the
    # rollups' self-check (rollups.tasks.resume_after_crash).
    done = sorted(
        p.rsplit(".", 1)[1]
        for p in DBTaskResult.objects.successful().values_list("task_path", flat=True)
        if p.startswith("klantpeil.rollups.")  # a starting worker queues other apps' work too
    )
    assert done == ["check_rollups", "refresh_rollups"]
    assert not pending_rows().exists()
    grade = AnswerRollup.unscoped_all_tenants.get(
        organisation=org, question_key="overall_grade", unit_key=ALL_UNITS
    )
    assert (grade.n, grade.total, grade.v6, grade.v7, grade.v9) == (3, 22.0, 1, 1, 1)


def test_a_bulk_ingest_queues_a_refresh_but_a_refused_one_does_not(make_org):
    org = make_org("alpha")
    item = {
        "instrument": "customer-survey",
        "channel": "email",
        "occurred_at": datetime(2026, 11, 3, 14, tzinfo=UTC),
        "answers": CUSTOMER_SURVEY_ANSWERS,
    }
    with tenant(org):
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do here
            ingest_measurements(items=[{**item, "instrument": "nope"}], source="api")
        assert DBTaskResult.objects.count() == 0
        ingest_measurements(items=[item, item], source="api")
    assert DBTaskResult.objects.ready().count() == 1
    main(["worker", "--once"])
    grade = AnswerRollup.unscoped_all_tenants.get(
        organisation=org, question_key="overall_grade", unit_key=ALL_UNITS
    )
    assert grade.n == 2


def test_tasks_left_running_by_a_worker_that_is_gone_are_queued_again():
    import os
    import socket
    import subprocess
    import sys
    from datetime import timedelta

    from django.utils import timezone

    from klantpeil.rollups.tasks import reclaim_abandoned_tasks, refresh_rollups

    host = socket.gethostname()[:40]
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    now = timezone.now()
    cases = {
        "this process, alive": (f"{host}:{os.getpid()}:a", now, "RUNNING"),
        # A live process that started after the claim is another one with the pid reused.
        "this host, pid reused": (f"{host}:{os.getpid()}:e", now - timedelta(hours=3), "READY"),
        "this host, process gone": (f"{host}:{gone.stdout.strip()}:b", now, "READY"),
        "another host, within the lease": ("elsewhere:1:c", now - timedelta(minutes=5), "RUNNING"),
        "another host, past the lease": ("elsewhere:1:d", now - timedelta(hours=2), "READY"),
        "an id that names no process, past the lease": (
            "x" * 32,
            now - timedelta(hours=2),
            "READY",
        ),
    }
    ids = {}
    for case, (worker, started_at, _) in cases.items():
        result = refresh_rollups.enqueue()
        DBTaskResult.objects.filter(pk=result.id).update(
            status="RUNNING", started_at=started_at, worker_ids=[worker]
        )
        ids[case] = result.id
    assert reclaim_abandoned_tasks() == 4
    assert {case: DBTaskResult.objects.get(pk=pk).status for case, pk in ids.items()} == {
        case: status for case, (_, _, status) in cases.items()
    }
    assert reclaim_abandoned_tasks() == 0


def test_a_worker_starting_on_a_never_checked_service_checks_at_once_then_daily():
    from django.utils import timezone

    from klantpeil.rollups.models import RollupCheck
    from klantpeil.rollups.tasks import CHECK_INTERVAL, check_rollups, resume_after_crash

    def queued_checks():
        return DBTaskResult.objects.filter(task_path=check_rollups.module_path, status="READY")

    resume_after_crash()
    [first] = queued_checks()
    assert first.run_after is None or first.run_after <= timezone.now()
    DBTaskResult.objects.all().delete()
    RollupCheck.objects.create(trigger="schedule")
    resume_after_crash()
    [later] = queued_checks()
    assert later.run_after > timezone.now() + CHECK_INTERVAL * 0.9
