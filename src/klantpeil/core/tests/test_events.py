"""The write path's events: what is published, who is woken, and never for a rollback.

Real writes through collection's services and the real subscribers the apps register
(rollups, text analysis, privacy); only a counter is put around each subscriber, so
"woken once" is counted, not guessed from a queue that de-duplicates.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from klantpeil.collection.ingest import create_invitations, ingest_measurements
from klantpeil.collection.models import Measurement
from klantpeil.collection.services import correct_measurement, record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core import events
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel
from klantpeil.rollups.models import MeasurementRecorded

# Subscribers are woken on commit: these tests need real commits.
pytestmark = pytest.mark.django_db(transaction=True)

ON_COMMIT = {
    events.MeasurementsRecorded: [
        "klantpeil.rollups.tasks.on_measurements_recorded",
        "klantpeil.textanalysis.tasks.on_measurements_recorded",
    ],
    events.MeasurementsSuperseded: [],
    events.ContactDetailsStored: ["klantpeil.privacy.tasks.on_contact_details_stored"],
}
IN_TRANSACTION = {
    events.MeasurementsRecorded: ["klantpeil.rollups.events.on_measurements_recorded"],
    events.MeasurementsSuperseded: ["klantpeil.rollups.events.on_measurements_superseded"],
    events.ContactDetailsStored: [],
}


def _name(handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


class Woken(Counter):
    """(subscriber, event type) → deliveries, and the events each subscriber got."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, object]] = []


@pytest.fixture
def woken(monkeypatch) -> Woken:
    counts = Woken()

    def counting(handler):
        def run(event):
            counts[(_name(handler).rsplit(".", 2)[0], type(event).__name__)] += 1
            counts.events.append((_name(handler), event))
            return handler(event)

        return run

    for kind in ON_COMMIT:
        monkeypatch.setitem(events._on_commit, kind, [counting(h) for h in events._on_commit[kind]])
    return counts


def _tasks() -> list[str]:
    return sorted(
        p.rsplit(".", 1)[1] for p in DBTaskResult.objects.values_list("task_path", flat=True)
    )


def _record(grade: int, comment: str = "") -> Measurement:
    answers = {**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade}
    if comment:
        answers["comment"] = comment
    return record_measurement(
        version=latest_version(key="customer-survey"),
        answers=answers,
        source="api",
        channel=Channel.objects.get(kind="email"),
        occurred_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )


def test_the_apps_subscribe_in_ready_in_and_after_the_writers_transaction():
    for kind, names in ON_COMMIT.items():
        assert [_name(h) for h in events._on_commit[kind]] == names, kind
    for kind, names in IN_TRANSACTION.items():
        assert [_name(h) for h in events._now[kind]] == names, kind
    # Subscribing again (a second ready()) changes nothing.
    first = events._on_commit[events.MeasurementsRecorded][0]
    events.subscribe(events.MeasurementsRecorded, first)
    assert len(events.subscribers(events.MeasurementsRecorded)) == 3


class RolledBack(Exception):
    pass


def test_a_rolled_back_write_wakes_nobody_and_leaves_no_outbox_row(make_org, woken):
    org = make_org("alpha")
    with tenant(org), pytest.raises(RolledBack), transaction.atomic():
        _record(7, comment="Lang gewacht")
        ingest_measurements(
            items=[
                {
                    "instrument": "customer-survey",
                    "channel": "email",
                    "occurred_at": datetime(2026, 11, 3, 9, tzinfo=UTC),
                    "answers": CUSTOMER_SURVEY_ANSWERS,
                }
            ],
            source="api",
        )
        create_invitations(
            events=[
                {
                    "channel": "email",
                    "email": "a@example.org",
                    "occurred_at": datetime(2026, 11, 2, tzinfo=UTC),
                }
            ]
        )
        # In the transaction the outbox rows exist already; nobody was woken yet.
        assert MeasurementRecorded.unscoped_all_tenants.count() == 2
        assert not woken
        raise RolledBack
    assert not woken
    assert _tasks() == []
    assert not MeasurementRecorded.unscoped_all_tenants.exists()
    assert not Measurement.unscoped_all_tenants.exists()


def test_a_committed_write_wakes_each_subscriber_once(make_org, woken):
    org = make_org("alpha")
    with tenant(org):
        first = _record(7)
    assert woken == {
        ("klantpeil.rollups", "MeasurementsRecorded"): 1,
        ("klantpeil.textanalysis", "MeasurementsRecorded"): 1,
    }
    [event] = {e for _, e in woken.events}
    assert event == events.MeasurementsRecorded(
        org.pk, ((first.pk, datetime(2026, 11, 2, 9, 30, tzinfo=UTC)),), comments=False
    )
    assert event.days == {datetime(2026, 11, 2).date()}
    assert _tasks() == ["refresh_rollups"]  # no comment: nothing to annotate
    with tenant(org):
        second = _record(6, comment="Vriendelijk geholpen")
    assert woken[("klantpeil.textanalysis", "MeasurementsRecorded")] == 2
    assert _tasks() == ["annotate_new_comments", "refresh_rollups"]  # one refresh waits
    assert sorted(
        MeasurementRecorded.unscoped_all_tenants.values_list("measurement_id", flat=True)
    ) == [
        first.pk,
        second.pk,
    ]
    # A correction: its day is recomputed in the writer's transaction; the replacement
    # is a new measurement like any other.
    with tenant(org):
        correct_measurement(
            measurement=first,
            answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 9},
            reason="typo",
        )
        create_invitations(
            events=[
                {
                    "channel": "email",
                    "email": "a@example.org",
                    "occurred_at": datetime(2026, 11, 2, tzinfo=UTC),
                }
            ]
        )
    assert woken == {
        ("klantpeil.rollups", "MeasurementsRecorded"): 3,
        ("klantpeil.textanalysis", "MeasurementsRecorded"): 3,
        ("klantpeil.privacy", "ContactDetailsStored"): 1,
    }
    assert _tasks() == ["annotate_new_comments", "purge_contact_data", "refresh_rollups"]
