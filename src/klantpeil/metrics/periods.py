"""Reporting periods as people write them, in Dutch and English. Pure (no Django).

Accepted (case-insensitive, surrounding spaces ignored):

- a month: ``2026-09``, ``2026/09``, ``09-2026``, ``sep 2026``, ``september 2026``,
  ``sept. 2026``, ``okt 2026``, ``oktober 2026``, ``2026 september``;
- a quarter: ``2026-Q3``, ``2026 Q3``, ``Q3 2026``, ``Q3-2026`` (also Dutch ``K3 2026``);
- a year: ``2026``;
- a range of days, both ends included: ``2026-01-15..2026-03-31``,
  ``15-01-2026 t/m 31-03-2026``, ``from 2026-01-15 to 2026-03-31``,
  ``van 15 januari 2026 tot en met 31 maart 2026``; an end may also be a month,
  quarter or year (``sep 2026 - nov 2026`` runs from 1 September to 30 November).

Years outside ``MIN_YEAR``…``MAX_YEAR`` are an error, as are dates that do not exist
(``31-02-2026``) and a range whose end lies before its start.

Every period has a canonical ``label`` (``2026-09``, ``2026-Q3``, ``2026``,
``2026-01-15..2026-03-31``) that parses back to the same period; filters carry it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MIN_YEAR = 2000  # the first year a period may name (older data is not kept)
MAX_YEAR = 2099  # the last (guards against typing errors such as 20266)

FORMS = (
    "a month (2026-09, sep 2026, september 2026), a quarter (2026-Q3, Q3 2026), "
    "a year (2026) or a range of days (2026-01-15..2026-03-31, 15-01-2026 t/m 31-03-2026)"
)

# Dutch and English month names and their usual abbreviations.
MONTH_NAMES: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("januari", "january", "jan"),
        ("februari", "february", "feb", "febr"),
        ("maart", "march", "mrt", "mar", "mrt."),
        ("april", "apr"),
        ("mei", "may"),
        ("juni", "june", "jun"),
        ("juli", "july", "jul"),
        ("augustus", "august", "aug"),
        ("september", "sep", "sept"),
        ("oktober", "october", "okt", "oct"),
        ("november", "nov"),
        ("december", "dec"),
    ],
    start=1,
):
    for _name in _names:
        MONTH_NAMES[_name.rstrip(".")] = _number

_MONTH_WORD = r"([a-z]+)\.?"
_ISO_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/](\d{4})$")
_NAMED_MONTH = re.compile(rf"^{_MONTH_WORD}[\s-]*(\d{{4}})$")
_YEAR_NAMED_MONTH = re.compile(rf"^(\d{{4}})[\s-]+{_MONTH_WORD}$")
_QUARTER = re.compile(r"^(\d{4})[\s-]*[qk](\d)$")
_QUARTER_FIRST = re.compile(r"^[qk](\d)[\s-]*(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_NAMED_DATE = re.compile(rf"^(\d{{1,2}})\s+{_MONTH_WORD}\s+(\d{{4}})$")
_NAMED_DATE_EN = re.compile(rf"^{_MONTH_WORD}\s+(\d{{1,2}}),?\s+(\d{{4}})$")
_RANGE_LABEL = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
# "from A to B", "van A t/m B", "A..B", "A – B", "A t/m B", "A to B", "A until B".
_FROM = re.compile(r"^(?:from|van(?:af)?)\s+(.+)$")
_SEPARATOR = re.compile(
    r"\s*\.\.\s*|\s+(?:-|–|—|t/m|tot\s+en\s+met|to|until|through|till)\s+|\s*[–—]\s*"
)


class PeriodError(ValueError):
    """A period that cannot be read: ``text`` as typed, ``problem`` a code
    (``unreadable``, ``month``, ``quarter``, ``date``, ``reversed``, ``year``) and
    ``detail`` its values, so a page can word it in its own language."""

    def __init__(self, message: str, *, text: str = "", problem: str = "", **detail: object):
        super().__init__(message)
        self.text, self.problem, self.detail = text, problem, detail


@dataclass(frozen=True)
class Period:
    """A half-open range of calendar days: ``start`` included, ``end`` excluded.

    ``kind`` is ``month``, ``quarter``, ``year`` or ``range``.
    """

    label: str
    start: date
    end: date
    kind: str = "range"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        """The period of the same kind just before this one (a range: as many days)."""
        if self.kind == "year":
            return year(self.start.year - 1)
        if self.kind == "quarter":
            first = _months_back(self.start, 3)
            return quarter(first.year, (first.month - 1) // 3 + 1)
        if self.kind == "month":
            first = _months_back(self.start, 1)
            return month(first.year, first.month)
        length = self.end - self.start
        return day_range(self.start - length, self.start - timedelta(days=1))

    def is_running(self, today: date) -> bool:
        """Whether ``today`` falls inside the period (so it is not complete yet)."""
        return self.start <= today < self.end

    def covered(self, today: date) -> Period:
        """The part of the period up to and including ``today`` (itself when complete)."""
        if today >= self.last_day or today < self.start:
            return self
        return day_range(self.start, today)


def month(year_: int, month_: int) -> Period:
    _check_year(year_)
    if not 1 <= month_ <= 12:
        raise PeriodError(
            f"month {month_} does not exist; months run from 1 to 12", problem="month", value=month_
        )
    start = date(year_, month_, 1)
    return Period(f"{year_}-{month_:02d}", start, _months_ahead(start, 1), "month")


def quarter(year_: int, number: int) -> Period:
    _check_year(year_)
    if not 1 <= number <= 4:
        raise PeriodError(
            f"quarter {number} does not exist; quarters run from Q1 to Q4",
            problem="quarter",
            value=number,
        )
    start = date(year_, 3 * number - 2, 1)
    return Period(f"{year_}-Q{number}", start, _months_ahead(start, 3), "quarter")


def year(year_: int) -> Period:
    _check_year(year_)
    return Period(str(year_), date(year_, 1, 1), date(year_ + 1, 1, 1), "year")


def day_range(first: date, last: date) -> Period:
    """The days ``first`` to ``last``, both included."""
    _check_year(first.year)
    _check_year(last.year)
    if last < first:
        raise PeriodError(
            f"the range ends ({last.isoformat()}) before it starts ({first.isoformat()})",
            problem="reversed",
            first=first,
            last=last,
        )
    return Period(f"{first.isoformat()}..{last.isoformat()}", first, last + timedelta(days=1))


def _check_year(value: int) -> None:
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise PeriodError(
            f"year {value} is outside the supported years {MIN_YEAR}–{MAX_YEAR}",
            problem="year",
            value=value,
        )


def _months_ahead(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_back(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when shorter)."""
    first = _months_ahead(day.replace(day=1), -months)
    following = _months_ahead(first, 1)
    return first.replace(day=min(day.day, (following - timedelta(days=1)).day))


