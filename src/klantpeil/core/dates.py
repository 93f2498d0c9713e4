"""Dates as people write them in the active language.

Django's "M" capitalises the month's abbreviation in every language ("1 Dec 2025");
Dutch writes it in lower case ("1 dec 2025"), which "b" gives.
"""

from __future__ import annotations

from datetime import date

from django.utils import formats, translation


def _month() -> str:
    return "b" if (translation.get_language() or "nl").startswith("nl") else "M"


def short_date(day: date) -> str:
    """1 dec 2025 in Dutch, 1 Dec 2025 in English."""
    return formats.date_format(day, f"j {_month()} Y")


def month_year(day: date) -> str:
    """dec 2025 in Dutch, Dec 2025 in English."""
    return formats.date_format(day, f"{_month()} Y")
