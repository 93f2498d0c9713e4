"""Is a difference real? Tests between two periods, or an organisation and its sector.

Each test returns the difference, its 95% interval, the p-value, whether it is
significant at ``alpha`` and whether either sample is too small to trust.
Plain module: no Django.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as scipy_stats

from klantpeil.analytics.stats import MIN_N, Z95


@dataclass(frozen=True)
class Difference:
    difference: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    significant: bool
    too_small: bool


def _normal(diff: float, se: float, alpha: float, too_small: bool) -> Difference:
    z = diff / se if se > 0 else 0.0
    p = 2 * scipy_stats.norm.sf(abs(z))
    return Difference(diff, diff - Z95 * se, diff + Z95 * se, z, float(p), p < alpha, too_small)


def _nps_parts(promoters: int, passives: int, detractors: int) -> tuple[float, float, int]:
    n = promoters + passives + detractors
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
    """Change in NPS (points) between two independent samples (promoters, passives, detractors).

    Δ = NPS₂ − NPS₁;  SE_Δ = √(SE₁² + SE₂²) with the trinomial variances;  z = Δ / SE_Δ.
    For a panel (the same respondents twice) this overstates the uncertainty.
    """
    s1, v1, n1 = _nps_parts(*first)
    s2, v2, n2 = _nps_parts(*second)
    result = _normal(s2 - s1, math.sqrt(v1 + v2), alpha, min(n1, n2) < min_n)
    return Difference(
        100 * result.difference,
        100 * result.ci_low,
        100 * result.ci_high,
        result.statistic,
        result.p_value,
        result.significant,
        result.too_small,
    )


def nps_mix_changed(
    first: tuple[int, int, int], second: tuple[int, int, int]
) -> tuple[float, int, float]:
    """χ² test of homogeneity of the promoter/passive/detractor mix: (χ², df, p)."""
    chi2, p, dof, _ = scipy_stats.chi2_contingency([list(first), list(second)], correction=False)
    return float(chi2), int(dof), float(p)


def proportion_difference(
    successes_1: int,
    n_1: int,
    successes_2: int,
    n_2: int,
    *,
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> Difference:
    """Two-proportion z-test (pooled SE for the test, unpooled for the interval)."""
    p1, p2 = successes_1 / n_1, successes_2 / n_2
    pooled = (successes_1 + successes_2) / (n_1 + n_2)
    se_test = math.sqrt(pooled * (1 - pooled) * (1 / n_1 + 1 / n_2))
    se_ci = math.sqrt(p1 * (1 - p1) / n_1 + p2 * (1 - p2) / n_2)
    diff = p2 - p1
    z = diff / se_test if se_test > 0 else 0.0
    p = float(2 * scipy_stats.norm.sf(abs(z)))
    return Difference(
        diff, diff - Z95 * se_ci, diff + Z95 * se_ci, z, p, p < alpha, min(n_1, n_2) < min_n
    )


def mean_difference(
    first: tuple[int, float, float],
    second: tuple[int, float, float],
    *,
    alpha: float = 0.05,
    min_n: int = MIN_N,
) -> Difference:
    """Welch's t-test from sufficient statistics (n, Σx, Σx²) of two samples.

    t = (x̄₂ − x̄₁) / √(s₁²/n₁ + s₂²/n₂), Welch–Satterthwaite degrees of freedom.
    """
    (n1, t1, q1), (n2, t2, q2) = first, second
    m1, m2 = t1 / n1, t2 / n2
    v1 = (q1 - t1 * t1 / n1) / (n1 - 1) / n1
    v2 = (q2 - t2 * t2 / n2) / (n2 - 1) / n2
    se = math.sqrt(v1 + v2)
    dof = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    t = (m2 - m1) / se
    p = float(2 * scipy_stats.t.sf(abs(t), dof))
    half = float(scipy_stats.t.ppf(0.975, dof)) * se
    return Difference(m2 - m1, m2 - m1 - half, m2 - m1 + half, t, p, p < alpha, min(n1, n2) < min_n)
