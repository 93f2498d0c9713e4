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
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as scipy_stats

from klantpeil.metrics.stats import (
    GRADE_SCALE,
    MIN_N,
    NPS_INTERVAL,
    SHARE_SCALE,
    Estimate,
    mean_ci,
    nps,
    small_sample,
    wilson_interval,
)


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


# --- KPIs weighted to contact volumes, with intervals from Kish's effective n ----------
#
# The screens show each survey KPI over all channels twice: as answered (unweighted) and
# weighted to the organisation's contact volumes per channel, so every channel counts as
# its share of contacts. The weighted figure's interval is the unweighted formula applied
# to "effective counts": the weighted mix of answers scaled to n_eff responses (Kish
# 1965, §11.7; the design-effect approach survey reports use). With equal weights it is
# the unweighted interval exactly; with unequal weights it widens as n_eff shrinks. The
# weighted spread includes the differences between channels, so the interval is on the
# safe (wide) side of the post-stratified variance of :func:`weighted_mean`.


@dataclass(frozen=True)
class WeightedKpi:
    """A KPI weighted to contact volumes.

    ``estimate`` carries the weighted value and its interval (from ``effective_n``);
    its ``n`` is the responses used and ``small_sample`` is judged on ``effective_n``.
    ``shares`` are the contact shares W_c the cells were weighted to.
    """

    estimate: Estimate
    effective_n: float
    shares: dict[Hashable, float]


def _shares(counts: Mapping[Hashable, float], volumes: Mapping[Hashable, float]) -> Weighting:
    """Post-stratification for one KPI's answer counts; a cell with answers needs contacts."""
    empty = [c for c, n in counts.items() if n > 0 and volumes.get(c, 0) == 0 and c in volumes]
    if empty:  # its answers would count for nothing without anyone saying so
        raise ValueError(f"responses but no contacts for {', '.join(map(str, empty))}")
    return post_stratify({c: int(n) for c, n in counts.items()}, volumes)


def _weighted_kpi(estimate: Estimate, n: int, weighting: Weighting, min_n: float) -> WeightedKpi:
    return WeightedKpi(
        replace(estimate, n=n, small_sample=small_sample(weighting.effective_n, min_n)),
        weighting.effective_n,
        weighting.shares,
    )


def weighted_grade(
    cells: Mapping[Hashable, tuple[int, float, float]],
    volumes: Mapping[Hashable, float],
    *,
    scale: tuple[float, float] | None = GRADE_SCALE,
    confidence: float = 0.95,
    min_n: float = MIN_N,
) -> WeightedKpi:
    """A mean (grade, CES) weighted to ``volumes``, from (n_c, Σx_c, Σx²_c) per cell.

    ȳ_w = Σ_c W_c ȳ_c with W_c = N_c / Σ N (cells with answers). Weighted spread
    s²_w = Σ_c w_c Σ(x − ȳ_w)² / Σ_c w_c n_c, with Σ(x − ȳ_w)² = Σx² − 2ȳ_wΣx + n_c ȳ_w².
    Interval: :func:`stats.mean_ci` of n_eff answers with mean ȳ_w and spread s_w, i.e.
    ȳ_w ± t(n_eff − 1)·s_w·√(n_eff/(n_eff − 1))/√n_eff, limited to ``scale``.
    """
    weighting = _shares({c: v[0] for c, v in cells.items()}, volumes)
    used = list(weighting.weights)
    n = sum(int(cells[c][0]) for c in used)
    value = math.fsum(weighting.shares[c] * cells[c][1] / cells[c][0] for c in used)
    spread = math.fsum(
        weighting.weights[c] * (cells[c][2] - 2 * value * cells[c][1] + cells[c][0] * value * value)
        for c in used
    ) / math.fsum(weighting.weights[c] * cells[c][0] for c in used)
    n_eff = weighting.effective_n
    estimate = mean_ci(
        n_eff,
        value * n_eff,
        n_eff * (max(spread, 0.0) + value * value),
        confidence=confidence,
        scale=scale,
    )
    return _weighted_kpi(replace(estimate, value=value), n, weighting, min_n)


def weighted_share(
    cells: Mapping[Hashable, tuple[int, int]],
    volumes: Mapping[Hashable, float],
    *,
    confidence: float = 0.95,
    min_n: float = MIN_N,
) -> WeightedKpi:
    """A share (first-contact resolution) weighted to ``volumes``, from (successes_c, n_c).

    p_w = Σ_c W_c p_c; interval: Wilson's with n_eff answers of which p_w·n_eff succeed.
    """
    for c, (successes, n) in cells.items():
        if not 0 <= successes <= n:
            raise ValueError(f"cell {c}: need 0 ≤ successes ≤ n, got {successes} of {n}")
    weighting = _shares({c: v[1] for c, v in cells.items()}, volumes)
    used = list(weighting.weights)
    p = math.fsum(weighting.shares[c] * cells[c][0] / cells[c][1] for c in used)
    n_eff = weighting.effective_n
    low, high = wilson_interval(min(n_eff, max(0.0, p * n_eff)), n_eff, confidence)
    estimate = Estimate(
        p,
        sum(int(cells[c][1]) for c in used),
        low,
        high,
        False,
        standard_error=math.sqrt(p * (1 - p) / n_eff),
        scale=SHARE_SCALE,
    )
    return _weighted_kpi(estimate, estimate.n, weighting, min_n)


def weighted_nps(
    cells: Mapping[Hashable, tuple[int, int, int]],
    volumes: Mapping[Hashable, float],
    *,
    method: str = NPS_INTERVAL,
    min_n: float = MIN_N,
) -> WeightedKpi:
    """NPS weighted to ``volumes``, from (promoters_c, passives_c, detractors_c).

    P_w = Σ_c W_c P_c and D_w likewise; NPS_w = 100(P_w − D_w). Interval:
    :func:`stats.nps` (``method``) of n_eff answers in the weighted mix.
    """
    weighting = _shares({c: sum(v) for c, v in cells.items()}, volumes)
    used = list(weighting.weights)
    mix = [
        math.fsum(weighting.shares[c] * cells[c][i] / sum(cells[c]) for c in used) for i in range(3)
    ]
    n_eff = weighting.effective_n
    estimate = nps(*(max(0.0, share * n_eff) for share in mix), method=method)
    value = 100 * (mix[0] - mix[2])
    n = sum(sum(cells[c]) for c in used)
    return _weighted_kpi(replace(estimate, value=value), n, weighting, min_n)


@dataclass(frozen=True)
class VolumeGap:
    """Why the figures of a period cannot be weighted: contact volumes are missing."""

    cell: Hashable  # the channel
    months: list[Hashable]  # months with responses of this channel and no volume entered


def volume_gaps(
    responses: Mapping[tuple[Hashable, Hashable], int],
    volumes: Mapping[tuple[Hashable, Hashable], float],
) -> list[VolumeGap]:
    """The (channel, month) cells with responses but no contact volume entered, per channel.

    ``responses`` and ``volumes`` are keyed by (channel, month). A volume of 0 counts as
    entered (the organisation says: no contacts); weighting then refuses the channel's
    answers (see :func:`weighted_grade`). Channels and months in input order.
    """
    gaps: dict[Hashable, list[Hashable]] = {}
    for (cell, month), n in responses.items():
        if n > 0 and (cell, month) not in volumes:
            gaps.setdefault(cell, []).append(month)
    return [VolumeGap(cell, sorted(months)) for cell, months in gaps.items()]
