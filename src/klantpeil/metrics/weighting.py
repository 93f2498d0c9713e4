"""Weighting responses to real contact volumes (post-stratification).

When e-mail is 20% of the responses but half of the contacts, an unweighted
average says more about the phone than about the organisation. A weight per
cell (channel, unit, channel × unit, …) makes the sample's mix match the
population's. The price is a smaller effective sample (Kish 1965). Everything
works from per-cell sufficient statistics, as rollups store them.
Plain module: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from klantpeil.metrics.stats import MIN_N, small_sample


@dataclass(frozen=True)
class Weighting:
    """Post-stratification weights, one per cell, for the cells that could be weighted."""

    weights: dict[Hashable, float]  # weight of one response in each cell (mean weight is 1)
    shares: dict[Hashable, float]  # population share W_c of each weighted cell (sums to 1)
    effective_n: float
    n: int
    # Cells with contacts but no response: they cannot be weighted up from nothing, so
    # the weighted figures describe the other cells only. Never drop them silently.
    missing_cells: list[Hashable]
    covered_share: float  # share of the population's contacts in weighted cells


@dataclass(frozen=True)
class WeightedEstimate:
    value: float | None
    n: int  # responses actually used
    effective_n: float  # Kish's n_eff: what the weighted figure is worth
    ci_low: float | None
    ci_high: float | None
    standard_error: float | None
    small_sample: bool  # judged on effective_n


def kish_effective_n(weights: Iterable[float], counts: Iterable[float] | None = None) -> float:
    """Kish's effective sample size n_eff = (Σw)² / Σw² (Kish 1965, Survey Sampling).

    ``weights`` are per response, or per cell with ``counts`` responses each
    (then Σw = Σ n_c w_c and Σw² = Σ n_c w_c²). Equal weights give n_eff = n.
    """
    w = np.asarray(list(weights), dtype=float)
    c = np.ones_like(w) if counts is None else np.asarray(list(counts), dtype=float)
    if w.shape != c.shape:
        raise ValueError("one count per weight is needed")
    if (w < 0).any():
        raise ValueError("weights must not be negative")
    squares = float(c @ (w * w))
    return float(c @ w) ** 2 / squares if squares > 0 else 0.0


def post_stratify(
    sample_counts: Mapping[Hashable, int], population_counts: Mapping[Hashable, float]
) -> Weighting:
    """Weights w_c = (N_c / N) / (n_c / n) for every cell with both responses and contacts.

    N_c are the contacts in cell c (real volumes), n_c the responses. A cell with
    contacts but no responses goes to ``missing_cells`` and N, n are taken over the
    covered cells, so the weighted figures describe the covered part of the population
    (``covered_share`` of it). A cell with responses but no known volume is an error:
    its weight would be a guess.
    """
    unknown = [c for c, count in sample_counts.items() if count > 0 and c not in population_counts]
    if unknown:
        raise ValueError(f"no contact volume for {', '.join(map(str, unknown))}")
    if any(v < 0 for v in population_counts.values()) or any(c < 0 for c in sample_counts.values()):
        raise ValueError("counts and volumes must not be negative")
    missing = [
        c for c, volume in population_counts.items() if volume > 0 and not sample_counts.get(c)
    ]
    cells = [c for c, count in sample_counts.items() if count > 0 and population_counts[c] > 0]
    n = sum(sample_counts[c] for c in cells)
    covered = math.fsum(population_counts[c] for c in cells)
    if n == 0:
        raise ValueError("nothing to weight: no cell has both responses and contacts")
    shares = {c: population_counts[c] / covered for c in cells}
    weights = {c: shares[c] / (sample_counts[c] / n) for c in cells}
    return Weighting(
        weights=weights,
        shares=shares,
        effective_n=kish_effective_n(
            [weights[c] for c in cells], [sample_counts[c] for c in cells]
        ),
        n=n,
        missing_cells=missing,
        covered_share=covered / math.fsum(population_counts.values()),
    )


def weighted_mean(
    cells: Mapping[Hashable, tuple[int, float, float]],
    weighting: Weighting,
    *,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> WeightedEstimate:
    """Post-stratified mean from (n_c, Σx_c, Σx²_c) per cell.

    ȳ_w = Σ_c W_c ȳ_c with W_c the population shares of the cells present here
    (= Σ w_c Σx_c / Σ w_c n_c). Variance of the post-stratified mean, given the
    n_c (Cochran 1977, Sampling Techniques, §5A.9): Var = Σ_c W_c² s_c² / n_c, where a
    cell with a single response borrows the pooled within-cell variance. Interval:
    ȳ_w ± t(df = n − cells)·SE. Cells of the weighting that have no data here are
    left out and the remaining shares rescaled; ``effective_n`` is Kish's over the
    cells used.
    """
    unweighted = [c for c, (n, *_) in cells.items() if n > 0 and c not in weighting.weights]
    if unweighted:  # their answers would silently vanish from the figure
        raise ValueError(f"no weight for {', '.join(map(str, unweighted))}")
    used = [c for c in weighting.weights if c in cells and cells[c][0] > 0]
    if not used:
        return WeightedEstimate(None, 0, 0.0, None, None, None, True)
    counts = np.array([cells[c][0] for c in used], dtype=float)
    totals = np.array([cells[c][1] for c in used], dtype=float)
    squares = np.array([cells[c][2] for c in used], dtype=float)
    shares = np.array([weighting.shares[c] for c in used])
    shares /= shares.sum()
    means = totals / counts
    value = float(shares @ means)
    n = int(counts.sum())
    effective_n = kish_effective_n(shares / (counts / n), counts)
    df = n - len(used)
    if df < 1:
        return WeightedEstimate(value, n, effective_n, None, None, None, True)
    within = np.maximum(squares - totals * means, 0.0)  # Σ(x − x̄_c)² per cell
    pooled = within.sum() / df
    variances = np.where(counts > 1, within / np.maximum(counts - 1, 1), pooled)
    se = math.sqrt(float(shares**2 @ (variances / counts)))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, df)) * se
    return WeightedEstimate(
        value, n, effective_n, value - half, value + half, se, small_sample(effective_n, min_n)
    )


def weighted_proportion(
    cells: Mapping[Hashable, tuple[int, int]],
    weighting: Weighting,
    *,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> WeightedEstimate:
    """Post-stratified share from (successes_c, n_c) per cell.

    A 0/1 answer has Σx = Σx² = successes, so this is :func:`weighted_mean` on those
    sums; the interval is clipped to 0–1.
    """
    for c, (successes, n) in cells.items():
        if not 0 <= successes <= n:
            raise ValueError(f"cell {c}: need 0 ≤ successes ≤ n, got {successes} of {n}")
    result = weighted_mean(
        {c: (n, float(s), float(s)) for c, (s, n) in cells.items()},
        weighting,
        confidence=confidence,
        min_n=min_n,
    )
    if result.ci_low is None or result.ci_high is None:
        return result
    return WeightedEstimate(
        result.value,
        result.n,
        result.effective_n,
        max(0.0, result.ci_low),
        min(1.0, result.ci_high),
        result.standard_error,
        result.small_sample,
    )
