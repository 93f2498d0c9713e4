"""Sector benchmarks: where an organisation stands among its peers, without exposing them.

Shown only when at least five organisations contribute, and only as the
distribution (mean, quartiles) plus the organisation's own percentile rank;
no other organisation's own figure ever leaves this module. Plain module.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np

MIN_ORGANISATIONS = 5


@dataclass(frozen=True)
class Benchmark:
    organisations: int
    mean: float
    q1: float
    median: float
    q3: float
    own: float | None
    percentile_rank: float | None  # share of peers below, ties counted half (0–100)


def benchmark(
    values: Mapping[Hashable, float],
    own: Hashable | None = None,
    *,
    min_organisations: int = MIN_ORGANISATIONS,
) -> Benchmark | None:
    """The sector's distribution of one figure, or None when fewer than five organisations
    contribute (a small group would let anyone work out a peer's figure)."""
    figures = {k: float(v) for k, v in values.items() if v is not None and np.isfinite(v)}
    if len(figures) < min_organisations:
        return None
    data = np.array(list(figures.values()))
    q1, median, q3 = np.percentile(data, [25, 50, 75])
    mine = figures.get(own) if own is not None else None
    rank = None
    if mine is not None:
        others = np.array([v for k, v in figures.items() if k != own])
        rank = 100 * (np.sum(others < mine) + 0.5 * np.sum(others == mine)) / len(others)
    return Benchmark(
        len(figures),
        float(data.mean()),
        float(q1),
        float(median),
        float(q3),
        mine,
        None if rank is None else float(rank),
    )


@dataclass(frozen=True)
class Correlation:
    r: float
    n: int
    ci_low: float
    ci_high: float
    p_value: float


def correlation(x: list[float], y: list[float]) -> Correlation | None:
    """Pearson r with its 95% interval (Fisher z) and p-value; None below 4 pairs.

    Used to link employee results to customer results across units: each pair is
    one unit's employee score and customer score.
    """
    from scipy import stats as scipy_stats

    pairs = np.array(
        [(a, b) for a, b in zip(x, y, strict=True) if np.isfinite(a) and np.isfinite(b)]
    )
    if len(pairs) < 4:
        return None
    r, p = scipy_stats.pearsonr(pairs[:, 0], pairs[:, 1])
    z, se = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1 / np.sqrt(len(pairs) - 3)
    return Correlation(
        float(r),
        len(pairs),
        float(np.tanh(z - 1.959964 * se)),
        float(np.tanh(z + 1.959964 * se)),
        float(p),
    )
