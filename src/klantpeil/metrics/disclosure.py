"""Disclosure control for sector benchmarks: which cells may be shown and what they show.

The rules of official statistics (the ESSnet Handbook on Statistical Disclosure
Control, Hundepool et al., chapters 4-5, which Statistics Netherlands co-wrote and
applies with tau-ARGUS; summarised in ``docs``/``reference/disclosure-control.md``),
applied to one figure per organisation (its mean overall grade) in a fixed grid
cell: sector x channel (or all channels) x calendar quarter or year.

1. Contributors. An organisation contributes to a cell only with at least
   ``MIN_RESPONSES`` (30) responses in it. An organisation mean over 1-6
   responses reveals single customers; over 30 one response moves it by at most
   9/30 = 0.3 points and its standard error (about 1.5/sqrt(30) = 0.27 on the
   1-10 scale) is no larger than the noise below, so the published edges are not
   more precise than the figures they rest on.
2. Minimum frequency. A cell is shown only with at least ``MIN_ORGANISATIONS``
   (5) contributors (the handbook's threshold rule, n = 3 to 10).
3. Dominance, (1, 50%). For a mean of grades the handbook's analogue of the
   (n, k) rule is the share of responses: a cell where one organisation gives
   more than half of the responses is in practice that organisation's figure, and
   is not shown. (Klantpeil's published edges are organisation-level, one
   organisation one vote, so this rule is the conservative reading.)
4. No statistic equals or reveals a contributor. Quartiles are interpolated
   (Hyndman and Fan type 7, numpy's default "linear": the value at position
   h = (k - 1) p of the k sorted figures, between the order statistics
   floor(h) and floor(h) + 1). On few organisations they are still peers'
   figures or close to them: with k = 5 the three quartiles are exactly the
   2nd, 3rd and 4th figure, and with k = 4 an organisation at the bottom
   solves q1 = 0.25 x1 + 0.75 x2 for x2 from its own x1. So each published
   edge is the interpolated quantile moved by a cell-key noise of
   ``NOISE_MIN``-``NOISE_MAX`` points, up or down, and then rounded to
   ``STEP``. The noise is derived from a secret key and the exact set of
   contributors (the cell key method), so the same cell always shows the same
   figure and repeating a request reveals nothing; each edge gets its own noise,
   so no combination of published figures cancels it, and solving an
   interpolation for a peer divides the noise by a weight of at most 1, so it
   never shrinks. A published edge is therefore at least
   ``NOISE_MIN - STEP / 2`` = 0.10 points from the quantile it rests on.
   Never a single peer's figure: a noise draw is also refused when an edge
   would equal any organisation's figure in the cell exactly, or would show,
   rounded to ``STEP``, the same figure as one of the (one or two)
   organisations its quantile is interpolated from (``safe_from_peers``). No
   mean, minimum, maximum or percentile rank is published, so nothing can be
   subtracted. Fewer than ``MIN_ORGANISATIONS`` contributors: nothing is
   shown at all (rule 2), not even the count.
5. The organisation's own place is a band (bottom, second, third or top quarter)
   against the published edges: it follows from figures the organisation already
   sees and needs no peer value.
6. Differencing. Only fixed grid cells exist: a quarter or a calendar year that
   is over. A month or a range inside one quarter maps to that quarter, inside
   one year to that year; anything else, or a period not yet over (a running
   period would change between two requests, and the change is one
   organisation's new responses), is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date

# The minimum group: a figure about a group (a channel, a unit, a period, a segment,
# a unit × quarter cell of the employee survey) is shown only when at least this many
# answered; below it the page, report and API say "too few answers (n < 5)" and show
# no value. A mean or share of 1–4 answers nearly gives away each answer (one answer
# is its own figure; two known grades and their mean give the third), and anonymous
# employees were promised a group of five. It is a floor, not the statistical
# minimum: between 5 and ``stats.MIN_N`` (30) a figure is shown with its interval and
# marked, and an interval too wide to read still says "too few responses".
MIN_GROUP = 5


def below_minimum_group(n: int, *, minimum: int = MIN_GROUP) -> bool:
    """Whether a group of ``n`` answers is too small to show any figure of (n ≥ 1)."""
    return 0 < n < minimum


MIN_ORGANISATIONS = 5
MIN_RESPONSES = 30
DOMINANCE_SHARE = 0.5  # the (1, 50%) rule on the share of the cell's responses
STEP = 0.1  # published edges are rounded to this
NOISE_MIN = 0.15  # every edge moves at least this much (then rounding: >= 0.10)
NOISE_MAX = 0.40
SCALE = (1.0, 10.0)
QUANTILES = (0.25, 0.5, 0.75)
BANDS = ("bottom", "second", "third", "top")

# Why a cell or the own place is not shown (the API's ``suppressed_by``).
TOO_FEW_ORGANISATIONS = "min_organisations"
DOMINANCE = "dominance"
NO_SAFE_PERTURBATION = "perturbation"
OWN_TOO_FEW_RESPONSES = "own_min_responses"


@dataclass(frozen=True)
class Contribution:
    """One organisation's figure in a cell: its responses and their mean."""

    organisation: Hashable
    n: int
    mean: float


