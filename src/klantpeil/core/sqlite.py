"""Memoised date functions for SQLite.

SQLite has no time zones, so Django registers Python functions on each connection
that parse a stored timestamp and convert it to the asked zone
(``django_datetime_cast_date`` for ``TruncDate(..., tzinfo=...)`` and the like).
SQLite calls them once per row: the rollup rebuild groups every answer by the
local day of its measurement, about 2.8 million calls for the demo, and Django's
parser written in Python made that a third of ``klantpeil demo``.

The functions are pure (the same arguments give the same text), and neighbouring
rows share their arguments (a measurement's answers are stored together), so a
small least-recently-used cache in front of Django's own functions answers most
calls without parsing: the same results, by construction, at a fraction of the cost.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import DateField, F, Func
from django.db.models.functions import TruncDate

# (SQL name, number of arguments): the per-row date functions of Django's SQLite backend.
CACHED = (
    ("django_datetime_cast_date", 3),
    ("django_datetime_trunc", 4),
    ("django_date_trunc", 4),
    ("django_datetime_extract", 4),
)
CACHE_SIZE = 4096


@functools.cache
def cached_functions() -> dict[str, tuple[int, Any]]:
    """SQL name -> (number of arguments, memoised function), shared by all connections
    (``lru_cache`` is thread-safe)."""
    from django.db.backends.sqlite3 import _functions

    chosen = {}
    for name, arity in CACHED:
        original = getattr(_functions, "_sqlite_" + name.removeprefix("django_"), None)
        if original is not None:
            chosen[name] = (arity, functools.lru_cache(maxsize=CACHE_SIZE)(original))
    return chosen


def _register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    for name, (arity, function) in cached_functions().items():
        connection.connection.create_function(name, arity, function, deterministic=True)


def install() -> None:
    """Replace Django's date functions with the memoised ones on every new SQLite connection."""
    connection_created.connect(_register, dispatch_uid="klantpeil.core.sqlite")


def _offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """[(from this UTC moment on, the zone's offset)] from ``start`` to ``end`` (aware):
    looked at every hour, where this zone's offsets change."""
    step = timedelta(hours=1)
    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    spans: list[tuple[datetime, timedelta]] = []
    while moment <= end.astimezone(UTC) + step:
        offset = moment.astimezone(zone).utcoffset()
        if not spans or spans[-1][1] != offset:
            spans.append((moment, offset))
        moment += step
    return spans


class _SqliteLocalDate(Func):
    output_field = DateField()

    def __init__(self, expression: Any, spans: list[tuple[datetime, timedelta]]) -> None:
        super().__init__(expression)
        self.spans = spans

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        field, params = compiler.compile(self.source_expressions[0])
        adapt = connection.ops.adapt_datetimefield_value
        cases, case_params = [], []
        for moment, offset in reversed(self.spans[1:]):
            cases.append(f"WHEN {field} >= %s THEN %s")
            case_params += [*params, adapt(moment), _modifier(offset)]
        first = _modifier(self.spans[0][1])
        # Whole seconds: SQLite rounds fractions to milliseconds, which would carry
        # 23:59:59.9999 local time into the next day.
        moment = f"substr({field}, 1, 19)"
        if not cases:
            return f"date({moment}, %s)", [*params, first]
        return f"date({moment}, CASE {' '.join(cases)} ELSE %s END)", [
            *params,
            *case_params,
            first,
        ]


def _modifier(offset: timedelta) -> str:
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def local_date(field: str, zone: ZoneInfo, start: datetime, end: datetime) -> Func:
    """The local date in ``zone`` of the stored moment ``field``, for moments from
    ``start`` to ``end``: ``TruncDate(field, tzinfo=zone)``, except on SQLite, where that
    calls a Python function per row; there SQL's own ``date()`` with the zone's offset
    chosen by a CASE over the offset changes in the span gives the same dates."""
    if connection.vendor != "sqlite":
        return TruncDate(field, tzinfo=zone)
    return _SqliteLocalDate(F(field), _offsets(zone, start, end))


@contextmanager
def bulk_load() -> Iterator[None]:
    """Write a freshly made SQLite database without waiting for the disk.

    For building the demo from nothing: while it runs, a crash can leave a database
    that ``klantpeil demo --reset`` makes again, so the fsyncs and frequent WAL
    checkpoints that protect real data buy nothing. The usual settings return when the
    build ends. A no-op on PostgreSQL."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA wal_autocheckpoint=100000")  # pages: about 400 MB
        try:
            yield
        finally:
            cursor.execute("PRAGMA wal_autocheckpoint=1000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