def _month_number(word: str) -> int:
    number = MONTH_NAMES.get(word.rstrip("."))
    if number is None:
        raise ValueError(f"{word!r} is not a month name")
    return number


def _date(year_: int, month_: int, day: int) -> date:
    _check_year(year_)
    try:
        return date(year_, month_, day)
    except ValueError:
        raise PeriodError(
            f"{day:02d}-{month_:02d}-{year_} is not a date that exists (day-month-year)",
            problem="date",
            value=f"{day:02d}-{month_:02d}-{year_}",
        ) from None


def _single(value: str) -> Period | date:
    """One period or one day, or ValueError."""
    if m := _YEAR.match(value):
        return year(int(m[1]))
    if m := _ISO_MONTH.match(value):
        return month(int(m[1]), int(m[2]))
    if m := _MONTH_YEAR.match(value):
        return month(int(m[2]), int(m[1]))
    if m := _QUARTER.match(value):
        return quarter(int(m[1]), int(m[2]))
    if m := _QUARTER_FIRST.match(value):
        return quarter(int(m[2]), int(m[1]))
    if m := _NAMED_MONTH.match(value):
        return month(int(m[2]), _month_number(m[1]))
    if m := _YEAR_NAMED_MONTH.match(value):
        return month(int(m[1]), _month_number(m[2]))
    if m := _ISO_DATE.match(value):
        return _date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DUTCH_DATE.match(value):
        return _date(int(m[3]), int(m[2]), int(m[1]))
    if m := _NAMED_DATE.match(value):
        return _date(int(m[3]), _month_number(m[2]), int(m[1]))
    if m := _NAMED_DATE_EN.match(value):
        return _date(int(m[3]), _month_number(m[1]), int(m[2]))
    raise ValueError(f"{value!r} is not a period")


