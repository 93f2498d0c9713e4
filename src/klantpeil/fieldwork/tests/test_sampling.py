"""The sampling plan and the shopper assignment: quotas, windows, clock changes,
closed days, reproducibility and fair, unrecognisable assignment."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from klantpeil.fieldwork.sampling import (
    BUSY,
    TIME_BLOCKS,
    PlannedContact,
    assign,
    block_windows,
    plan,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
END_OF_SUMMER_TIME = date(2026, 10, 25)  # last Sunday of October 2026
START_OF_SUMMER_TIME = date(2026, 3, 29)  # last Sunday of March 2026


def _plan(**changes) -> list[PlannedContact]:
    arguments = {
        "targets": ["T1", "T2", "T3"],
        "scenarios": ["S1", "S2", "S3"],
        "start": date(2026, 10, 12),
        "end": date(2026, 11, 6),
        "contacts": 120,
        "seed": 7,
        **changes,
    }
    return plan(**arguments)


def _open_dates(start: date, end: date, weekdays, closed=()) -> dict[int, set[date]]:
    dates: dict[int, set[date]] = defaultdict(set)
    day = start
    while day <= end:
        if day.weekday() in weekdays and day not in closed:
            dates[day.weekday()].add(day)
        day += timedelta(days=1)
    return dates


def _random_case(rng: random.Random) -> dict:
    start = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
    return {
        "targets": [f"T{i}" for i in range(rng.randint(1, 10))],
        "scenarios": [f"S{i}" for i in range(rng.randint(1, 4))],
        "start": start,
        "end": start + timedelta(days=rng.randrange(60)),
        "contacts": rng.randint(1, 300),
        "seed": rng.randrange(10**6),
        "weekdays": tuple(sorted(rng.sample(range(7), rng.randint(1, 7)))),
    }


# --- block windows --------------------------------------------------------------------------


def test_the_five_blocks_of_a_nine_to_five_day():
    assert block_windows(time(9), time(17)) == {
        "opening": (time(9), time(9, 30)),
        "morning": (time(9, 30), time(12)),
        "lunch": (time(12), time(13, 30)),
        "afternoon": (time(13, 30), time(16, 30)),
        "closing": (time(16, 30), time(17)),
    }


def test_lunch_is_clipped_to_the_opening_hours():
    assert block_windows(time(12, 15), time(18)) == {
        "opening": (time(12, 15), time(12, 45)),
        "morning": (time(12, 45), time(12, 45)),  # no room: empty
        "lunch": (time(12, 45), time(13, 30)),
        "afternoon": (time(13, 30), time(17, 30)),
        "closing": (time(17, 30), time(18)),
    }
    assert block_windows(time(8), time(13)) == {
        "opening": (time(8), time(8, 30)),
        "morning": (time(8, 30), time(12)),
        "lunch": (time(12), time(12, 30)),
        "afternoon": (time(12, 30), time(12, 30)),
        "closing": (time(12, 30), time(13)),
    }


def test_a_day_of_exactly_three_hours_is_enough_and_a_shorter_one_is_not():
    assert block_windows(time(9), time(12))["closing"] == (time(11, 30), time(12))
    with pytest.raises(ValueError, match="must span at least 3 hours"):
        block_windows(time(9), time(11, 59))
    with pytest.raises(ValueError, match="must span at least 3 hours"):
        block_windows(time(17), time(9))


def test_blocks_without_room_in_the_opening_hours_get_no_contacts():
    contacts = _plan(opening=time(14), closing=time(20), contacts=90)
    assert len(contacts) == 90
    assert {c.block for c in contacts} == {"opening", "afternoon", "closing"}
    cells = Counter((c.day.weekday(), c.block, c.target) for c in contacts)
    assert len(cells) == 5 * 3 * 3
    assert set(cells.values()) == {2}


# --- quotas, dates and scenarios ------------------------------------------------------------


def test_quotas_per_weekday_block_and_target_differ_by_at_most_one():
    contacts = _plan(contacts=100)
    assert len(contacts) == 100
    cells = Counter((c.day.weekday(), c.block, c.target) for c in contacts)
    assert len(cells) == 5 * 5 * 3  # 75 cells: 25 get two contacts, 50 get one
    assert sorted(Counter(cells.values()).items()) == [(1, 50), (2, 25)]


def test_the_invariants_hold_over_many_random_plans():
    rng = random.Random(2026)
    for _ in range(150):
        case = _random_case(rng)
        dates = _open_dates(case["start"], case["end"], case["weekdays"])
        if not dates:
            with pytest.raises(ValueError, match="no open day"):
                plan(**case)
            continue
        contacts = plan(**case)
        assert len(contacts) == case["contacts"]
        # Quotas over all cells (unused cells count as zero).
        cells = Counter((c.day.weekday(), c.block, c.target) for c in contacts)
        every = [(w, b, t) for w in dates for b in TIME_BLOCKS for t in case["targets"]]
        assert set(cells) <= set(every)
        counts = [cells[cell] for cell in every]
        assert max(counts) - min(counts) <= 1, case
        # Within a cell, the dates of its weekday are used evenly.
        per_date = Counter((c.day, c.block, c.target) for c in contacts)
        for weekday, block, target in every:
            used = [per_date[(day, block, target)] for day in dates[weekday]]
            assert max(used) - min(used) <= 1, case
        # Scenarios balanced per target.
        for target in case["targets"]:
            mix = Counter(c.scenario for c in contacts if c.target == target)
            spread = [mix[s] for s in case["scenarios"]]
            assert max(spread) - min(spread) <= 1, case
        assert [c.scheduled_at for c in contacts] == sorted(c.scheduled_at for c in contacts)


def test_contacts_of_one_cell_on_one_date_get_different_minutes():
    # Three open Mondays for 5 blocks × 1 target with 60 contacts: four per cell and date.
    contacts = _plan(
        targets=["T1"], start=date(2026, 6, 1), end=date(2026, 6, 15), weekdays=(0,), contacts=60
    )
    per_slot = Counter((c.target, c.day, c.block) for c in contacts)
    assert set(per_slot.values()) == {4}
    assert len({(c.target, c.scheduled_at) for c in contacts}) == 60


def test_scenarios_are_balanced_per_target():
    contacts = _plan(contacts=100)
    for target in ("T1", "T2", "T3"):
        mix = Counter(c.scenario for c in contacts if c.target == target)
        assert sorted(mix) == ["S1", "S2", "S3"]
        assert max(mix.values()) - min(mix.values()) <= 1


# --- time windows, weekdays and clock changes -----------------------------------------------


def test_every_contact_lies_in_its_block_on_its_weekday_in_amsterdam_time():
    windows = block_windows(time(8, 30), time(18))
    contacts = _plan(opening=time(8, 30), closing=time(18), weekdays=(1, 3), contacts=200)
    assert {c.day.weekday() for c in contacts} == {1, 3}
    for c in contacts:
        moment = c.scheduled_at
        assert moment.tzinfo == AMSTERDAM
        assert moment.date() == c.day
        low, high = windows[c.block]
        assert low <= moment.time() < high
        assert (moment.second, moment.microsecond) == (0, 0)  # a whole minute


def test_utc_offsets_are_right_on_both_sides_of_the_end_of_summer_time():
    contacts = _plan(contacts=200)  # 12 October - 6 November 2026
    before = [c for c in contacts if c.day < END_OF_SUMMER_TIME]
    after = [c for c in contacts if c.day > END_OF_SUMMER_TIME]
    assert before and after
    assert {c.scheduled_at.utcoffset() for c in before} == {timedelta(hours=2)}
    assert {c.scheduled_at.utcoffset() for c in after} == {timedelta(hours=1)}
    for c in contacts:
        # The same wall-clock time is a different instant: UTC = local − offset.
        utc = c.scheduled_at.astimezone(UTC)
        hours = 2 if c.day < END_OF_SUMMER_TIME else 1
        assert utc.replace(tzinfo=None) == c.scheduled_at.replace(tzinfo=None) - timedelta(
            hours=hours
        )
    # A fixed example: 09:00 is 07:00 UTC in summer time and 08:00 UTC in winter time.
    summer = datetime.combine(date(2026, 10, 23), time(9), tzinfo=AMSTERDAM)
    winter = datetime.combine(date(2026, 10, 26), time(9), tzinfo=AMSTERDAM)
    assert summer.astimezone(UTC).hour == 7 and winter.astimezone(UTC).hour == 8


def test_a_night_block_over_the_repeated_autumn_hour_uses_both_passes():
    windows = block_windows(time(0), time(4))
    contacts = _plan(
        start=END_OF_SUMMER_TIME,
        end=END_OF_SUMMER_TIME,
        weekdays=(6,),
        opening=time(0),
        closing=time(4),
        targets=["T1"],
        contacts=150,
    )
    assert {c.block for c in contacts} == {"opening", "morning", "closing"}
    repeated = [c.scheduled_at for c in contacts if c.scheduled_at.hour == 2]
    assert {m.fold for m in repeated} == {0, 1}
    assert {m.utcoffset() for m in repeated} == {timedelta(hours=2), timedelta(hours=1)}
    for c in contacts:
        low, high = windows[c.block]
        assert low <= c.scheduled_at.time() < high
    instants = [c.scheduled_at.astimezone(UTC) for c in contacts]
    assert instants == sorted(instants)


def test_no_contact_falls_in_the_hour_skipped_in_spring():
    contacts = _plan(
        start=START_OF_SUMMER_TIME,
        end=START_OF_SUMMER_TIME,
        weekdays=(6,),
        opening=time(0),
        closing=time(4),
        targets=["T1"],
        contacts=150,
    )
    for c in contacts:
        assert c.scheduled_at.hour != 2
        # Every time exists: it survives a round trip through UTC unchanged.
        back = c.scheduled_at.astimezone(UTC).astimezone(AMSTERDAM)
        assert back.replace(tzinfo=None) == c.scheduled_at.replace(tzinfo=None)


def test_closed_days_are_never_planned():
    closed = {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}
    contacts = _plan(
        start=date(2026, 12, 14), end=date(2027, 1, 8), contacts=300, closed_days=closed
    )
    used = {c.day for c in contacts}
    assert not used & closed
    # Every other open weekday is used: the contacts spread over the dates.
    assert used == set().union(
        *_open_dates(date(2026, 12, 14), date(2027, 1, 8), range(5), closed).values()
    )
    # Christmas and New Year fall on Fridays: of those, 18 December and 8 January remain.
    assert {c.day for c in contacts if c.day.weekday() == 4} == {
        date(2026, 12, 18),
        date(2027, 1, 8),
    }


# --- reproducibility ------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    assert _plan() == _plan()
    assert _plan(closed_days=[date(2026, 10, 14)]) == _plan(closed_days={date(2026, 10, 14)})
    plans = [_plan(seed=seed) for seed in range(6)]
    assert len({tuple(p) for p in plans}) == 6


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"targets": []}, "^a study needs at least one target$"),
        ({"scenarios": []}, "^a study needs at least one scenario$"),
        ({"contacts": 0}, "^a study needs at least one contact$"),
        ({"contacts": -3}, "^a study needs at least one contact$"),
        (
            {"end": date(2026, 10, 11)},
            r"^the last day \(2026-10-11\) comes before the first day \(2026-10-12\)$",
        ),
        (
            {"start": date(2026, 10, 17), "end": date(2026, 10, 18)},
            "^the period 2026-10-17 to 2026-10-18 has no open day on the chosen weekdays$",
        ),
        (
            {
                "start": date(2026, 12, 25),
                "end": date(2026, 12, 25),
                "closed_days": [date(2026, 12, 25)],
            },
            "has no open day on the chosen weekdays",
        ),
        ({"weekdays": ()}, "has no open day on the chosen weekdays"),
        ({"weekdays": (0, 7)}, r"^weekdays run from 0 \(Monday\) to 6 \(Sunday\), not \[7\]$"),
        ({"targets": ["T1", "T2", "T1"]}, "^target T1 appears more than once$"),
        ({"scenarios": ["S1", "S1"]}, "^scenario S1 appears more than once$"),
        ({"closing": time(11)}, "must span at least 3 hours"),
    ],
)
def test_impossible_plans_say_why(changes, message):
    with pytest.raises(ValueError, match=message):
        _plan(**changes)


# --- assignment -----------------------------------------------------------------------------


def _check_assignment(contacts, shoppers, chosen):
    assert len(chosen) == len(contacts)
    assert set(chosen) <= set(shoppers)
    load = Counter(chosen)
    counts = [load[s] for s in shoppers]
    assert max(counts) - min(counts) <= 1
    order = sorted(range(len(contacts)), key=lambda i: (contacts[i].scheduled_at, i))
    per_target = defaultdict(list)
    for i in order:
        per_target[contacts[i].target].append(chosen[i])
    for target, sequence in per_target.items():
        assert all(a != b for a, b in pairwise(sequence)), target


def test_assignment_is_balanced_and_never_repeats_a_shopper_on_a_target():
    rng = random.Random(11)
    for case in range(400):
        contacts = plan(
            targets=[f"T{i}" for i in range(rng.randint(1, 10))],
            scenarios=["S"],
            start=date(2026, 9, 1),
            end=date(2026, 9, 1) + timedelta(days=rng.randrange(40)),
            contacts=rng.randint(1, 300),
            seed=case,
        )
        shoppers = [f"p{i}" for i in range(rng.randint(2, 7))]
        _check_assignment(contacts, shoppers, assign(contacts, shoppers, seed=case))


def test_assignment_holds_on_crowded_hand_made_contacts():
    # Many contacts at the very same minutes, one target dominating: the hardest case.
    rng = random.Random(5)
    moments = [datetime(2026, 5, 4, 10, m, tzinfo=AMSTERDAM) for m in range(3)]
    for case in range(300):
        targets = [f"T{i}" for i in range(rng.randint(1, 4))]
        contacts = [
            PlannedContact(
                target=rng.choice(targets[:1] * 5 + targets),
                scenario="S",
                day=date(2026, 5, 4),
                block="morning",
                scheduled_at=rng.choice(moments),
            )
            for _ in range(rng.randint(1, 120))
        ]
        shoppers = [f"p{i}" for i in range(rng.randint(2, 7))]
        _check_assignment(contacts, shoppers, assign(contacts, shoppers, seed=case))


def test_assignment_is_reproducible_and_depends_on_the_seed():
    contacts = _plan(contacts=80)
    shoppers = ["ann", "bob", "cas", "dee"]
    assert assign(contacts, shoppers, seed=3) == assign(contacts, shoppers, seed=3)
    assert len({tuple(assign(contacts, shoppers, seed=s)) for s in range(5)}) == 5


def test_more_shoppers_than_contacts_gives_each_at_most_one():
    contacts = _plan(contacts=4)
    chosen = assign(contacts, [f"p{i}" for i in range(9)], seed=1)
    assert len(set(chosen)) == 4


def test_shoppers_are_not_given_two_contacts_at_once_when_there_is_room():
    contacts = _plan(contacts=150, start=date(2026, 9, 1), end=date(2026, 9, 30))
    shoppers = [f"p{i}" for i in range(6)]
    for seed in range(10):
        chosen = assign(contacts, shoppers, seed=seed)
        agenda = defaultdict(list)
        for contact, shopper in zip(contacts, chosen, strict=True):
            agenda[shopper].append(contact.scheduled_at.astimezone(UTC))
        for moments in agenda.values():
            moments.sort()
            assert all(b - a >= BUSY for a, b in pairwise(moments)), seed


def test_one_shopper_is_fine_only_when_no_target_is_contacted_twice():
    single = _plan(targets=["T1"], contacts=1)
    assert assign(single, ["solo"], seed=1) == ["solo"]
    with pytest.raises(ValueError, match="same target twice in a row; add another shopper"):
        assign(_plan(contacts=10), ["solo"], seed=1)


def test_assignment_errors():
    contacts = _plan(contacts=10)
    with pytest.raises(ValueError, match=r"^a study needs at least one shopper$"):
        assign(contacts, [], seed=1)
    with pytest.raises(ValueError, match=r"^shopper bob appears more than once$"):
        assign(contacts, ["bob", "ann", "bob"], seed=1)
    assert assign([], ["ann"], seed=1) == []
