"""Figures as people read them, in the active language: 7,5 and 1.234 in Dutch.

Django's ``number_format`` cuts digits off (7.46 with one decimal gives 7,4), so a
figure is first rounded half up, the way a report reader rounds by hand.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format


def rounded(value: float, digits: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)


def decimal(value: float | None, digits: int = 1) -> str:
    """7.46 → "7,5" in Dutch, "7.5" in English; None → "–"."""
    if value is None:
        return "–"
    return number_format(rounded(value, digits), decimal_pos=digits, force_grouping=True)


def percent(value: float | None, digits: int = 0) -> str:
    """A share as a percentage: 0.368 → "37%"."""
    return "–" if value is None else f"{decimal(value * 100, digits)}%"
