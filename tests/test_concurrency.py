"""Duplicate submissions racing each other on PostgreSQL: exactly one record survives."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from klantpeil.collection.ingest import create_invitations, ingest_measurements
from klantpeil.collection.models import Measurement, OpenLink
from klantpeil.collection.services import answer_invitation, answer_open_link
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks under real concurrency need PostgreSQL (runs in the PostgreSQL pass)",
    ),
]
ANSWERS = CUSTOMER_SURVEY_ANSWERS
RACERS = 8


def _race(org, work):
    barrier = threading.Barrier(RACERS)
    results, failures = [], []

    def run():
        try:
            with tenant(org):
                barrier.wait()
                results.append(work())
        except Exception as exc:  # collected and asserted below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, failures


def test_racing_submissions_of_one_invitation_make_one_measurement(make_org):
    org = make_org("alpha")
    with tenant(org):
        [(invitation, _)] = create_invitations(
            events=[{"channel": "email", "occurred_at": datetime(2026, 9, 1, tzinfo=UTC)}]
        )
    results, failures = _race(
        org, lambda: answer_invitation(invitation_id=invitation.pk, answers=ANSWERS)
    )
    assert failures == []
    assert sum(r.created for r in results) == 1
    assert len({r.measurement.pk for r in results}) == 1
    assert Measurement.unscoped_all_tenants.count() == 1


def test_racing_open_link_double_taps_make_one_measurement(make_org):
    org = make_org("alpha")
    with tenant(org):
        link = OpenLink.objects.create(
            slug="balie",
            name="Balie",
            channel=Channel.objects.get(kind="counter"),
            instrument_version=latest_version(key="customer-survey"),
        )
    results, failures = _race(
        org, lambda: answer_open_link(link=link, submission_id="tap", answers=ANSWERS)
    )
    assert failures == []
    assert sum(r.created for r in results) == 1
    assert Measurement.unscoped_all_tenants.count() == 1


def test_racing_retries_of_one_api_batch_store_each_external_id_once(make_org):
    org = make_org("alpha")
    batch = [
        {
            "instrument": "customer-survey",
            "occurred_at": datetime(2026, 9, 1, tzinfo=UTC),
            "channel": "email",
            "external_id": f"crm-{i}",
            "answers": ANSWERS,
        }
        for i in range(20)
    ]
    results, failures = _race(org, lambda: ingest_measurements(items=batch, source="api"))
    assert failures == []
    assert Measurement.unscoped_all_tenants.count() == 20
    assert sum(r.created for run in results for r in run) == 20
