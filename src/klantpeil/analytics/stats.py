"""KPI statistics with their uncertainty, from counts and sums (what rollups store).

Every estimate carries its n and a 95% interval; samples below ``min_n`` are
flagged, never hidden. Plain module: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as scipy_stats

Z95 = 1.959963984540054
MIN_N = 30


@dataclass(frozen=True)
class Estimate:
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    small_sample: bool

    @property
    def margin(self) -> float | None:
        """Half the interval's width (the "± points" people quote)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2


def _empty(n: int = 0) -> Estimate:
    return Estimate(None, n, None, None, True)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927): good coverage even for small n and p near 0 or 1.

    centre = (p + z²/2n) / (1 + z²/n);  half = z·√(p(1−p)/n + z²/4n²) / (1 + z²/n)
    """
    if n <= 0:
        raise ValueError("n must be positive")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(successes: int, n: int, *, min_n: int = MIN_N) -> Estimate:
    """A share (0–1) with its Wilson interval: helped rate, FCR, CSAT and the like."""
    if n == 0:
        return _empty()
    low, high = wilson(successes, n)
    return Estimate(successes / n, n, low, high, n < min_n)


def mean(n: int, total: float, total_squares: float, *, min_n: int = MIN_N) -> Estimate:
    """Mean with a t-based 95% interval from n, Σx and Σx² (grade means, CES).

    s² = (Σx² − (Σx)²/n) / (n − 1);  CI = x̄ ± t(0.975, n−1)·s/√n
    """
    if n == 0:
        return _empty()
    value = total / n
    if n == 1:
        return Estimate(value, 1, None, None, True)
    variance = max(0.0, (total_squares - total * total / n) / (n - 1))
    half = float(scipy_stats.t.ppf(0.975, n - 1)) * math.sqrt(variance / n)
    return Estimate(value, n, value - half, value + half, n < min_n)


def nps(promoters: int, passives: int, detractors: int, *, min_n: int = MIN_N) -> Estimate:
    """Net Promoter Score in points (−100…100) with the trinomial margin of error.

    NPS = 100(p_P − p_D);  Var(NPS/100) = [p_P + p_D − (p_P − p_D)²] / n  (Wald).
    """
    n = promoters + passives + detractors
    if n == 0:
        return _empty()
    p_p, p_d = promoters / n, detractors / n
    score = p_p - p_d
    half = Z95 * math.sqrt(max(0.0, p_p + p_d - score * score) / n)
    return Estimate(100 * score, n, 100 * (score - half), 100 * (score + half), n < min_n)


def nps_from_counts(counts: Sequence[int], *, min_n: int = MIN_N) -> Estimate:
    """NPS from the number of answers 0…10 (index = answer)."""
    if len(counts) != 11:
        raise ValueError("NPS needs counts for the answers 0 to 10")
    return nps(sum(counts[9:]), sum(counts[7:9]), sum(counts[:7]), min_n=min_n)


def top_box(counts: Sequence[int], boxes: int = 2, *, min_n: int = MIN_N) -> Estimate:
    """Share answering in the top ``boxes`` of the scale (CSAT as top-2-box %).

    ``counts`` are the numbers of answers per scale point, lowest first.
    """
    n = sum(counts)
    return proportion(sum(counts[-boxes:]), n, min_n=min_n)


def mean_from_counts(counts: Sequence[int], first: int = 0, *, min_n: int = MIN_N) -> Estimate:
    """Mean of a scale given as counts per point, the first point being ``first``."""
    n = sum(counts)
    total = sum(c * (first + i) for i, c in enumerate(counts))
    squares = sum(c * (first + i) ** 2 for i, c in enumerate(counts))
    return mean(n, total, squares, min_n=min_n)
