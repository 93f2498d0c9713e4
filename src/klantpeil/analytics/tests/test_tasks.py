"""Writes queue one rollup refresh; the database worker runs it and empties the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django_tasks_db.models import DBTaskResult

from klantpeil.analytics.models import AnswerRollup
from klantpeil.analytics.rollups import ALL_UNITS, pending_rows
from klantpeil.cli import main
from klantpeil.collection.ingest import ingest_measurements
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel

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
    assert DBTaskResult.objects.successful().count() == 1
    assert not pending_rows().exists()
    grade = AnswerRollup.all_tenants.get(
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
    grade = AnswerRollup.all_tenants.get(
        organisation=org, question_key="overall_grade", unit_key=ALL_UNITS
    )
    assert grade.n == 2
