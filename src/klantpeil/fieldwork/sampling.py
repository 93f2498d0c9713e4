"""The sampling plan of a mystery study, and who makes each contact. Plain module.

A plan spreads the contacts over cells of weekday × time block × target with
quotas as even as possible (any two cells differ by at most one contact), so a
result is not an artefact of calling only on quiet Tuesday mornings. Within a
cell the contacts go round the available dates before any date gets a second
one, each at a random minute inside the block. Everything is drawn from one
seeded generator: the same arguments and seed give the same plan.

Times are Europe/Amsterdam. Minutes are drawn as real elapsed time from the
start of the block, so a block that spans a clock change (only possible with
night-time opening hours) never yields a time that does not exist and counts
the repeated autumn hour once for each pass.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Amsterdam")
TIME_BLOCKS: tuple[str, ...] = ("opening", "morning", "lunch", "afternoon", "closing")
EDGE = timedelta(minutes=30)  # the length of the opening and closing blocks
LUNCH = (time(12), time(13, 30))
MINIMUM_DAY = timedelta(hours=3)
# A call, waiting in the queue and scoring it take about this long, so a shopper
# given two contacts closer together than this cannot make both on time.
BUSY = timedelta(minutes=15)
_REPAIR_ROUNDS = 20
_CANDIDATES = 50  # swaps tried per clashing contact: bounds the work on big studies


@dataclass(frozen=True)
class PlannedContact:
    target: str  # target key, e.g. "T1"
    scenario: str  # scenario key
    day: date
    block: str  # one of TIME_BLOCKS
    scheduled_at: datetime  # aware, Europe/Amsterdam, inside the block window on ``day``


def block_windows(opening: time, closing: time) -> dict[str, tuple[time, time]]:
    """The five blocks of an opening day, each as a half-open window [start, end).

    Opening is the first 30 minutes and closing the last 30; lunch is 12:00-13:30
    clipped to the hours between them; morning lies between the opening block and
    lunch, afternoon between lunch and the closing block. A block the opening hours
    leave no room for (lunch at a shop that opens at 14:00) comes back empty, with
    start == end; ``plan`` leaves such blocks out. Raises ValueError when the day
    is shorter than 3 hours.
    """
    day = date(2000, 1, 3)  # any day: only the clock arithmetic matters here
    start, end = datetime.combine(day, opening), datetime.combine(day, closing)
    if end - start < MINIMUM_DAY:
        raise ValueError(
            f"opening hours {opening:%H:%M}-{closing:%H:%M} must span at least 3 hours "
            "to hold five time blocks"
        )
    first, last = start + EDGE, end - EDGE
    lunch_start = min(max(datetime.combine(day, LUNCH[0]), first), last)
    lunch_end = max(min(datetime.combine(day, LUNCH[1]), last), lunch_start)
    windows = {
        "opening": (start, first),
        "morning": (first, lunch_start),
        "lunch": (lunch_start, lunch_end),
        "afternoon": (lunch_end, last),
        "closing": (last, end),
    }
    return {name: (a.time(), b.time()) for name, (a, b) in windows.items()}


def _bounds(day: date, window: tuple[time, time]) -> tuple[datetime, int]:
    """The block's start in UTC and its length in whole real minutes on ``day``."""
    low = datetime.combine(day, window[0], tzinfo=ZONE).astimezone(UTC)
    high = datetime.combine(day, window[1], tzinfo=ZONE).astimezone(UTC)
    return low, int((high - low).total_seconds() // 60)


def _open_dates(
    start: date, end: date, weekdays: Collection[int], closed: Collection[date]
) -> dict[int, list[date]]:
    dates: dict[int, list[date]] = defaultdict(list)
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        if day.weekday() in weekdays and day not in closed:
            dates[day.weekday()].append(day)
    return dict(dates)


def _check_keys(kind: str, keys: Sequence[str]) -> None:
    if not keys:
        raise ValueError(f"a study needs at least one {kind}")
    twice = sorted(k for k, n in Counter(keys).items() if n > 1)
    if twice:
        raise ValueError(f"{kind} {', '.join(map(str, twice))} appears more than once")


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
    """``contacts`` contacts over weekday × block × target cells, sorted by scheduled_at.

    Cells are the chosen weekdays that have an open date in [start, end] (dates in
    ``closed_days`` are not open), times the blocks with room in the opening hours,
    times the targets. Quotas differ by at most one between cells; which cells get
    the extra contact is drawn. A cell's contacts take each of its dates once before
    any date is used again, and contacts of one cell on one date get different
    minutes while the block has enough of them. Each target's contacts cycle, in time
    order, through its own shuffled order of the scenarios, so scenario counts per
    target differ by at most one. Raises ValueError, saying why, when no plan is
    possible.
    """
    _check_keys("target", targets)
    _check_keys("scenario", scenarios)
    if contacts < 1:
        raise ValueError("a study needs at least one contact")
    if end < start:
        raise ValueError(f"the last day ({end}) comes before the first day ({start})")
    wrong = sorted(set(weekdays) - set(range(7)))
    if wrong:
        raise ValueError(f"weekdays run from 0 (Monday) to 6 (Sunday), not {wrong}")
    windows = block_windows(opening, closing)
    # A block of under a minute cannot hold a contact at a whole minute.
    blocks = [b for b in TIME_BLOCKS if _bounds(start, windows[b])[1] >= 1]
    dates = _open_dates(start, end, set(weekdays), set(closed_days))
    if not dates:
        raise ValueError(f"the period {start} to {end} has no open day on the chosen weekdays")

    rng = random.Random(seed)
    cells = [(w, b, t) for w in sorted(dates) for b in blocks for t in targets]
    base, extra = divmod(contacts, len(cells))
    lucky = set(rng.sample(range(len(cells)), extra))
    rank = {t: k for k, t in enumerate(targets)}
    planned: list[tuple[datetime, int, str, date, str]] = []
    for number, (weekday, block, target) in enumerate(cells):
        quota = base + (number in lucky)
        days = dates[weekday]
        chosen: list[date] = []
        while len(chosen) < quota:  # whole rounds over the dates: none repeats early
            chosen += rng.sample(days, min(len(days), quota - len(chosen)))
        for day, count in sorted(Counter(chosen).items()):
            low, span = _bounds(day, windows[block])
            span = max(span, 1)  # a night block inside the spring gap has no real minutes
            if count <= span:
                minutes = rng.sample(range(span), count)
            else:
                minutes = [rng.randrange(span) for _ in range(count)]
            for minute in minutes:
                instant = low + timedelta(minutes=minute)
                planned.append((instant, rank[target], target, day, block))
    planned.sort(key=lambda p: (p[0], p[1]))

    orders = {t: rng.sample(list(scenarios), len(scenarios)) for t in targets}
    seen: Counter[str] = Counter()
    result = []
    for instant, _, target, day, block in planned:
        scenario = orders[target][seen[target] % len(scenarios)]
        seen[target] += 1
        result.append(PlannedContact(target, scenario, day, block, instant.astimezone(ZONE)))
    return result


def _instant(moment: datetime) -> datetime:
    # Aware datetimes sharing one tzinfo compare by wall clock, which misorders the
    # repeated autumn hour; UTC compares by real time.
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def assign(contacts: Sequence[PlannedContact], shoppers: Sequence[str], *, seed: int) -> list[str]:
    """One shopper per contact, in the order of ``contacts``.

    Guarantees: workloads differ by at most one, and taking each target's contacts
    in scheduled_at order (ties in the given order), no two consecutive ones have the
    same shopper: a recognised voice spoils the test. The same arguments and seed
    give the same assignment.

    Each target's contacts, in time order, go round the shoppers in one shuffled
    cycle, so neighbours on a target always differ when there are two or more
    shoppers; each target starts where the previous one stopped, which is one
    continuous round robin, so the workloads balance to within one. A repair pass
    then lessens clashes, a shopper's two contacts less than ``BUSY`` apart, by
    swapping the shoppers of two contacts or handing a contact to a shopper with one
    contact fewer; neither changes the spread of the workloads nor is allowed to break
    the rule on neighbours. That part is best effort: with two shoppers each target
    must alternate between them, which leaves little room, and busy days can hold
    more contacts than the shoppers can make.

    Raises ValueError without shoppers, with a shopper listed twice, or with a single
    shopper when some target has more than one contact.
    """
    if not shoppers:
        raise ValueError("a study needs at least one shopper")
    twice = sorted(s for s, n in Counter(shoppers).items() if n > 1)
    if twice:
        raise ValueError(f"shopper {', '.join(map(str, twice))} appears more than once")
    order = sorted(range(len(contacts)), key=lambda i: (_instant(contacts[i].scheduled_at), i))
    per_target: dict[str, list[int]] = defaultdict(list)
    for i in order:
        per_target[contacts[i].target].append(i)
    if len(shoppers) == 1 and any(len(v) > 1 for v in per_target.values()):
        raise ValueError(
            "one shopper would contact the same target twice in a row; add another shopper"
        )
    rng = random.Random(seed)
    cycle = rng.sample(list(shoppers), len(shoppers))
    result = [""] * len(contacts)
    position = 0
    for target in rng.sample(sorted(per_target), len(per_target)):
        for i in per_target[target]:
            result[i] = cycle[position % len(cycle)]
            position += 1
    if len(shoppers) > 1:
        _Repair(contacts, per_target, result, cycle, rng).run()
    return result


class _Repair:
    """Moves that lessen clashes without touching the guarantees; see ``assign``."""

    def __init__(
        self,
        contacts: Sequence[PlannedContact],
        per_target: dict[str, list[int]],
        result: list[str],
        shoppers: list[str],
        rng: random.Random,
    ) -> None:
        self.result = result
        self.shoppers = shoppers
        self.rng = rng
        self.times = [_instant(c.scheduled_at) for c in contacts]
        self.neighbours: list[tuple[int, ...]] = [()] * len(contacts)
        for sequence in per_target.values():
            for k, i in enumerate(sequence):
                self.neighbours[i] = (*sequence[max(k - 1, 0) : k], *sequence[k + 1 : k + 2])
        self.agenda: dict[str, list[tuple[datetime, int]]] = {s: [] for s in shoppers}
        for i, shopper in enumerate(result):
            self.agenda[shopper].append((self.times[i], i))
        for entries in self.agenda.values():
            entries.sort()

    def near(self, shopper: str, moment: datetime, *skip: int) -> int:
        """How many of the shopper's contacts, other than ``skip``, lie within BUSY."""
        entries = self.agenda[shopper]
        low = bisect.bisect_right(entries, (moment - BUSY, len(self.times)))
        high = bisect.bisect_left(entries, (moment + BUSY, -1))
        return sum(1 for _, j in entries[low:high] if j not in skip)

    def fits(self, i: int, shopper: str, partner: int | None = None) -> bool:
        """Whether contact i can take ``shopper`` (in a swap with ``partner``) without
        the same shopper twice in a row on its target."""
        # After a swap the partner holds i's present shopper.
        return all(
            (self.result[i] if n == partner else self.result[n]) != shopper
            for n in self.neighbours[i]
        )

    def move(self, i: int, new: str) -> None:
        self.agenda[self.result[i]].remove((self.times[i], i))
        bisect.insort(self.agenda[new], (self.times[i], i))
        self.result[i] = new

    def better(self, i: int) -> bool:
        """Try to lessen contact i's clashes; True when something changed."""
        mine, moment = self.result[i], self.times[i]
        load = self.near(mine, moment, i)
        if not load:
            return False  # an earlier move already cleared it
        free = [s for s in self.shoppers if s != mine and self.near(s, moment) < load]
        # A shopper with one contact fewer can simply take this one: the workloads
        # keep the same spread.
        for shopper in free:
            if len(self.agenda[shopper]) == len(self.agenda[mine]) - 1 and self.fits(i, shopper):
                self.move(i, shopper)
                return True
        for _ in range(_CANDIDATES if free else 0):
            theirs = self.rng.choice(free)
            if not self.agenda[theirs]:
                continue
            j = self.rng.choice(self.agenda[theirs])[1]
            if not (self.fits(i, theirs, j) and self.fits(j, mine, i)):
                continue
            gain = load + self.near(theirs, self.times[j], j)
            loss = self.near(theirs, moment, j) + self.near(mine, self.times[j], i)
            if loss < gain:
                self.move(i, theirs)
                self.move(j, mine)
                return True
        return False

    def run(self) -> None:
        # Every accepted move lowers the number of clashing pairs, so this ends; the
        # rounds only bound the work.
        for _ in range(_REPAIR_ROUNDS):
            clashing = [
                i for i in range(len(self.times)) if self.near(self.result[i], self.times[i], i)
            ]
            self.rng.shuffle(clashing)
            if not [i for i in clashing if self.better(i)]:
                return
