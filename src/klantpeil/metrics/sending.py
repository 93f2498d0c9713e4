"""When a survey message may go out: sending windows, fatigue rules and retry backoff.

Plain arithmetic (no Django): the dispatcher, the settings form and the tests share it.
Moments are timezone-aware; the window is local time in ``zone`` (Europe/Amsterdam by
default), so 08:00 stays 08:00 across the change to and from summer time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = "Europe/Amsterdam"
WEEKDAY_DIGITS = "0123456"  # Monday = 0 … Sunday = 6


@dataclass(frozen=True)
class SendingWindow:
    start: time
    end: time
    weekdays: frozenset[int]
    zone: str = AMSTERDAM

    def problems(self) -> dict[str, str]:
        """Field → reason for a window that cannot work (empty: fine)."""
        found: dict[str, str] = {}
        if self.start >= self.end:
            found["window_end"] = "must be later than the start of the window"
        if not self.weekdays:
            found["window_weekdays"] = "choose at least one day"
        elif not self.weekdays <= set(range(7)):
            found["window_weekdays"] = "days are 0 (Monday) to 6 (Sunday)"
        try:
            ZoneInfo(self.zone)
        except (KeyError, ValueError):
            found["zone"] = f"unknown time zone {self.zone!r}"
        return found

    def opens(self, moment: datetime) -> datetime:
        """``moment`` itself when it lies inside the window, else the window's next start."""
        if moment.tzinfo is None:
            raise ValueError("a moment with its time zone is needed")
        if self.problems():
            raise ValueError(f"the sending window is misconfigured: {self.problems()}")
        zone = ZoneInfo(self.zone)
        local = moment.astimezone(zone)
        for days in range(8):
            day = local.date() + timedelta(days=days)
            if day.weekday() not in self.weekdays:
                continue
            start = datetime.combine(day, self.start, tzinfo=zone)
            end = datetime.combine(day, self.end, tzinfo=zone)
            if days == 0 and start <= local < end:
                return moment
            if local < start:
                return start.astimezone(moment.tzinfo)
        raise AssertionError("a week always holds an open day")  # pragma: no cover


def parse_weekdays(digits: str) -> frozenset[int]:
    """``"01234"`` → {0, 1, 2, 3, 4}; ValueError naming what is wrong."""
    if not digits or any(d not in WEEKDAY_DIGITS for d in digits):
        raise ValueError("days are digits 0 (Monday) to 6 (Sunday), at least one")
    return frozenset(int(d) for d in digits)


# Why a fatigue rule holds an invitation back (Delivery.reason).
FATIGUE_DAYS = "fatigue_days"
FATIGUE_YEAR = "fatigue_year"


def fatigue_verdict(
    earlier_sends: Iterable[datetime], now: datetime, *, days: int, per_year: int
) -> str | None:
    """Which rule forbids another invitation to a person now, or None.

    ``earlier_sends``: when this person was sent an invitation before (reminders do
    not count). ``days``: at most one invitation per this many days; ``per_year``: at
    most this many in the 365 days up to now; 0 switches a rule off."""
    sends = [s for s in earlier_sends if s <= now]
    if days and any(now - s < timedelta(days=days) for s in sends):
        return FATIGUE_DAYS
    if per_year and sum(now - s < timedelta(days=365) for s in sends) >= per_year:
        return FATIGUE_YEAR
    return None


def retry_delay(attempt: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """Exponential backoff after failed attempt ``attempt`` (1, 2, …): base, 2·base,
    4·base … never more than ``cap``."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    return min(cap, base * 2 ** min(attempt - 1, 30))


def reminder_moments(sent_at: datetime, *, reminders: int, days_after: int) -> Sequence[datetime]:
    """When reminders 1…n are due: ``days_after`` days apart from the invitation's send."""
    return [sent_at + timedelta(days=days_after * n) for n in range(1, reminders + 1)]
