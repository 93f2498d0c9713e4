"""The sampling plan and the shopper assignment: quotas, windows, holidays, fairness."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, time, timedelta
from itertools import pairwise

import pytest

from klantpeil.fieldwork.sampling import TIME_BLOCKS, assign, block_windows, plan

TARGETS = ["T1", "T2", "T3"]


def _plan(**changes):
    arguments = {
        "targets": TARGETS,
        "scenarios": ["S1", "S2"],
        "start": date(2026, 10, 5),
        "end": date(2026, 11, 6),
        "contacts": 100,
        "seed": 3,
        **changes,
    }
    return plan(**arguments)


def test_the_five_blocks_of_a_nine_to_five_day():
    assert block_windows(time(9), time(17)) == {
        "opening": (time(9), time(9, 30)),
        "morning": (time(9, 30), time(12)),
        "lunch": (time(12), time(13, 30)),
        "afternoon": (time(13, 30), time(16, 30)),
        "closing": (time(16, 30), time(17)),
    }
    with pytest.raises(ValueError, match="at least 3 hours"):
        block_windows(time(9), time(11))


def test_quotas_per_weekday_block_and_target_differ_by_at_most_one():
    contacts = _plan()
    assert len(contacts) == 100
    cells = Counter((c.day.weekday(), c.block, c.target) for c in contacts)
    assert len(cells) == 5 * 5 * 3  # every weekday × block × target cell is used
    assert max(cells.values()) - min(cells.values()) <= 1
    per_target = Counter((c.target, c.scenario) for c in contacts)
    for target in TARGETS:
        counts = [per_target[(target, s)] for s in ("S1", "S2")]
        assert max(counts) - min(counts) <= 1


def test_every_contact_lies_in_its_block_in_amsterdam_time_across_the_clock_change():
    windows = block_windows(time(9), time(17))
    contacts = _plan()  # the period spans 25 October 2026, when summer time ends
    offsets = set()
    for c in contacts:
        local = c.scheduled_at
        low, high = windows[c.block]
        assert local.date() == c.day and c.day.weekday() < 5
        assert low <= local.time() < high
        offsets.add(local.utcoffset())
    assert offsets == {timedelta(hours=2), timedelta(hours=1)}
    assert contacts == sorted(contacts, key=lambda c: c.scheduled_at)


def test_closed_days_are_never_planned_and_contacts_spread_over_the_dates():
    holidays = {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}
    christmas = _plan(
        start=date(2026, 12, 14), end=date(2027, 1, 8), contacts=150, closed_days=holidays
    )
    assert not {c.day for c in christmas} & {date(2026, 12, 25), date(2027, 1, 1)}
    # 30 cells of a weekday × block: with 4 such dates, no date holds more than its share.
    per_cell_day = Counter((c.day, c.block, c.target) for c in christmas)
    assert max(per_cell_day.values()) == 1


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    assert _plan() == _plan()
    assert _plan() != _plan(seed=4)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"targets": []}, "at least one target"),
        ({"scenarios": []}, "at least one scenario"),
        ({"contacts": 0}, "at least one contact"),
        ({"end": date(2026, 10, 1)}, "before the first day"),
        ({"start": date(2026, 10, 10), "end": date(2026, 10, 11)}, "no open day"),
    ],
)
def test_impossible_plans_say_why(changes, message):
    with pytest.raises(ValueError, match=message):
        _plan(**changes)


def test_assignment_is_balanced_and_never_repeats_a_shopper_on_a_target():
    rng = random.Random(1)
    for case in range(150):
        targets = [f"T{i}" for i in range(rng.randint(1, 10))]
        contacts = plan(
            targets=targets,
            scenarios=["S"],
            start=date(2026, 9, 1),
            end=date(2026, 9, 30),
            contacts=rng.randint(1, 300),
            seed=case,
        )
        shoppers = [f"p{i}" for i in range(rng.randint(2, 7))]
        chosen = assign(contacts, shoppers, seed=case)
        load = Counter(chosen)
        assert set(load) <= set(shoppers)
        assert max(load.values()) - min(load.get(s, 0) for s in shoppers) <= 1
        for target in targets:
            sequence = [p for c, p in zip(contacts, chosen, strict=True) if c.target == target]
            assert all(a != b for a, b in pairwise(sequence)), (case, target)
    assert assign(contacts, shoppers, seed=9) == assign(contacts, shoppers, seed=9)


def test_one_shopper_cannot_call_a_target_twice():
    contacts = _plan(contacts=10)
    with pytest.raises(ValueError, match="twice in a row"):
        assign(contacts, ["solo"], seed=1)
    with pytest.raises(ValueError, match="at least one shopper"):
        assign(contacts, [], seed=1)


def test_every_block_is_used():
    assert {c.block for c in _plan()} == set(TIME_BLOCKS)
