"""The ranges every input must lie in, so that a value from outside is refused where it
enters (with a message naming the range) instead of failing deep inside a computation.

- Dates: the calendar days the product can compute with. Day boundaries are local
  (Europe/Amsterdam) midnights converted to UTC, and periods look one period back and
  twelve months back, so year 1 (midnight falls in year 0 in UTC) and year 9999 (the
  day after has no date) fail in the standard library.
- Numbers: finite, and small enough that sums of squares over millions of answers stay
  exact enough and finite (no measured quantity comes near 10^12).
- Offsets: what every database takes as an integer, with room for ``offset + limit``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
MAX_ABS_NUMBER = 1e12
MAX_OFFSET = 2**31 - 1

DATE_RANGE = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"


def day_in_range(day: date) -> bool:
    """Whether ``day`` lies in the supported days (both ends included)."""
    return FIRST_DAY <= day <= LAST_DAY


def moment_in_range(moment: datetime) -> bool:
    """Whether an aware ``moment`` falls on a supported day, in UTC and as written.

    Checked without converting first: ``0001-01-01T00:00+14:00`` has no UTC equivalent
    that ``datetime`` can hold, and converting it is what raises.
    """
    if not day_in_range(moment.date()):
        return False
    offset = moment.utcoffset()
    if offset is None:
        return True
    # Both neighbours of the supported range are whole days away, so the UTC day is at
    # most one day off the local one and the conversion below cannot overflow.
    return day_in_range(moment.astimezone(UTC).date())
