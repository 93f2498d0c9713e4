"""Scale harmonisation: how an answer on another tool's scale becomes one of ours.

Every KPI in the product is computed on whole answers within 0–10 (grade 1–10,
NPS 0–10, CES 1–7, yes/no 0/1; see :mod:`klantpeil.metrics.kpis`). History from
other tools arrives on other scales; each supported source scale has one
conversion here, named by a stable id that is stored with every imported
measurement (``dataio.ImportBatch.conversions``), so a figure built on converted
answers can say so. Plain module, no Django.

The conversions (x is the source answer):

``identity``
    The source scale is ours already (1–10 grade, 0–10 NPS, 1–7 CES, 0/1).
``linear-1-5-to-1-10`` / ``linear-1-7-to-1-10``
    A k-point scale stretched onto 1–10 end to end: ``1 + (x − 1) · 9 / (k − 1)``.
    1–5: 1 → 1, 2 → 3.25, 3 → 5.5, 4 → 7.75, 5 → 10.
    1–7: 1 → 1, 2 → 2.5, 3 → 4, 4 → 5.5, 5 → 7, 6 → 8.5, 7 → 10.
``linear-0-10-to-1-10``
    An 11-point 0–10 rating used as a grade: ``1 + x · 9 / 10`` (0 → 1, 5 → 5.5, 10 → 10).
``linear-1-3-to-1-10``
    A 1–3 sentiment (negative, neutral, positive) as a grade: 1 → 1, 2 → 5.5, 3 → 10.
``top2box-1-5``
    CSAT on 1–5 as satisfied or not: ``1`` when x ≥ 4 (the two top boxes), else ``0``.
``yes-no``
    Yes/no words of several languages to 1/0 (Yes, Ja, Y, J, True, 1 → 1; No, Nee, N,
    False, 0 → 0).

Linear conversions are exact; where the target question stores whole numbers
(every scale in the product) the stored answer is :func:`to_whole` of it, rounded
half up (5.5 → 6, 3.25 → 3, 7.75 → 8), so a 1–5 scale lands on 1, 3, 6, 8, 10.

NPS groups (0–6 detractor, 7–8 passive, 9–10 promoter) are :func:`nps_group`;
a 1–3 sentiment's words are :func:`sentiment`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

YES_WORDS = frozenset({"yes", "ja", "y", "j", "true", "waar", "1"})
NO_WORDS = frozenset({"no", "nee", "n", "false", "onwaar", "0"})


@dataclass(frozen=True)
class Conversion:
    id: str
    source: tuple[float, float]  # the source scale's ends, inclusive
    target: tuple[float, float]
    convert: Callable[[float], float]
    description: str

    @property
    def source_label(self) -> str:
        return scale_label(self.source)

    @property
    def target_label(self) -> str:
        return scale_label(self.target)


def scale_label(scale: tuple[float, float]) -> str:
    """``(1, 5)`` as ``1–5``."""
    return f"{scale[0]:g}–{scale[1]:g}"


def linear(x: float, source: tuple[float, float], target: tuple[float, float]) -> float:
    """``x`` on ``source`` stretched end to end onto ``target``."""
    (a, b), (c, d) = source, target
    if b == a:
        raise ValueError("a scale needs two different ends")
    return c + (x - a) * (d - c) / (b - a)


def top2box(x: float, high: float = 5) -> float:
    """1 when ``x`` is one of the two highest whole answers of a scale ending at ``high``."""
    return 1.0 if x >= high - 1 else 0.0


def nps_group(x: float) -> str:
    """The NPS group of a 0–10 answer: detractor (0–6), passive (7–8), promoter (9–10)."""
    if not 0 <= x <= 10:
        raise ValueError(f"{x:g} is not on the 0–10 scale")
    if x >= 9:
        return "promoter"
    if x >= 7:
        return "passive"
    return "detractor"


def sentiment(x: float) -> str:
    """A 1–3 answer's word: 1 negative, 2 neutral, 3 positive."""
    words = {1: "negative", 2: "neutral", 3: "positive"}
    if x not in words:
        raise ValueError(f"{x:g} is not 1, 2 or 3")
    return words[int(x)]


def yes_no(word: str) -> float:
    """1 for a yes word, 0 for a no word (any case); ValueError otherwise."""
    text = word.strip().lower()
    if text in YES_WORDS:
        return 1.0
    if text in NO_WORDS:
        return 0.0
    raise ValueError(f"{word!r} is not yes or no")


def to_whole(x: float) -> int:
    """Round half up (5.5 → 6), not to even as ``round`` does (5.5 → 6 but 6.5 → 6)."""
    return math.floor(x + 0.5)


def _linear(k_low: float, k_high: float) -> Callable[[float], float]:
    return lambda x: linear(x, (k_low, k_high), (1, 10))


CONVERSIONS: dict[str, Conversion] = {
    c.id: c
    for c in (
        Conversion("identity", (-math.inf, math.inf), (-math.inf, math.inf), float, "unchanged"),
        Conversion("linear-1-5-to-1-10", (1, 5), (1, 10), _linear(1, 5), "1 + (x − 1) · 9 / 4"),
        Conversion("linear-1-7-to-1-10", (1, 7), (1, 10), _linear(1, 7), "1 + (x − 1) · 9 / 6"),
        Conversion("linear-0-10-to-1-10", (0, 10), (1, 10), _linear(0, 10), "1 + x · 9 / 10"),
        Conversion("linear-1-3-to-1-10", (1, 3), (1, 10), _linear(1, 3), "1 + (x − 1) · 9 / 2"),
        Conversion("top2box-1-5", (1, 5), (0, 1), top2box, "1 when x ≥ 4, else 0"),
        Conversion("yes-no", (0, 1), (0, 1), float, "yes words → 1, no words → 0"),
    )
}


def conversion(conversion_id: str) -> Conversion:
    """The conversion with this id; ValueError naming the known ids otherwise."""
    try:
        return CONVERSIONS[conversion_id]
    except KeyError:
        known = ", ".join(sorted(CONVERSIONS))
        raise ValueError(f"unknown scale conversion {conversion_id!r}; known: {known}") from None


def convert(conversion_id: str, x: float) -> float:
    """``x`` converted; ValueError when it lies outside the conversion's source scale."""
    c = conversion(conversion_id)
    low, high = c.source
    if not low <= x <= high:
        raise ValueError(f"{x:g} lies outside the source scale {c.source_label}")
    return c.convert(x)


def guess_conversion(values: Iterable[float], target: tuple[float, float] | None) -> str:
    """The conversion a column's observed numbers most likely need to land on ``target``.

    Whole numbers only 1–5 onto 1–10 read as a 5-point scale; up to 7 as a 7-point one;
    with a 0 onto 1–10 as 0–10; 0/1 only as yes/no when the target is 0/1. A guess to
    confirm in the mapping, not a fact: a 1–10 column whose answers were all ≤ 5 is
    rare but possible, so imports warn rather than convert on their own.
    """
    numbers = [v for v in values if not math.isnan(v)]
    if not numbers or target is None:
        return "identity"
    low, high = min(numbers), max(numbers)
    whole = all(v == int(v) for v in numbers)
    if target == (1, 10) and whole:
        if low >= 1 and high <= 5:
            return "linear-1-5-to-1-10"
        if low >= 1 and high <= 7:
            return "linear-1-7-to-1-10"
        if low == 0 and high <= 10:
            return "linear-0-10-to-1-10"
    if target == (0, 1) and whole and low >= 1 and high <= 5 and high > 1:
        return "top2box-1-5"
    return "identity"
