"""Reporting periods as people write them: ``2026-09``, ``2026-Q3``, ``2026``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
MIN_YEAR, MAX_YEAR = 2000, 2099  # the years a period may name
_ANY_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


@dataclass(frozen=True)
class Period:
    """A half-open range of calendar days: ``start`` included, ``end`` excluded."""

    label: str
    start: date
    end: date

    def previous(self) -> Period:
        """The period of the same length just before this one (for change tests)."""
        if _YEAR.match(self.label):
            return parse_period(str(self.start.year - 1))
        if m := _QUARTER.match(self.label):
            year, quarter = int(m[1]), int(m[2])
            return parse_period(f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}")
        year, month = self.start.year, self.start.month
        return parse_period(f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}")


def _next_month(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def parse_period(text: str) -> Period:
    """Parse a month (``2026-09``), quarter (``2026-Q3``) or year (``2026``).

    Raises ValueError with the accepted forms when ``text`` is none of them.
    """
    # Year 1 or 9999 would fail later, in date arithmetic (issue 21): refuse it here.
    for written in _ANY_YEAR.findall(text):
        if not MIN_YEAR <= int(written) <= MAX_YEAR:
            raise ValueError(f"year {written} is outside the supported years {MIN_YEAR}–{MAX_YEAR}")
    value = text.strip()
    if m := _MONTH.match(value):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return Period(f"{year}-{month:02d}", date(year, month, 1), _next_month(year, month))
    elif m := _QUARTER.match(value):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * quarter - 2
        return Period(f"{year}-Q{quarter}", date(year, first, 1), _next_month(year, first + 2))
    elif m := _YEAR.match(value):
        year = int(m[1])
        return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))
    raise ValueError(
        f"{text!r} is not a period; use a month (2026-09), quarter (2026-Q3) or year (2026)"
    )