@dataclass(frozen=True)
class Edges:
    """The published quartile edges of a cell (perturbed and rounded)."""

    q1: float
    median: float
    q3: float


@dataclass(frozen=True)
class Cell:
    """What one organisation sees of one grid cell."""

    organisations: int | None  # contributors; None when the cell is suppressed
    suppressed_by: str | None  # a rule above, or None when shown
    edges: Edges | None
    own: float | None  # the organisation's own mean (its own figure, exact)
    own_n: int
    band: str | None  # one of BANDS, None when the own place is not shown
    own_suppressed_by: str | None


def contributors(
    contributions: Sequence[Contribution], *, min_responses: int = MIN_RESPONSES
) -> list[Contribution]:
    """The organisations that count in a cell: at least ``min_responses`` responses."""
    return [c for c in contributions if c.n >= min_responses]


def too_few_organisations(
    counted: Sequence[Contribution], *, minimum: int = MIN_ORGANISATIONS
) -> bool:
    """Threshold rule: fewer than ``minimum`` contributors."""
    return len(counted) < minimum


def dominated(counted: Sequence[Contribution], *, share: float = DOMINANCE_SHARE) -> bool:
    """(1, k) dominance on responses: one contributor gives more than ``share`` of them."""
    total = sum(c.n for c in counted)
    return total > 0 and max(c.n for c in counted) > share * total


def sensitivity(
    counted: Sequence[Contribution],
    *,
    minimum: int = MIN_ORGANISATIONS,
    share: float = DOMINANCE_SHARE,
) -> str | None:
    """The first rule that makes the cell unsafe, or None when it may be shown."""
    if too_few_organisations(counted, minimum=minimum):
        return TOO_FEW_ORGANISATIONS
    if dominated(counted, share=share):
        return DOMINANCE
    return None


QUANTILE_METHOD = "linear"  # Hyndman-Fan type 7 (the API's ``quantile_method``)


def rests_on(k: int, p: float) -> tuple[int, ...]:
    """The 0-based ranks of the sorted k figures that the type 7 quantile ``p``
    interpolates between: one rank where h = (k - 1) p is whole (the quantile IS
    that organisation's figure), else floor(h) and floor(h) + 1."""
    h = (k - 1) * p
    low = math.floor(h + 1e-12)
    return (low,) if abs(h - low) < 1e-12 or low + 1 >= k else (low, low + 1)


