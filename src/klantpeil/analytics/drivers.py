"""Key driver analysis from sufficient statistics: which drivers explain the overall score.

Everything starts from :class:`Moments` (n, the sums and the cross-product
matrix of the target and the drivers), which one pass over the data gives and
which rollups can add up. From the correlation matrix every subset regression
is cheap, so the exact Shapley value over all orderings costs 2^p small solves
whatever n is.

Methods:

- LMG / Shapley value regression (Lindeman, Merenda & Gold 1980; Grömping
  2006, R package relaimpo ``type="lmg"``): each driver's R² contribution
  averaged over all orderings,
  ``LMG_j = Σ_{S ⊆ P∖{j}} |S|!(p−|S|−1)!/p! · [R²(S∪{j}) − R²(S)]``; Σ LMG = R².
- Johnson's relative weights (Johnson 2000, Multivariate Behavioral Research
  35:1–19): ``ε_j = Σ_k λ*_jk² β*_k²`` with ``Λ* = R_xx^½`` and
  ``β* = R_xx^−½ r``; Σ ε = R². An approximation of LMG that needs one
  eigendecomposition.

Missing answers: listwise deletion (relaimpo's default) — a response counts
only when the target and every driver are answered. Plain module: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

MAX_EXACT_DRIVERS = 15
METHODS = ("shapley", "relative-weights")


@dataclass(frozen=True)
class Moments:
    """n, Σx and Σxxᵀ of the columns (target first, then the drivers)."""

    n: int
    sums: np.ndarray
    products: np.ndarray

    @classmethod
    def from_rows(cls, rows: np.ndarray) -> Moments:
        """One pass over complete rows; rows with a missing value are left out (listwise)."""
        data = np.asarray(rows, dtype=float)
        data = data[~np.isnan(data).any(axis=1)]
        return cls(len(data), data.sum(axis=0), data.T @ data)

    def __add__(self, other: Moments) -> Moments:
        """Moments of two chunks (or two rollup cells) together."""
        return Moments(self.n + other.n, self.sums + other.sums, self.products + other.products)

    def correlation(self) -> np.ndarray:
        if self.n < 3:
            raise ValueError(f"at least 3 complete responses are needed, got {self.n}")
        mean = self.sums / self.n
        covariance = (self.products - self.n * np.outer(mean, mean)) / (self.n - 1)
        sd = np.sqrt(np.diag(covariance))
        if np.any(sd <= 0):
            raise ValueError("a variable does not vary (every answer is the same)")
        return covariance / np.outer(sd, sd)


@dataclass(frozen=True)
class DriverImportance:
    name: str
    importance: float  # contribution to R²
    share: float  # importance / R²
    rank: int


@dataclass(frozen=True)
class DriverAnalysis:
    n: int
    r2: float
    method: str
    drivers: list[DriverImportance]

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "r2": self.r2,
            "method": self.method,
            "drivers": [d.__dict__ for d in self.drivers],
        }


def subset_r2(correlation: np.ndarray) -> np.ndarray:
    """R² of the target (index 0) on every subset of the drivers, indexed by bit mask.

    ``R²(S) = r_Sᵀ R_SS⁻¹ r_S``; subsets of one size are solved together.
    """
    p = correlation.shape[0] - 1
    r = correlation[0, 1:]
    rxx = correlation[1:, 1:]
    r2 = np.zeros(1 << p)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    bits = (masks[:, None] >> np.arange(p)) & 1
    for size in range(1, p + 1):
        chosen = masks[sizes == size]
        index = np.nonzero(bits[chosen])[1].reshape(len(chosen), size)
        blocks = rxx[index[:, :, None], index[:, None, :]]
        vectors = r[index]
        solved = np.linalg.solve(blocks, vectors[..., None])[..., 0]
        r2[chosen] = np.einsum("ij,ij->i", vectors, solved)
    return r2


def lmg(correlation: np.ndarray) -> np.ndarray:
    """Exact LMG (Shapley) contributions to R² of each driver."""
    p = correlation.shape[0] - 1
    if p > MAX_EXACT_DRIVERS:
        raise ValueError(f"exact Shapley values take at most {MAX_EXACT_DRIVERS} drivers, got {p}")
    r2 = subset_r2(correlation)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    weight = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    result = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        gains = r2[without | (1 << j)] - r2[without]
        result[j] = np.sum(weight[sizes[without]] * gains)
    return result


def relative_weights(correlation: np.ndarray) -> np.ndarray:
    """Johnson's raw relative weights (they sum to R²)."""
    r = correlation[0, 1:]
    values, vectors = np.linalg.eigh(correlation[1:, 1:])
    if np.any(values <= 1e-12):
        raise ValueError("drivers are perfectly collinear; drop one of them")
    root = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta = vectors @ np.diag(1 / np.sqrt(values)) @ vectors.T @ r
    return (root**2) @ (beta**2)


