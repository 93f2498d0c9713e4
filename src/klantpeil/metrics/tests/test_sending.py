"""Sending windows, fatigue rules and backoff: plain arithmetic, exact values."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from klantpeil.metrics.sending import (
    FATIGUE_DAYS,
    FATIGUE_YEAR,
    SendingWindow,
    fatigue_verdict,
    parse_weekdays,
    reminder_moments,
    retry_delay,
)

AMS = ZoneInfo("Europe/Amsterdam")
DEFAULT = SendingWindow(time(8), time(21), frozenset(range(6)))


def test_inside_the_window_is_now_and_outside_is_the_next_start_in_local_time():
    monday_noon = datetime(2026, 12, 7, 12, tzinfo=AMS)
    assert DEFAULT.opens(monday_noon) == monday_noon
    assert DEFAULT.opens(datetime(2026, 12, 7, 21, tzinfo=AMS)) == datetime(
        2026, 12, 8, 8, tzinfo=AMS
    )
    assert DEFAULT.opens(datetime(2026, 12, 7, 6, 59, tzinfo=AMS)) == datetime(
        2026, 12, 7, 8, tzinfo=AMS
    )
    # Saturday evening: Sunday is not a sending day, so Monday 08:00.
    assert DEFAULT.opens(datetime(2026, 12, 12, 22, tzinfo=AMS)) == datetime(
        2026, 12, 14, 8, tzinfo=AMS
    )


def test_the_window_follows_summer_time():
    # 07:30 UTC is 08:30 in winter (inside) and 09:30 in summer (inside); 06:30 UTC is
    # 07:30 in winter (outside: opens 07:00 UTC) and 08:30 in summer (inside).
    assert DEFAULT.opens(datetime(2026, 1, 5, 6, 30, tzinfo=UTC)) == datetime(
        2026, 1, 5, 7, tzinfo=UTC
    )
    summer = datetime(2026, 7, 6, 6, 30, tzinfo=UTC)
    assert DEFAULT.opens(summer) == summer


def test_a_misconfigured_window_names_its_field():
    assert SendingWindow(time(21), time(8), frozenset({0})).problems() == {
        "window_end": "must be later than the start of the window"
    }
    assert SendingWindow(time(8), time(21), frozenset()).problems() == {
        "window_weekdays": "choose at least one day"
    }
    with pytest.raises(ValueError, match="misconfigured"):
        SendingWindow(time(8), time(8), frozenset({0})).opens(datetime.now(UTC))
    assert parse_weekdays("0145") == {0, 1, 4, 5}
    with pytest.raises(ValueError):
        parse_weekdays("7")


def test_fatigue_rules():
    now = datetime(2026, 12, 7, tzinfo=UTC)
    ago = [now - timedelta(days=d) for d in (29, 100, 200)]
    assert fatigue_verdict(ago, now, days=30, per_year=4) == FATIGUE_DAYS
    assert fatigue_verdict(ago[1:], now, days=30, per_year=4) is None
    assert fatigue_verdict(ago[1:], now, days=30, per_year=2) == FATIGUE_YEAR
    assert fatigue_verdict([now - timedelta(days=400)], now, days=30, per_year=1) is None
    assert fatigue_verdict(ago, now, days=0, per_year=0) is None


def test_backoff_doubles_up_to_its_cap_and_reminders_are_days_apart():
    base, cap = timedelta(minutes=2), timedelta(hours=1)
    assert [retry_delay(n, base=base, cap=cap).seconds // 60 for n in range(1, 7)] == [
        2,
        4,
        8,
        16,
        32,
        60,
    ]
    sent = datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert reminder_moments(sent, reminders=2, days_after=3) == [
        sent + timedelta(days=3),
        sent + timedelta(days=6),
    ]
