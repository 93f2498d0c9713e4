from datetime import date

import pytest

from klantpeil.metrics.periods import (
    MAX_YEAR,
    MIN_YEAR,
    complete_months,
    default_comparison,
    last_twelve_months,
    like_for_like,
    parse_period,
)


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


SEPTEMBER = ("2026-09", date(2026, 9, 1), date(2026, 10, 1))
Q3 = ("2026-Q3", date(2026, 7, 1), date(2026, 10, 1))
RANGE = ("2026-01-15..2026-03-31", date(2026, 1, 15), date(2026, 4, 1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quarters
        ("2026-Q3", Q3),
        ("Q3 2026", Q3),
        ("q3 2026", Q3),
        ("Q3-2026", Q3),
        ("2026 Q3", Q3),
        ("K3 2026", Q3),  # Dutch "kwartaal"
        ("  Q3   2026 ", Q3),
        # months, numeric
        ("2026-09", SEPTEMBER),
        ("2026-9", SEPTEMBER),
        ("2026/09", SEPTEMBER),
        ("09-2026", SEPTEMBER),
        # months by name, English and Dutch, full and abbreviated, any case
        ("sep 2026", SEPTEMBER),
        ("Sep 2026", SEPTEMBER),
        ("sept 2026", SEPTEMBER),
        ("sept. 2026", SEPTEMBER),
        ("september 2026", SEPTEMBER),
        ("SEPTEMBER 2026", SEPTEMBER),
        ("2026 september", SEPTEMBER),
        ("jan 2026", ("2026-01", date(2026, 1, 1), date(2026, 2, 1))),
        ("januari 2026", ("2026-01", date(2026, 1, 1), date(2026, 2, 1))),
        ("january 2026", ("2026-01", date(2026, 1, 1), date(2026, 2, 1))),
        ("feb 2026", ("2026-02", date(2026, 2, 1), date(2026, 3, 1))),
        ("februari 2026", ("2026-02", date(2026, 2, 1), date(2026, 3, 1))),
        ("february 2026", ("2026-02", date(2026, 2, 1), date(2026, 3, 1))),
        ("mrt 2026", ("2026-03", date(2026, 3, 1), date(2026, 4, 1))),
        ("mar 2026", ("2026-03", date(2026, 3, 1), date(2026, 4, 1))),
        ("maart 2026", ("2026-03", date(2026, 3, 1), date(2026, 4, 1))),
        ("march 2026", ("2026-03", date(2026, 3, 1), date(2026, 4, 1))),
        ("apr 2026", ("2026-04", date(2026, 4, 1), date(2026, 5, 1))),
        ("april 2026", ("2026-04", date(2026, 4, 1), date(2026, 5, 1))),
        ("mei 2026", ("2026-05", date(2026, 5, 1), date(2026, 6, 1))),
        ("may 2026", ("2026-05", date(2026, 5, 1), date(2026, 6, 1))),
        ("jun 2026", ("2026-06", date(2026, 6, 1), date(2026, 7, 1))),
        ("juni 2026", ("2026-06", date(2026, 6, 1), date(2026, 7, 1))),
        ("june 2026", ("2026-06", date(2026, 6, 1), date(2026, 7, 1))),
        ("jul 2026", ("2026-07", date(2026, 7, 1), date(2026, 8, 1))),
        ("juli 2026", ("2026-07", date(2026, 7, 1), date(2026, 8, 1))),
        ("july 2026", ("2026-07", date(2026, 7, 1), date(2026, 8, 1))),
        ("aug 2026", ("2026-08", date(2026, 8, 1), date(2026, 9, 1))),
        ("augustus 2026", ("2026-08", date(2026, 8, 1), date(2026, 9, 1))),
        ("august 2026", ("2026-08", date(2026, 8, 1), date(2026, 9, 1))),
        ("okt 2026", ("2026-10", date(2026, 10, 1), date(2026, 11, 1))),
        ("oct 2026", ("2026-10", date(2026, 10, 1), date(2026, 11, 1))),
        ("oktober 2026", ("2026-10", date(2026, 10, 1), date(2026, 11, 1))),
        ("october 2026", ("2026-10", date(2026, 10, 1), date(2026, 11, 1))),
        ("nov 2026", ("2026-11", date(2026, 11, 1), date(2026, 12, 1))),
        ("november 2026", ("2026-11", date(2026, 11, 1), date(2026, 12, 1))),
        ("dec 2026", ("2026-12", date(2026, 12, 1), date(2027, 1, 1))),
        ("december 2026", ("2026-12", date(2026, 12, 1), date(2027, 1, 1))),
        # a year
        ("2026", ("2026", date(2026, 1, 1), date(2027, 1, 1))),
        # ranges of days, both ends included
        ("2026-01-15..2026-03-31", RANGE),
        ("2026-01-15 .. 2026-03-31", RANGE),
        ("15-01-2026 t/m 31-03-2026", RANGE),
        ("15-01-2026 tot en met 31-03-2026", RANGE),
        ("15/01/2026 - 31/03/2026", RANGE),
        ("15.01.2026 – 31.03.2026", RANGE),
        ("from 2026-01-15 to 2026-03-31", RANGE),
        ("From 2026-01-15 until 2026-03-31", RANGE),
        ("van 15-01-2026 t/m 31-03-2026", RANGE),
        ("vanaf 15 januari 2026 t/m 31 maart 2026", RANGE),
        ("van 15 jan 2026 tot en met 31 mrt 2026", RANGE),
        ("15 January 2026 to 31 March 2026", RANGE),
        ("January 15, 2026 to March 31, 2026", RANGE),
        ("2026-03-05..2026-03-05", ("2026-03-05..2026-03-05", date(2026, 3, 5), date(2026, 3, 6))),
        ("15-01-2026", ("2026-01-15..2026-01-15", date(2026, 1, 15), date(2026, 1, 16))),
        # ends that are months or quarters cover them whole
        ("sep 2026 - nov 2026", ("2026-09-01..2026-11-30", date(2026, 9, 1), date(2026, 12, 1))),
        ("Q1 2026 t/m Q2 2026", ("2026-01-01..2026-06-30", date(2026, 1, 1), date(2026, 7, 1))),
        ("2025 to 2026", ("2025-01-01..2026-12-31", date(2025, 1, 1), date(2027, 1, 1))),
    ],
)
def test_every_form_in_both_languages(text, expected):
    period = parse_period(text)
    assert (period.label, period.start, period.end) == expected
    assert parse_period(period.label) == period  # the label reads back as the same period


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-13", "month 13 does not exist"),
        ("2026-Q5", "quarter 5 does not exist"),
        ("Q5 2026", "quarter 5 does not exist"),
        ("Q0 2026", "quarter 0 does not exist"),
        ("26", "is not a period"),
        ("", "is not a period"),
        ("september", "is not a period"),
        ("sptember 2026", "is not a period"),
        ("last year", "is not a period"),
        ("2026-03-31..2026-01-15", "the range ends (2026-01-15) before it starts (2026-03-31)"),
        ("31-03-2026 t/m 15-01-2026", "the range ends (2026-01-15) before it starts"),
        ("31-02-2026 t/m 31-03-2026", "31-02-2026 is not a date that exists"),
        ("2026-02-30..2026-03-31", "30-02-2026 is not a date that exists"),
        ("1999", "year 1999 is outside the supported years 2000–2099"),
        ("2100-Q1", "year 2100 is outside the supported years"),
        ("jan 1850", "year 1850 is outside"),
        ("20266", "is not a period"),
        ("from 2026-01-15", "is not a period"),
        ("2026-01-15..", "is not a period"),
    ],
)
def test_bad_periods_say_what_is_wrong_and_what_is_accepted(text, problem):
    with pytest.raises(ValueError) as caught:
        parse_period(text)
    message = str(caught.value)
    assert problem in message
    assert message.endswith(
        "use a month (2026-09, sep 2026, september 2026), a quarter (2026-Q3, Q3 2026), "
        "a year (2026) or a range of days (2026-01-15..2026-03-31, 15-01-2026 t/m 31-03-2026)"
    )


