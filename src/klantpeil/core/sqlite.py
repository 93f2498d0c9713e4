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
from typing import Any

from django.db.backends.signals import connection_created

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
