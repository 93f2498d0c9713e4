"""SQLite's date functions: memoised, and the local date in SQL without them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from klantpeil.core.sqlite import cached_functions, local_date

pytestmark = pytest.mark.django_db
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's functions")


def _local_day(stored: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT django_datetime_cast_date(%s, 'Europe/Amsterdam', 'UTC')", [stored])
        return cursor.fetchone()[0]


@sqlite_only
def test_local_days_across_the_change_to_summer_time():
    # Summer time starts 2026-03-29 01:00 UTC: 23:30 UTC is 00:30 the next day after it
    # (UTC+2), and still the same day's 00:30 (UTC+1) the night before.
    assert _local_day("2026-03-28 22:59:59") == "2026-03-28"
    assert _local_day("2026-03-28 23:30:00") == "2026-03-29"
    assert _local_day("2026-03-29 21:59:00") == "2026-03-29"
    assert _local_day("2026-03-29 22:30:00") == "2026-03-30"
    assert _local_day(None) is None


@sqlite_only
def test_a_repeated_timestamp_is_answered_from_the_cache():
    _, function = cached_functions()["django_datetime_cast_date"]
    _local_day("2026-07-01 12:00:00")
    hits = function.cache_info().hits
    assert _local_day("2026-07-01 12:00:00") == "2026-07-01"
    assert function.cache_info().hits == hits + 1


@pytest.mark.parametrize(
    ("stored", "day"),
    [
        # Winter time (UTC+1) before 2026-03-29 01:00 UTC, summer time (UTC+2) until
        # 2026-10-25 01:00 UTC, winter time again after.
        ("2026-03-28 22:59:59", date(2026, 3, 28)),
        ("2026-03-28 23:00:00", date(2026, 3, 29)),
        ("2026-03-29 21:59:59.999999", date(2026, 3, 29)),
        ("2026-03-29 22:00:00", date(2026, 3, 30)),
        ("2026-10-24 21:59:59", date(2026, 10, 24)),
        ("2026-10-24 22:00:00", date(2026, 10, 25)),
        ("2026-10-25 22:59:59", date(2026, 10, 25)),
        ("2026-10-25 23:00:00", date(2026, 10, 26)),
    ],
)
def test_local_date_in_sql_matches_django_across_both_changes(stored, day):
    from django.contrib.sessions.models import Session
    from django.db.models.functions import TruncDate

    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    Session.objects.create(session_key="k", session_data="", expire_date=moment)
    span = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    zone = ZoneInfo("Europe/Amsterdam")
    row = Session.objects.annotate(
        ours=local_date("expire_date", zone, *span), django=TruncDate("expire_date", tzinfo=zone)
    ).get()
    assert (row.ours, row.django) == (day, day)
