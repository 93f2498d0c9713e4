"""Dutch public holidays, with the choices organisations make about them.

Statutory (Algemene termijnenwet): New Year's Day, Easter Sunday and Monday,
King's Day, Ascension Day, Whit Sunday and Monday, Christmas and Boxing Day;
Good Friday and Liberation Day (5 May) are treated the same by the law but many
employers observe 5 May only in lustrum years, and some keep Good Friday as a
working day, so both are options. Plain module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Holiday:
    day: date
    name_nl: str
    name_en: str


def easter_sunday(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def dutch_holidays(
    year: int, *, good_friday: bool = True, liberation_day: str = "lustrum"
) -> list[Holiday]:
    """The year's public holidays, sorted. ``liberation_day``: "always", "lustrum" or "never"."""
    easter = easter_sunday(year)
    kings = date(year, 4, 27)
    if kings.weekday() == 6:  # on a Sunday it moves to Saturday the 26th
        kings = date(year, 4, 26)
    days = [
        Holiday(date(year, 1, 1), "Nieuwjaarsdag", "New Year's Day"),
        Holiday(easter, "Eerste paasdag", "Easter Sunday"),
        Holiday(easter + timedelta(days=1), "Tweede paasdag", "Easter Monday"),
        Holiday(kings, "Koningsdag", "King's Day"),
        Holiday(easter + timedelta(days=39), "Hemelvaartsdag", "Ascension Day"),
        Holiday(easter + timedelta(days=49), "Eerste pinksterdag", "Whit Sunday"),
        Holiday(easter + timedelta(days=50), "Tweede pinksterdag", "Whit Monday"),
        Holiday(date(year, 12, 25), "Eerste kerstdag", "Christmas Day"),
        Holiday(date(year, 12, 26), "Tweede kerstdag", "Boxing Day"),
    ]
    if good_friday:
        days.append(Holiday(easter - timedelta(days=2), "Goede Vrijdag", "Good Friday"))
    if liberation_day == "always" or (liberation_day == "lustrum" and year % 5 == 0):
        days.append(Holiday(date(year, 5, 5), "Bevrijdingsdag", "Liberation Day"))
    elif liberation_day not in ("lustrum", "never", "always"):
        raise ValueError("liberation_day is always, lustrum or never")
    return sorted(days, key=lambda h: h.day)
