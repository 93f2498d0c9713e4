"""Business hours across weekends, holidays and clock changes; Dutch holidays by year."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from klantpeil.metrics.business_hours import (
    Calendar,
    add_business_hours,
    business_seconds_between,
)
from klantpeil.metrics.holidays import dutch_holidays, easter_sunday

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600


def local(*args):
    return datetime(*args, tzinfo=AMS).astimezone(UTC)


def test_easter_and_the_moving_holidays():
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    days = {h.name_en: h.day for h in dutch_holidays(2026)}
    assert days["Ascension Day"] == date(2026, 5, 14)
    assert days["Whit Monday"] == date(2026, 5, 25)
    assert days["Good Friday"] == date(2026, 4, 3)
    assert "Liberation Day" not in days  # 2026 is no lustrum year
    assert date(2025, 5, 5) in {h.day for h in dutch_holidays(2025)}


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday():
    assert {h.name_en: h.day for h in dutch_holidays(2025)}["King's Day"] == date(2025, 4, 26)
    assert {h.name_en: h.day for h in dutch_holidays(2026)}["King's Day"] == date(2026, 4, 27)


def test_a_mail_on_friday_afternoon_answered_monday_morning():
    office = Calendar()  # Monday–Friday 8:30–17:00
    # Fri 16:00 → Mon 09:30: one hour on Friday, one on Monday.
    sent, answered = local(2026, 3, 6, 16, 0), local(2026, 3, 9, 9, 30)
    assert business_seconds_between(sent, answered, office) == 2 * HOUR


def test_a_mail_sent_at_night_or_on_saturday_starts_the_clock_at_opening():
    office = Calendar()
    assert business_seconds_between(local(2026, 3, 7, 11, 0), local(2026, 3, 9, 8, 30), office) == 0
    assert (
        business_seconds_between(local(2026, 3, 9, 2, 0), local(2026, 3, 9, 10, 0), office)
        == 1.5 * HOUR
    )


def test_easter_monday_and_good_friday_do_not_count():
    calendar = Calendar.dutch([2026])
    # Thursday 2 April 2026 16:00 → Tuesday 7 April 9:00: Thu 1 h + Tue 0.5 h (Fri and Mon closed).
    assert (
        business_seconds_between(local(2026, 4, 2, 16, 0), local(2026, 4, 7, 9, 0), calendar)
        == 1.5 * HOUR
    )
    working_friday = Calendar.dutch([2026], good_friday=False)
    assert (
        business_seconds_between(local(2026, 4, 2, 16, 0), local(2026, 4, 7, 9, 0), working_friday)
        == 10 * HOUR
    )


def test_clock_changes_count_real_hours():
    always_open = Calendar(hours={d: ((time(0, 0), time(23, 59, 59)),) for d in range(7)})
    # Sunday 29 March 2026 has 23 hours in Amsterdam, Sunday 25 October 2026 has 25.
    spring = business_seconds_between(
        local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0), always_open
    )
    autumn = business_seconds_between(
        local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0), always_open
    )
    assert spring == pytest.approx(23 * HOUR - 1)
    assert autumn == pytest.approx(25 * HOUR - 1)
    # Office hours the Monday after the change are still 8.5 local hours.
    office = Calendar()
    assert (
        business_seconds_between(local(2026, 3, 30, 0, 0), local(2026, 3, 31, 0, 0), office)
        == 8.5 * HOUR
    )


def test_deadlines_agree_with_the_count():
    calendar = Calendar.dutch([2026])
    start = local(2026, 4, 2, 16, 0)
    # Two working days of the government e-mail code: Thu 1 h, (Good Friday, weekend,
    # Easter Monday closed), Tue 8.5 h, Wed 6.5 h from 8:30 → Wednesday 15:00.
    deadline = add_business_hours(start, 16, calendar)
    assert deadline == local(2026, 4, 8, 15, 0)
    assert business_seconds_between(start, deadline, calendar) == 16 * HOUR
    assert add_business_hours(local(2026, 3, 7, 12, 0), 1, calendar) == local(2026, 3, 9, 9, 30)


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        business_seconds_between(datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10), Calendar())
