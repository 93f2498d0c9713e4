"""Is a difference real? Tests between two periods, or an organisation and its sector.

Each test takes the sufficient statistics of two independent samples ("first" is
the earlier wave or the reference, "second" the later wave or the organisation),
and returns the difference second − first, its interval at the level 1 − alpha
(so the interval excludes 0 when the test is significant, up to the pooled SE
of the two-proportion test), the p-value, and whether either sample is too
small to trust. Many waves or units tested at once need a multiplicity
correction: :func:`holm` adjusts a family of p-values (the segment comparison uses
it). Plain module: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from klantpeil.metrics.stats import MIN_N, z_value


@dataclass(frozen=True)
class Difference:
    """second − first, with its standard error, interval and test."""

    difference: float
    standard_error: float
    ci_low: float
    ci_high: float
    statistic: float  # z, or Welch's t
    p_value: float
    significant: bool
    too_small: bool
    df: float | None = None  # degrees of freedom of a t statistic


@dataclass(frozen=True)
class MixTest:
    """χ² test of homogeneity: did the distribution over the categories change?"""

    chi2: float
    df: int
    p_value: float
    significant: bool
    too_small: bool  # a sample below min_n, or an expected cell count below 5


def _z_test(diff: float, se_test: float, se_ci: float, alpha: float, too_small: bool) -> Difference:
    # Without any variation the difference is either exactly 0 or certain.
    flat = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    z = diff / se_test if se_test > 0 else flat
    p = float(2 * scipy_stats.norm.sf(abs(z)))
    half = z_value(1 - alpha) * se_ci
    return Difference(diff, se_ci, diff - half, diff + half, z, p, p < alpha, too_small)


def _nps_parts(counts: tuple[int, int, int]) -> tuple[float, float, int]:
    promoters, passives, detractors = counts
    n = promoters + passives + detractors
    if n == 0 or min(counts) < 0:
        raise ValueError(f"need non-negative counts with at least one answer, got {counts}")
    p_p, p_d = promoters / n, detractors / n
    score = p_p - p_d
    return score, (p_p + p_d - score * score) / n, n


def nps_difference(
    first: tuple[int, int, int],
    second: tuple[int, int, int],
    *,
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> Difference:
    """Change in NPS (points) between two independent samples of (promoters, passives, detractors).

    Δ = NPS₂ − NPS₁;  SE_Δ = √(SE₁² + SE₂²) with the trinomial variances
    [p_P + p_D − (p_P − p_D)²]/n;  z = Δ/SE_Δ;  p = 2(1 − Φ(|z|)).
    Difference, SE and interval are in points. For a panel (the same respondents in
    both waves) use the per-respondent differences instead: independence ignores
    their covariance.
    """
    s1, v1, n1 = _nps_parts(first)
    s2, v2, n2 = _nps_parts(second)
    se = math.sqrt(v1 + v2)
    result = _z_test(s2 - s1, se, se, alpha, min(n1, n2) < min_n)
    return Difference(
        100 * result.difference,
        100 * result.standard_error,
        100 * result.ci_low,
        100 * result.ci_high,
        result.statistic,
        result.p_value,
        result.significant,
        result.too_small,
    )


def nps_mix_changed(
    first: tuple[int, int, int],
    second: tuple[int, int, int],
    *,
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> MixTest:
    """Pearson χ² test of homogeneity on the 2×3 table of promoters/passives/detractors.

    χ² = Σ (O − E)² / E with E = row total · column total / n, df = (2−1)(3−1) = 2,
    no continuity correction. NPS can stay put while the mix shifts (more passives,
    fewer of both extremes); this test sees that. A category empty in both samples is
    dropped, reducing df.
    """
    table = np.array([first, second], dtype=float)
    if (table < 0).any() or (table.sum(axis=1) == 0).any():
        raise ValueError("each sample needs non-negative counts and at least one answer")
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:  # everyone in one category in both samples: nothing can differ
        return MixTest(0.0, 0, 1.0, False, bool(table.sum(axis=1).min() < min_n))
    chi2, p, dof, expected = scipy_stats.chi2_contingency(table, correction=False)
    too_small = bool(table.sum(axis=1).min() < min_n or expected.min() < 5)
    return MixTest(float(chi2), int(dof), float(p), bool(p < alpha), too_small)


def proportion_difference(
    successes_1: int,
    n_1: int,
    successes_2: int,
    n_2: int,
    *,
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> Difference:
    """Two-proportion z-test of p₂ − p₁.

    Test: z = (p̂₂ − p̂₁) / √(p̄(1−p̄)(1/n₁ + 1/n₂)) with the pooled p̄ = (x₁+x₂)/(n₁+n₂),
    which is the SE under H₀ (equivalent to the 2×2 χ² test without correction).
    Interval: unpooled Wald SE √(p̂₁(1−p̂₁)/n₁ + p̂₂(1−p̂₂)/n₂).
    """
    for successes, n in ((successes_1, n_1), (successes_2, n_2)):
        if n <= 0 or not 0 <= successes <= n:
            raise ValueError(f"need 0 ≤ successes ≤ n and n > 0, got {successes} of {n}")
    p1, p2 = successes_1 / n_1, successes_2 / n_2
    pooled = (successes_1 + successes_2) / (n_1 + n_2)
    se_test = math.sqrt(pooled * (1 - pooled) * (1 / n_1 + 1 / n_2))
    se_ci = math.sqrt(p1 * (1 - p1) / n_1 + p2 * (1 - p2) / n_2)
    return _z_test(p2 - p1, se_test, se_ci, alpha, min(n_1, n_2) < min_n)


def mean_difference(
    first: tuple[int, float, float],
    second: tuple[int, float, float],
    *,
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> Difference:
    """Welch's t-test of x̄₂ − x̄₁ from the sufficient statistics (n, Σx, Σx²) of each sample.

    s_i² = (Σx² − (Σx)²/n)/(n − 1);  v_i = s_i²/n_i;  t = (x̄₂ − x̄₁)/√(v₁ + v₂);
    df = (v₁ + v₂)² / (v₁²/(n₁−1) + v₂²/(n₂−1))  (Welch 1947; Satterthwaite 1946).
    Same as scipy.stats.ttest_ind(second, first, equal_var=False).
    """
    (n1, t1, q1), (n2, t2, q2) = first, second
    if min(n1, n2) < 2:
        raise ValueError(f"each sample needs at least 2 answers, got {n1} and {n2}")
    m1, m2 = t1 / n1, t2 / n2
    v1 = max(0.0, q1 - t1 * t1 / n1) / (n1 - 1) / n1
    v2 = max(0.0, q2 - t2 * t2 / n2) / (n2 - 1) / n2
    se = math.sqrt(v1 + v2)
    diff = m2 - m1
    too_small = min(n1, n2) < min_n
    if se == 0:  # both samples constant: df is undefined, the difference exact
        return _z_test(diff, 0.0, 0.0, alpha, too_small)
    dof = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    t = diff / se
    p = float(2 * scipy_stats.t.sf(abs(t), dof))
    half = float(scipy_stats.t.ppf(1 - alpha / 2, dof)) * se
    return Difference(diff, se, diff - half, diff + half, t, p, p < alpha, too_small, dof)


def holm(p_values: Sequence[float], *, alpha: float = 0.05) -> list[tuple[float, bool]]:
    """Holm–Bonferroni: each p-value adjusted for the whole family, and whether it is
    significant at ``alpha``, in the order given.

    With the m p-values sorted ascending, p₍₁₎ ≤ … ≤ p₍ₘ₎:
    p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎)  (Holm 1979, Scand. J. Statist. 6:65–70),
    the step-down form that keeps the adjusted values in the order of the raw ones; a
    hypothesis is rejected when p̃ < alpha. It controls the family-wise error rate
    (the chance of any false "differs") under any dependence between the tests, so it
    holds for segments compared with the rest of the organisation, which share answers,
    and it rejects at least what Bonferroni rejects. Equal p-values keep their order.
    """
    m = len(p_values)
    for p in p_values:
        if not 0 <= p <= 1 or math.isnan(p):
            raise ValueError(f"p-values lie between 0 and 1, got {p}")
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return [(p, p < alpha) for p in adjusted]
