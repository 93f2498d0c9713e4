"""Figures rounded the way a reader rounds by hand, written the way their language writes."""

import pytest
from django.utils import translation

from klantpeil.core.numbers import decimal, percent


@pytest.mark.parametrize(
    ("value", "digits", "dutch", "english"),
    [
        (7.46, 1, "7,5", "7.5"),  # Django's number_format alone cuts this to 7,4
        (7.25, 1, "7,3", "7.3"),  # half up, not to the even digit
        (1234.5, 0, "1.235", "1,235"),
        (-0.44, 1, "-0,4", "-0.4"),
        (None, 1, "–", "–"),
    ],
)
def test_decimal(value, digits, dutch, english):
    with translation.override("nl"):
        assert decimal(value, digits) == dutch
    with translation.override("en"):
        assert decimal(value, digits) == english


def test_percent_rounds_a_share_half_up():
    with translation.override("nl"):
        assert percent(0.925) == "93%"
        assert percent(0.3684, 1) == "36,8%"
        assert percent(None) == "–"
