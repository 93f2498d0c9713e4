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
