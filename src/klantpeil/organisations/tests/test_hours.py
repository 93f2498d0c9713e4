"""Opening hours and closing days: checked when entered, and read by the business-hours
KPIs (mystery e-mail response time) with today's office hours as the default."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from klantpeil.collection.models import Measurement
from klantpeil.collection.services import record_measurement
from klantpeil.core.tenancy import tenant
from klantpeil.fieldwork.reachability_selectors import email_kpis_of
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, ClosingDay, OpeningHours
from klantpeil.organisations.selectors import channel_calendar
from klantpeil.organisations.services import (
    HoursError,
    Interval,
    add_closing_day,
    set_opening_hours,
)

pytestmark = pytest.mark.django_db

MON, TUE = 0, 1
SPLIT_DAY = [(time(9), time(12)), (time(13), time(16, 30))]


@pytest.fixture
def org(make_org):
    return make_org("wadderveen")


def _week(hours) -> list[Interval]:
    return [Interval(day, o, c) for day in range(5) for o, c in hours]


def _email(org, sent: datetime, answered: datetime) -> None:
    with tenant(org):
        record_measurement(
            version=latest_version(key="mystery-email"),
            answers={
                "sent_at": sent.isoformat(),
                "answered_at": answered.isoformat(),
                "overall_grade": 7,
            },
            source="api",
            channel=Channel.objects.get(kind="email"),
            occurred_at=sent,
        )


def _median_hours(org) -> float:
    with tenant(org):
        return email_kpis_of(Measurement.objects.all())["median_business_hours"].value


def test_the_email_channels_hours_and_closing_days_drive_the_response_time(org):
    # Sent Monday 16 November 2026 16:00, answered Tuesday 10:00 (Amsterdam, UTC+1).
    _email(org, datetime(2026, 11, 16, 15, tzinfo=UTC), datetime(2026, 11, 17, 9, tzinfo=UTC))
    # No hours entered: office hours 08:30–17:00, so Monday 16:00–17:00 (1 h) and
    # Tuesday 08:30–10:00 (1.5 h): 2.5 h, as before this change.
    assert _median_hours(org) == 2.5
    with tenant(org):
        set_opening_hours(channel=Channel.objects.get(kind="email"), intervals=_week(SPLIT_DAY))
    # 09:00–12:00 and 13:00–16:30: Monday 16:00–16:30 (0.5 h), Tuesday 09:00–10:00 (1 h).
    assert _median_hours(org) == 1.5
    with tenant(org):
        add_closing_day(day=date(2026, 11, 17), name="Heidag")
    # Tuesday closed: only Monday's half hour.
    assert _median_hours(org) == 0.5
    with tenant(org):
        set_opening_hours(channel=Channel.objects.get(kind="email"), intervals=None)
        assert not OpeningHours.objects.exists()
    # Office hours again, Tuesday still closed: Monday 16:00–17:00.
    assert _median_hours(org) == 1.0


def test_other_channels_and_organisations_keep_their_own_hours(org, make_org):
    other = make_org("elders")
    with tenant(org):
        set_opening_hours(
            channel=Channel.objects.get(kind="phone"), intervals=[Interval(MON, time(7), time(8))]
        )
        add_closing_day(day=date(2026, 11, 18), name="Heidag")
        phone = channel_calendar("phone", [2026])
        email = channel_calendar("email", [2026])
    assert phone.hours == {MON: ((time(7), time(8)),)}
    assert email.hours[MON] == ((time(8, 30), time(17)),)
    assert date(2026, 11, 18) in email.closed and date(2026, 12, 25) in email.closed
    with tenant(other):
        theirs = channel_calendar("phone", [2026])
    assert theirs.hours[MON] == ((time(8, 30), time(17)),)
    assert date(2026, 11, 18) not in theirs.closed


def test_overlapping_or_backwards_intervals_name_the_field_and_store_nothing(org):
    with tenant(org):
        channel = Channel.objects.get(kind="counter")
        set_opening_hours(channel=channel, intervals=[Interval(MON, time(9), time(17))])
        with pytest.raises(HoursError) as caught:
            set_opening_hours(
                channel=channel,
                intervals=[
                    Interval(TUE, time(9), time(12)),
                    Interval(TUE, time(11), time(14)),  # overlaps 09:00–12:00
                    Interval(TUE, time(12), time(13)),  # touches it: fine
                    Interval(MON, time(17), time(9)),  # backwards
                    Interval(7, time(9), time(10)),  # no such weekday
                ],
            )
        assert [(p.index, p.field) for p in caught.value.problems] == [
            (1, "opens"),
            (3, "closes"),
            (4, "weekday"),
        ]
        assert caught.value.problems[0].message == "Tuesday: 11:00–14:00 overlaps 09:00–12:00."
        # The old hours stay: nothing half-saved.
        assert list(OpeningHours.objects.values_list("weekday", "opens", "closes")) == [
            (MON, time(9), time(17))
        ]


def test_a_closing_day_twice_or_without_a_name_is_refused(org):
    with tenant(org):
        add_closing_day(day=date(2026, 12, 24), name="Kerstavond")
        with pytest.raises(HoursError) as caught:
            add_closing_day(day=date(2026, 12, 24), name="")
        assert {p.field for p in caught.value.problems} == {"day", "name"}
        assert ClosingDay.objects.count() == 1