def test_the_supported_years_are_documented_constants():
    assert (MIN_YEAR, MAX_YEAR) == (2000, 2099)
    assert parse_period("2000").start == date(2000, 1, 1)
    assert parse_period("2099-12").end == date(2100, 1, 1)


def test_the_previous_period_has_the_same_length():
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026-Q3").previous().label == "2026-Q2"
    assert parse_period("2026").previous().label == "2025"
    assert parse_period("2026-01-15..2026-03-31").previous().label == "2025-10-31..2026-01-14"


TODAY = date(2026, 12, 6)


def test_the_last_twelve_months_are_twelve_complete_months_and_the_running_one():
    window = last_twelve_months(TODAY)
    assert (window.start, window.last_day) == (date(2025, 12, 1), TODAY)
    complete = complete_months(window, TODAY)
    assert (complete.start, complete.last_day) == (date(2025, 12, 1), date(2026, 11, 30))
    now, before = default_comparison(TODAY)
    assert now.label == "2025-12-01..2026-11-30"
    assert before.label == "2024-12-01..2025-11-30"
    window = last_twelve_months(date(2026, 1, 31))
    assert window.label == "2025-01-01..2026-01-31"


@pytest.mark.parametrize(
    ("period", "today", "now", "before"),
    [
        # complete periods: the whole period against the one before
        ("2026-Q1", TODAY, "2026-Q1", "2025-Q4"),
        ("2025", TODAY, "2025", "2024"),
        ("2026-11", TODAY, "2026-11", "2026-10"),
        # running: the same months and days one period earlier
        ("2026", TODAY, "2026-01-01..2026-12-06", "2025-01-01..2025-12-06"),
        ("2026-Q4", TODAY, "2026-10-01..2026-12-06", "2026-07-01..2026-09-06"),
        ("2026-12", TODAY, "2026-12-01..2026-12-06", "2026-11-01..2026-11-06"),
        # a shorter month before: its last day stands in
        ("2026-03", date(2026, 3, 31), "2026-03", "2026-02"),
        ("2026-03", date(2026, 3, 30), "2026-03-01..2026-03-30", "2026-02-01..2026-02-28"),
        ("2026-11-20..2026-12-31", TODAY, "2026-11-20..2026-12-06", "2026-11-03..2026-11-19"),
    ],
)
def test_changes_compare_like_with_like(period, today, now, before):
    spans = like_for_like(parse_period(period), today)
    assert (spans[0].label, spans[1].label) == (now, before)


def test_a_period_that_has_not_begun_has_no_comparison():
    assert like_for_like(parse_period("2027"), TODAY) is None