def analyse(moments: Moments, names: list[str], method: str = "shapley") -> DriverAnalysis:
    """Relative importance of the drivers ``names`` (moments: target first, then drivers)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose {' or '.join(METHODS)}")
    if len(names) != len(moments.sums) - 1:
        raise ValueError("one name per driver column is needed")
    correlation = moments.correlation()
    importance = lmg(correlation) if method == "shapley" else relative_weights(correlation)
    r2 = float(importance.sum())
    order = np.argsort(-importance, kind="stable")
    ranks = np.empty(len(names), dtype=int)
    ranks[order] = np.arange(1, len(names) + 1)
    return DriverAnalysis(
        n=moments.n,
        r2=r2,
        method=method,
        drivers=[
            DriverImportance(name, float(value), float(value / r2) if r2 > 0 else 0.0, int(rank))
            for name, value, rank in zip(names, importance, ranks, strict=True)
        ],
    )


@dataclass(frozen=True)
class AsymmetricImpact:
    """Penalty–reward contrast for one driver (Brandt 1987; Mikulić & Prebežac 2008)."""

    name: str
    penalty: float  # drop in the target when the driver scores low, against the middle
    reward: float  # gain when it scores high, against the middle
    penalty_p: float
    reward_p: float
    impact_asymmetry: float | None  # +1 pure satisfier … −1 pure dissatisfier
    kind: str  # dissatisfier, satisfier, hybrid or not significant
    wrong_sign: bool  # a significant coefficient against expectation: read with care


def penalty_reward(
    target: np.ndarray,
    drivers: np.ndarray,
    names: list[str],
    *,
    low: float = 5,
    high: float = 9,
    alpha: float = 0.05,
    asymmetry_cut: float = 0.3,
) -> list[AsymmetricImpact]:
    """Penalty–reward contrast analysis: one OLS of the target on low/high dummies per driver.

    ``OS = b0 + Σ_i (b_i^L·1[x_i ≤ low] + b_i^H·1[x_i ≥ high]) + e``; penalty = −b^L,
    reward = b^H, tested with t against zero. A dissatisfier only costs when it is bad
    (penalty significant, reward not); a satisfier only earns when it is good; a hybrid
    does both. With many responses both sides are nearly always significant, so the
    impact asymmetry IA = (reward − penalty) / (reward + penalty) decides too: IA at or
    below −``asymmetry_cut`` is a dissatisfier, at or above +``asymmetry_cut`` a satisfier
    (Mikulić & Prebežac 2008 leave the cut open; 0.3 is our default). The low/high cuts
    are a design choice too (default: a Dutch grade of 5 or less is insufficient, 9 or
    more excellent). Complete rows only.
    """
    from scipy import stats as scipy_stats

    y = np.asarray(target, dtype=float)
    x = np.asarray(drivers, dtype=float)
    keep = ~(np.isnan(y) | np.isnan(x).any(axis=1))
    y, x = y[keep], x[keep]
    design = np.column_stack(
        [np.ones(len(y))]
        + [col for j in range(x.shape[1]) for col in (x[:, j] <= low, x[:, j] >= high)]
    ).astype(float)
    dof = len(y) - design.shape[1]
    if dof < 1:
        raise ValueError("too few complete responses for penalty–reward analysis")
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    sigma2 = residual @ residual / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(design.T @ design)))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2 * scipy_stats.t.sf(np.abs(coef / se), dof)
    result = []
    for j, name in enumerate(names):
        b_low, b_high = coef[1 + 2 * j], coef[2 + 2 * j]
        p_low, p_high = float(p_values[1 + 2 * j]), float(p_values[2 + 2 * j])
        penalty, reward = -b_low, b_high
        costs = penalty > 0 and p_low < alpha
        earns = reward > 0 and p_high < alpha
        pen, rew = max(penalty, 0.0), max(reward, 0.0)
        asymmetry = float((rew - pen) / (rew + pen)) if rew + pen > 0 else None
        kind = _kind(costs, earns, asymmetry, asymmetry_cut)
        result.append(
            AsymmetricImpact(
                name,
                float(penalty),
                float(reward),
                p_low,
                p_high,
                asymmetry,
                kind,
                bool((b_low > 0 and p_low < alpha) or (b_high < 0 and p_high < alpha)),
            )
        )
    return result


def _kind(costs: bool, earns: bool, asymmetry: float | None, cut: float) -> str:
    if not (costs or earns):
        return "not significant"
    if costs and (not earns or (asymmetry is not None and asymmetry <= -cut)):
        return "dissatisfier"
    if earns and (not costs or (asymmetry is not None and asymmetry >= cut)):
        return "satisfier"
    return "hybrid"


@dataclass(frozen=True)
class Priority:
    name: str
    share: float  # share of explained variance
    performance: float  # mean score
    quadrant: str  # concentrate_here, keep_up, low_priority, possible_overkill
    score: float  # share × (scale_max − performance): the room to gain, weighted
    rank: int


def importance_performance(
    analysis: DriverAnalysis, performance: dict[str, float], *, scale_max: float = 10
) -> list[Priority]:
    """Importance × performance matrix (Martilla & James 1977), ranked into actions.

    Cross-hairs at the means of the plotted values; the priority score
    share × (scale max − mean performance) orders what to improve first.
    """
    shares = {d.name: d.share for d in analysis.drivers}
    mean_share = float(np.mean(list(shares.values())))
    mean_perf = float(np.mean([performance[n] for n in shares]))
    rows = []
    for name, share in shares.items():
        perf = performance[name]
        important, good = share >= mean_share, perf >= mean_perf
        quadrant = {
            (True, False): "concentrate_here",
            (True, True): "keep_up",
            (False, False): "low_priority",
            (False, True): "possible_overkill",
        }[(important, good)]
        rows.append((name, share, perf, quadrant, share * (scale_max - perf)))
    rows.sort(key=lambda r: -r[4])
    return [Priority(*row, rank=i) for i, row in enumerate(rows, start=1)]


def bootstrap_shares(
    rows: np.ndarray, *, resamples: int = 200, seed: int = 1, confidence: float = 0.95
) -> np.ndarray:
    """Percentile bootstrap intervals of each driver's share of R² (as relaimpo's boot.relimp).

    ``rows``: complete responses, target first. Returns a (drivers × 2) array of
    (low, high). Resamples are bounded; a seed makes the interval reproducible.
    """
    data = np.asarray(rows, dtype=float)
    data = data[~np.isnan(data).any(axis=1)]
    rng = np.random.default_rng(seed)
    shares = []
    for _ in range(resamples):
        sample = data[rng.integers(0, len(data), len(data))]
        try:
            importance = lmg(Moments.from_rows(sample).correlation())
        except (ValueError, np.linalg.LinAlgError):
            continue  # a degenerate resample (a constant column) says nothing
        shares.append(importance / importance.sum())
    tail = (1 - confidence) / 2 * 100
    return np.percentile(np.array(shares), [tail, 100 - tail], axis=0).T
