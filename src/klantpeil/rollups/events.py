"""The "measurement recorded" event, published in the writer's own transaction.

Every write path that stores measurements (respondent form, API batches, imports,
field forms and corrections) calls :func:`measurements_recorded` inside the
transaction that inserts them. The event is an outbox row per subscriber
(:class:`~klantpeil.rollups.models.MeasurementRecorded`), so it commits, or
rolls back, with the measurements themselves: a subscriber sees exactly the
measurements that are committed, whatever order concurrent transactions commit
in. Today the rollups subscribe; text analysis and privacy may later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from klantpeil.rollups.models import MeasurementRecorded

ZONE = ZoneInfo("Europe/Amsterdam")
ROLLUPS = "rollups"
SUBSCRIBERS = (ROLLUPS,)
_TABLE = MeasurementRecorded._meta.db_table
_COLUMNS = "organisation_id, measurement_id, day, subscriber, recorded_at"


def measurements_recorded(
    organisation_id: int, measurements: Iterable[tuple[int, datetime]]
) -> int:
    """Publish the event for these (measurement id, occurred_at) pairs of one organisation;
    call it inside the transaction that stores them. Returns the outbox rows written.

    Written without model instances (COPY on PostgreSQL, one prepared INSERT on SQLite),
    like the answers: through the ORM the outbox would cost a batch of a thousand
    measurements about a third of its time.
    """
    now = timezone.now()
    rows = [
        (organisation_id, measurement_id, occurred_at.astimezone(ZONE).date(), subscriber, now)
        for measurement_id, occurred_at in measurements
        for subscriber in SUBSCRIBERS
    ]
    if not rows:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {_TABLE} ({_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            ops = connection.ops
            cursor.executemany(
                f"INSERT INTO {_TABLE} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s)",
                [
                    (o, m, ops.adapt_datefield_value(d), s, ops.adapt_datetimefield_value(at))
                    for o, m, d, s, at in rows
                ],
            )
    return len(rows)
