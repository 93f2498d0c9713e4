"""Business-hours arithmetic: how long did an answer take in opening hours?

Timestamps are stored in UTC and counted on the organisation's calendar in
its IANA time zone (Europe/Amsterdam by default), so clock changes are handled:
an opening interval is built from local wall-clock times on each day and then
converted. A message received outside opening hours starts the clock at the
next opening. Whole days are stepped over, never minutes. Plain module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from klantpeil.metrics.holidays import dutch_holidays

OFFICE_HOURS = {d: ((time(8, 30), time(17, 0)),) for d in range(5)}  # Monday–Friday


@dataclass(frozen=True)
class Calendar:
    """Opening hours per weekday (0 = Monday), closed dates and the time zone."""

    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=lambda: OFFICE_HOURS)
    closed: frozenset[date] = frozenset()
    zone: str = "Europe/Amsterdam"

    @classmethod
    def dutch(cls, years: Iterable[int], **options: object) -> Calendar:
        """Office hours with the Dutch public holidays of ``years`` closed."""
        extra = options.pop("closed", frozenset())
        hours = options.pop("hours", OFFICE_HOURS)
        holidays = {h.day for y in years for h in dutch_holidays(y, **options)}
        return cls(hours=hours, closed=frozenset(holidays) | frozenset(extra))

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening intervals (wall-clock times in the zone), as UTC datetimes."""
        if day in self.closed:
            return []
        zone = ZoneInfo(self.zone)
        # In UTC: Python subtracts two datetimes of one zone by wall clock, which is an
        # hour off across a clock change.
        return [
            (
                datetime.combine(day, start, zone).astimezone(UTC),
                datetime.combine(day, end, zone).astimezone(UTC),
            )
            for start, end in self.hours.get(day.weekday(), ())
        ]


def _check(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("timestamps need a time zone (store them in UTC)")


def business_seconds_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Open seconds between two moments; 0 when ``end`` is not after ``start``."""
    _check(start)
    _check(end)
    if end <= start:
        return 0.0
    zone = ZoneInfo(calendar.zone)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        for opens, closes in calendar.intervals(day):
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            total += max(0.0, overlap)
        day += timedelta(days=1)
    return total


def add_business_hours(start: datetime, hours: float, calendar: Calendar) -> datetime:
    """The moment ``hours`` of opening time after ``start`` (the deadline of a norm)."""
    _check(start)
    remaining = hours * 3600
    zone = ZoneInfo(calendar.zone)
    day = start.astimezone(zone).date()
    for _ in range(3660):  # ten years of days: a calendar without opening hours ends here
        for opens, closes in calendar.intervals(day):
            begin = max(opens, start)
            if begin >= closes:
                continue
            available = (closes - begin).total_seconds()
            if remaining <= available:
                return (begin + timedelta(seconds=remaining)).astimezone(start.tzinfo)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("the calendar has no opening hours to count")