def interpolated(values: Sequence[float], p: float) -> float:
    """The quantile ``p`` of ``values`` by linear interpolation between order
    statistics (Hyndman and Fan 1996, type 7; numpy's and R's default):
    x[j] + (h - j) (x[j+1] - x[j]) with h = (k - 1) p and j = floor(h), 0-based.

    E.g. k = 4: q1 at h = 0.75 is 0.25 x1 + 0.75 x2; k = 5: the quartiles are
    exactly x2, x3 and x4 (1-based), which is why ``perturbed_edges`` adds noise.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    ranks = rests_on(len(ordered), p)
    if len(ranks) == 1:
        return ordered[ranks[0]]
    low, high = ranks
    weight = (len(ordered) - 1) * p - low
    return ordered[low] + weight * (ordered[high] - ordered[low])


def safe_from_peers(
    edges: Sequence[float], ordered: Sequence[float], everyone: Sequence[float]
) -> bool:
    """No published edge is a single organisation's figure: none equals any figure
    in ``everyone`` (the cell's organisations, contributors or not), and none shows,
    rounded to ``STEP``, the rounded figure of an organisation its quantile is
    interpolated from (``ordered``: the contributors' sorted figures)."""
    for edge, p in zip(edges, QUANTILES, strict=True):
        if any(abs(edge - value) < 1e-9 for value in everyone):
            return False
        if any(round_to_step(edge) == round_to_step(ordered[r]) for r in rests_on(len(ordered), p)):
            return False
    return True


def _draws(secret: bytes, label: str, counted: Sequence[Contribution]) -> bytes:
    """The cell key: an HMAC of the cell's coordinates and its exact contributors."""
    members = ";".join(sorted(f"{c.organisation}:{c.n}" for c in counted))
    return hmac.new(secret, f"{label}|{members}".encode(), hashlib.sha256).digest()


def _candidates(key: bytes, count: int) -> list[tuple[float, ...]]:
    """Signed noise triples derived from ``key``: magnitudes uniform in
    [NOISE_MIN, NOISE_MAX], signs from the key, in a fixed order."""
    out = []
    for attempt in range(64):
        block = hashlib.sha256(key + attempt.to_bytes(2, "big")).digest()
        noise = []
        for i in range(count):
            fraction = int.from_bytes(block[4 * i : 4 * i + 4], "big") / 2**32
            sign = 1 if block[16 + i] & 1 else -1
            noise.append(sign * (NOISE_MIN + (NOISE_MAX - NOISE_MIN) * fraction))
        out.append(tuple(noise))
    return out


def round_to_step(value: float, step: float = STEP) -> float:
    """Half-up rounding to ``step`` (0.25 -> 0.3), without float residue."""
    return round(math.floor(value / step + 0.5) * step, 10)


def perturbed_edges(
    counted: Sequence[Contribution],
    *,
    secret: bytes,
    label: str,
    scale: tuple[float, float] = SCALE,
    others: Sequence[float] = (),
) -> Edges | None:
    """The interpolated quartile edges moved by the cell-key noise and rounded to
    ``STEP``.

    Of the key's candidate noise triples the first is taken whose edges stay on
    the scale and in order, strictly where the exact quartiles differ (q1 < median
    < q3): noise must not collapse a spread into "7.4 / 7.4 / 7.4", a middle half of
    no width that no organisation has; and whose edges are no organisation's figure
    (:func:`safe_from_peers`; ``others``: the figures of the cell's organisations
    that do not count, which must not be published either). None when none does
    (the edges are then suppressed, rule ``perturbation``).
    """
    values = sorted(c.mean for c in counted)
    everyone = [*values, *others]
    exact = [interpolated(values, p) for p in QUANTILES]
    low, high = scale
    for noise in _candidates(_draws(secret, label, counted), len(exact)):
        moved = [round_to_step(v + d) for v, d in zip(exact, noise, strict=True)]
        in_order = all(
            m < n if v < w else m <= n
            for m, n, v, w in zip(moved, moved[1:], exact, exact[1:], strict=False)
        )
        if (
            all(low <= m <= high for m in moved)
            and in_order
            and safe_from_peers(moved, values, everyone)
        ):
            return Edges(*moved)
    return None


def band(own: float, edges: Edges) -> str:
    """The organisation's quarter of the sector, read against the published edges."""
    if own < edges.q1:
        return BANDS[0]
    if own < edges.median:
        return BANDS[1]
    if own < edges.q3:
        return BANDS[2]
    return BANDS[3]


def protected_cell(
    contributions: Sequence[Contribution],
    own: Hashable | None,
    *,
    secret: bytes,
    label: str,
    min_responses: int = MIN_RESPONSES,
    minimum: int = MIN_ORGANISATIONS,
    share: float = DOMINANCE_SHARE,
    scale: tuple[float, float] = SCALE,
) -> Cell:
    """Everything organisation ``own`` may see of one cell; ``label`` names the cell
    (sector, channel, period, figure) for its key."""
    mine = next((c for c in contributions if c.organisation == own), None)
    counted = contributors(contributions, min_responses=min_responses)
    rule = sensitivity(counted, minimum=minimum, share=share)
    others = [c.mean for c in contributions if c.n < min_responses]
    edges = (
        None
        if rule
        else perturbed_edges(counted, secret=secret, label=label, scale=scale, others=others)
    )
    if rule is None and edges is None:
        rule = NO_SAFE_PERTURBATION
    own_rule = None
    place = None
    if edges is not None and mine is not None:
        if mine.n < min_responses:
            own_rule = OWN_TOO_FEW_RESPONSES
        else:
            place = band(mine.mean, edges)
    return Cell(
        organisations=None if rule else len(counted),
        suppressed_by=rule,
        edges=edges,
        own=mine.mean if mine else None,
        own_n=mine.n if mine else 0,
        band=place,
        own_suppressed_by=own_rule,
    )


# ---------------------------------------------------------------- the fixed grid


@dataclass(frozen=True)
class GridPeriod:
    """A cell's period: a calendar quarter or year, ``end`` excluded."""

    label: str
    start: date
    end: date


class OffGrid(ValueError):
    """A benchmark request that maps to no publishable grid cell; ``code`` says why."""

    def __init__(
        self, code: str, message: str, latest: GridPeriod, cell: GridPeriod | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.latest = latest  # the newest cell that may be shown
        self.cell = cell  # the cell the request fell in (``incomplete``)


def quarter_of(day: date) -> GridPeriod:
    q = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * q - 2, 1)
    end = date(day.year + 1, 1, 1) if q == 4 else date(day.year, 3 * q + 1, 1)
    return GridPeriod(f"{day.year}-Q{q}", start, end)


def year_of(day: date) -> GridPeriod:
    return GridPeriod(str(day.year), date(day.year, 1, 1), date(day.year + 1, 1, 1))


def latest_complete_quarter(today: date) -> GridPeriod:
    current = quarter_of(today)
    return quarter_of(date.fromordinal(current.start.toordinal() - 1))


def grid_period(start: date | None, end: date | None, *, today: date) -> tuple[GridPeriod, bool]:
    """The grid cell for a requested period [start, end), and whether it was mapped
    (the request was not itself a quarter or year).

    No period: the latest quarter that is over. A period inside one quarter maps to
    that quarter, inside one calendar year to that year. Raises :class:`OffGrid`
    (code ``range``) for anything wider and (code ``incomplete``) for a cell that is
    not over yet.
    """
    latest = latest_complete_quarter(today)
    if start is None or end is None:
        return latest, False
    last = date.fromordinal(end.toordinal() - 1)
    quarter, year = quarter_of(start), year_of(start)
    if last < quarter.end:
        cell = quarter
    elif last < year.end:
        cell = year
    else:
        raise OffGrid(
            "range",
            f"benchmarks are published per quarter or calendar year; {start}–{last} "
            "spans more than one year",
            latest,
        )
    if cell.end > today:
        raise OffGrid(
            "incomplete",
            f"the benchmark of {cell.label} is published once it is over "
            f"(from {cell.end}); the latest is {latest.label}",
            latest,
            cell,
        )
    return cell, (start, end) != (cell.start, cell.end)
