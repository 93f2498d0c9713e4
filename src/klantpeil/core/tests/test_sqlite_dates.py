"""The memoised SQLite date functions give Django's answers, from the cache when repeated."""

from __future__ import annotations

import pytest
from django.db import connection

from klantpeil.core.sqlite import cached_functions

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own functions only"),
]


def _local_day(stored: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT django_datetime_cast_date(%s, 'Europe/Amsterdam', 'UTC')", [stored])
        return cursor.fetchone()[0]


def test_local_days_across_the_change_to_summer_time():
    # Summer time starts 2026-03-29 01:00 UTC: 23:30 UTC is 00:30 the next day after it
    # (UTC+2), and still the same day's 00:30 (UTC+1) the night before.
    assert _local_day("2026-03-28 22:59:59") == "2026-03-28"
    assert _local_day("2026-03-28 23:30:00") == "2026-03-29"
    assert _local_day("2026-03-29 21:59:00") == "2026-03-29"
    assert _local_day("2026-03-29 22:30:00") == "2026-03-30"
    assert _local_day(None) is None


def test_a_repeated_timestamp_is_answered_from_the_cache():
    _, function = cached_functions()["django_datetime_cast_date"]
    _local_day("2026-07-01 12:00:00")
    hits = function.cache_info().hits
    assert _local_day("2026-07-01 12:00:00") == "2026-07-01"
    assert function.cache_info().hits == hits + 1
