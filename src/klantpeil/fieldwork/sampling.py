"""The sampling plan of a mystery study, and who makes each contact. Plain module.

A plan spreads the contacts over cells of weekday × time block × target with
quotas as even as possible (any two cells differ by at most one contact), so a
result is not an artefact of calling only on quiet Tuesday mornings. Within a
cell the contacts go to different dates where the period allows and to a
random minute inside the block. Everything is drawn from one seeded generator:
the same arguments and seed give the same plan.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Amsterdam")
TIME_BLOCKS: tuple[str, ...] = ("opening", "morning", "lunch", "afternoon", "closing")
EDGE = timedelta(minutes=30)  # the opening and closing blocks
LUNCH = (time(12), time(13, 30))


@dataclass(frozen=True)
class PlannedContact:
    target: str
    scenario: str
    day: date
    block: str
    scheduled_at: datetime  # aware, Europe/Amsterdam, inside the block on ``day``


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment)


def block_windows(opening: time, closing: time) -> dict[str, tuple[time, time]]:
    """The five blocks of an opening day (lunch clipped to the opening hours)."""
    day = date(2000, 1, 3)
    start, end = _at(day, opening), _at(day, closing)
    if end - start < timedelta(hours=3):
        raise ValueError("opening hours must span at least 3 hours to hold five time blocks")
    first, last = start + EDGE, end - EDGE
    lunch_start = min(max(_at(day, LUNCH[0]), first), last)
    lunch_end = max(min(_at(day, LUNCH[1]), last), lunch_start)
    windows = {
        "opening": (start, first),
        "morning": (first, lunch_start),
        "lunch": (lunch_start, lunch_end),
        "afternoon": (lunch_end, last),
        "closing": (last, end),
    }
    if any(b - a < timedelta(minutes=15) for a, b in windows.values()):
        raise ValueError("the opening hours leave a time block shorter than 15 minutes")
    return {name: (a.time(), b.time()) for name, (a, b) in windows.items()}


def _quotas(cells: list[tuple], contacts: int, rng: random.Random) -> dict[tuple, int]:
    base, extra = divmod(contacts, len(cells))
    lucky = set(rng.sample(range(len(cells)), extra))
    return {cell: base + (i in lucky) for i, cell in enumerate(cells)}


def plan(
    *,
    targets: Sequence[str],
    scenarios: Sequence[str],
    start: date,
    end: date,
    contacts: int,
    seed: int,
    weekdays: Sequence[int] = (0, 1, 2, 3, 4),
    opening: time = time(9),
    closing: time = time(17),
    closed_days: Collection[date] = (),
) -> list[PlannedContact]:
    """Contacts spread over weekday × time block × target cells, sorted by time."""
    if not targets:
        raise ValueError("a study needs at least one target")
    if not scenarios:
        raise ValueError("a study needs at least one scenario")
    if contacts < 1:
        raise ValueError("a study needs at least one contact")
    if end < start:
        raise ValueError("the last day comes before the first day")
    windows = block_windows(opening, closing)
    closed = set(closed_days)
    dates: dict[int, list[date]] = defaultdict(list)
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        if day.weekday() in weekdays and day not in closed:
            dates[day.weekday()].append(day)
    if not dates:
        raise ValueError("the period has no open day on the chosen weekdays")
    rng = random.Random(seed)
    cells = [(w, b, t) for w in sorted(dates) for b in TIME_BLOCKS for t in targets]
    planned = []
    for (weekday, block, target), quota in _quotas(cells, contacts, rng).items():
        days = dates[weekday]
        # Whole rounds over the shuffled dates first, so no date repeats before all are used.
        chosen: list[date] = []
        while len(chosen) < quota:
            chosen += rng.sample(days, min(len(days), quota - len(chosen)))
        low, high = windows[block]
        span = int((_at(start, high) - _at(start, low)).total_seconds() // 60)
        for day in chosen:
            local = _at(day, low) + timedelta(minutes=rng.randrange(span))
            planned.append((target, day, block, local.replace(tzinfo=ZONE)))
    planned.sort(key=lambda p: (p[3], p[0]))
    return [
        PlannedContact(target, scenario, day, block, moment)
        for (target, day, block, moment), scenario in zip(
            planned, _scenarios(planned, scenarios, rng), strict=True
        )
    ]


def _scenarios(planned: list[tuple], scenarios: Sequence[str], rng: random.Random) -> list[str]:
    """Each target's contacts cycle through the scenarios in a shuffled order."""
    order = {
        t: rng.sample(list(scenarios), len(scenarios)) for t in sorted({p[0] for p in planned})
    }
    seen: Counter[str] = Counter()
    result = []
    for target, *_ in planned:
        result.append(order[target][seen[target] % len(scenarios)])
        seen[target] += 1
    return result


def assign(contacts: Sequence[PlannedContact], shoppers: Sequence[str], *, seed: int) -> list[str]:
    """One shopper per contact: workloads differ by at most one, and no shopper makes
    two consecutive contacts with the same target (a recognised voice spoils the test).

    Each target's contacts, in time order, go round the shoppers in one shuffled
    cycle, so neighbours on a target always differ when there are two or more.
    Each target starts where the previous one's remainder ended, so the extra
    contacts of uneven targets fall to different shoppers and the workloads
    balance to within one.
    """
    if not shoppers:
        raise ValueError("a study needs at least one shopper")
    per_target: dict[str, list[int]] = defaultdict(list)
    for i in sorted(range(len(contacts)), key=lambda i: contacts[i].scheduled_at):
        per_target[contacts[i].target].append(i)
    if len(shoppers) == 1 and any(len(v) > 1 for v in per_target.values()):
        raise ValueError("one shopper would contact the same target twice in a row; add another")
    rng = random.Random(seed)
    cycle = rng.sample(list(shoppers), len(shoppers))
    targets = rng.sample(sorted(per_target), len(per_target))
    result = [""] * len(contacts)
    start = 0
    for target in targets:
        for k, i in enumerate(per_target[target]):
            result[i] = cycle[(start + k) % len(cycle)]
        start = (start + len(per_target[target])) % len(cycle)
    return result