def parse_period(text: str) -> Period:
    """Parse a month, quarter, year or range of days (see the module's docstring).

    Raises ValueError saying what is wrong and which forms are accepted.
    """
    value = " ".join(text.strip().lower().split())
    try:
        if m := _RANGE_LABEL.match(value):
            return day_range(_as_date(m[1]), _as_date(m[2]))
        body = m[1] if (m := _FROM.match(value)) else value
        parts = _SEPARATOR.split(body, maxsplit=1)
        if len(parts) == 2 and all(parts):
            first, last = _single(parts[0]), _single(parts[1])
            start = first if isinstance(first, date) else first.start
            end = last if isinstance(last, date) else last.last_day
            return day_range(start, end)
        if body is value:
            single = _single(value)
            if isinstance(single, Period):
                return single
            return day_range(single, single)
    except PeriodError as exc:
        raise PeriodError(
            f"{text.strip()!r} is not a period: {exc}; use {FORMS}",
            text=text.strip(),
            problem=exc.problem,
            **exc.detail,
        ) from None
    except ValueError:
        pass  # not one of the forms
    raise PeriodError(
        f"{text.strip()!r} is not a period; use {FORMS}", text=text.strip(), problem="unreadable"
    )


def _as_date(iso: str) -> date:
    y, m, d = (int(part) for part in iso.split("-"))
    return _date(y, m, d)


def months_between(start: date, end: date) -> list[date]:
    """The first day of every calendar month that overlaps [start, end)."""
    months, current = [], start.replace(day=1)
    while current < end:
        months.append(current)
        current = _months_ahead(current, 1)
    return months


def last_twelve_months(today: date) -> Period:
    """The default window of every page, report and API answer without a period: the
    twelve complete calendar months before the running one, plus the running month up
    to and including ``today`` (which trends mark as incomplete)."""
    first = _months_ahead(today.replace(day=1), -12)
    return day_range(first, today)


def complete_months(window: Period, today: date) -> Period | None:
    """The complete calendar months of ``window`` (its running month left out)."""
    running = today.replace(day=1)
    end = min(window.end, running) if window.start < running else window.start
    if end <= window.start:
        return None
    return day_range(window.start, end - timedelta(days=1))


def like_for_like(period: Period, today: date) -> tuple[Period, Period] | None:
    """The spans a change is measured on: the part of ``period`` covered up to
    ``today`` and the same months and days one period earlier.

    A month, quarter or year still running is compared with the same days of the
    period before (1–6 December with 1–6 November; 1 January–6 December 2026 with
    1 January–6 December 2025); a range with the same number of days just before its
    covered part. None when ``period`` has not started.
    """
    if today < period.start:
        return None
    covered = period.covered(today)
    if covered == period:
        return period, period.previous()
    if period.kind in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[period.kind]
        return covered, day_range(
            _months_back(covered.start, months), _months_back(covered.last_day, months)
        )
    return covered, covered.previous()


def months_earlier(period: Period, months: int) -> Period:
    """The same days ``months`` calendar months earlier (a range; month ends kept)."""
    return day_range(_months_back(period.start, months), _months_back(period.last_day, months))


def default_comparison(today: date) -> tuple[Period, Period]:
    """What a change over "the last twelve months" compares: its twelve complete months
    with the twelve months before them (the running month is not yet comparable)."""
    complete = complete_months(last_twelve_months(today), today)
    assert complete is not None  # twelve complete months always precede the running one
    return complete, months_earlier(complete, 12)
