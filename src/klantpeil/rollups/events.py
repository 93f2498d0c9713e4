"""The rollups' outbox: the "measurement recorded" event, kept in the writer's transaction.

Every write path that stores measurements (respondent form, API batches, imports,
field forms and corrections) publishes :class:`klantpeil.core.events.MeasurementsRecorded`
inside the transaction that inserts them; the rollups subscribe to it in that
transaction (:func:`on_measurements_recorded`) and write an outbox row per
measurement (:class:`~klantpeil.rollups.models.MeasurementRecorded`), so the row
commits, or rolls back, with the measurements themselves: a fold sees exactly the
measurements that are committed, whatever order concurrent transactions commit in.
The on-commit delivery of the same event only wakes the worker (``rollups.tasks``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from klantpeil.core.events import MeasurementsRecorded, MeasurementsSuperseded
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


def on_measurements_recorded(event: MeasurementsRecorded) -> None:
    """In the writer's transaction: the outbox rows of the new measurements."""
    measurements_recorded(event.organisation_id, event.measurements)


def on_measurements_superseded(event: MeasurementsSuperseded) -> None:
    """In the writer's transaction: recompute the days of corrected measurements now, so
    no reader counts an original beside its replacement (which waits in the outbox like
    any new measurement)."""
    from klantpeil.rollups.services import refold_days

    refold_days(event.organisation_id, sorted(event.days))
