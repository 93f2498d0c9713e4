"""The "measurement recorded" event, published in the writer's own transaction.

Every write path that stores measurements (respondent form, API batches, imports,
field forms and corrections) calls :func:`measurements_recorded` inside the
transaction that inserts them. The event is an outbox row per subscriber
(:class:`~klantpeil.analytics.models.MeasurementRecorded`), so it commits, or
rolls back, with the measurements themselves: a subscriber sees exactly the
measurements that are committed, whatever order concurrent transactions commit
in. Today the rollups subscribe; text analysis and privacy may later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from klantpeil.analytics.models import MeasurementRecorded

ZONE = ZoneInfo("Europe/Amsterdam")
ROLLUPS = "rollups"
SUBSCRIBERS = (ROLLUPS,)


def measurements_recorded(
    organisation_id: int, measurements: Iterable[tuple[int, datetime]]
) -> int:
    """Publish the event for these (measurement id, occurred_at) pairs of one organisation;
    call it inside the transaction that stores them. Returns the outbox rows written."""
    rows = [
        MeasurementRecorded(
            organisation_id=organisation_id,
            measurement_id=measurement_id,
            day=occurred_at.astimezone(ZONE).date(),
            subscriber=subscriber,
        )
        for measurement_id, occurred_at in measurements
        for subscriber in SUBSCRIBERS
    ]
    MeasurementRecorded.all_tenants.bulk_create(rows, batch_size=2_000)
    return len(rows)
