from datetime import date

import pytest

from klantpeil.analytics.periods import parse_period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-09", date(2026, 9, 1), date(2026, 10, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 10, 1)),
        ("2026-q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_periods_parse_to_half_open_day_ranges(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26", "Q3 2026", ""])
def test_bad_periods_say_what_is_accepted(text):
    with pytest.raises(ValueError, match="2026-Q3"):
        parse_period(text)


def test_the_previous_period_has_the_same_length():
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026-Q3").previous().label == "2026-Q2"
    assert parse_period("2026").previous().label == "2025"
