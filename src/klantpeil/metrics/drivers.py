"""Key driver analysis: which drivers explain the overall score, and how.

Everything starts from :class:`Moments` (n, the sums and the cross-product
matrix of the target and the drivers), which one pass over the data gives and
which rollups can add up chunk by chunk. R²-decompositions are invariant to
rescaling the variables, so they need only the correlation matrix; from it
every subset regression is a small solve, and the exact Shapley value over all
orderings costs 2^p solves whatever n is.

- :func:`lmg`: LMG = Shapley value regression (Lindeman, Merenda & Gold 1980;
  Grömping 2006, J. Stat. Software 17(1), R package relaimpo ``type="lmg"``).
- :func:`relative_weights`: Johnson (2000), Multivariate Behavioral Research
  35:1–19; a one-eigendecomposition approximation of LMG.
- :func:`penalty_reward`: penalty–reward contrast analysis (Brandt 1987) with
  the impact asymmetry of Mikulić & Prebežac (2008), Managing Service Quality.
- :func:`importance_performance`: the priority matrix of Martilla & James (1977)
  (not used for ranking: :func:`ranked_priorities` applies the one priority model,
  :mod:`klantpeil.metrics.priority`).
- :func:`bootstrap`: percentile intervals, as relaimpo's ``boot.relimp``.

Missing answers: listwise deletion, relaimpo's default. A response counts only
when the target and every driver are answered (NaN = not answered), so all
subset regressions see the same respondents. Pairwise deletion would give a
correlation matrix that need not be positive definite. "Don't know" codes must
be turned into NaN before they get here.

Plain module: numpy/scipy only, no Django.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import comb
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats as scipy_stats

if TYPE_CHECKING:
    from klantpeil.metrics.priority import PriorityModel

MAX_EXACT_DRIVERS = 15
MAX_RESAMPLES = 2000
METHODS = ("shapley", "relative-weights")
QUADRANTS = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")
CROSSHAIRS = ("mean", "midpoint")
KINDS = ("dissatisfier", "satisfier", "hybrid", "not significant")


@dataclass(frozen=True)
class Moments:
    """Sufficient statistics of the columns (target first, then the drivers).

    ``n`` complete rows, ``sums`` = Σ w·x, ``products`` = Σ w·x xᵀ and, for weighted rows,
    ``weight_total`` = Σ w (None: unweighted, every w = 1). Moments of separate chunks,
    rollup cells or periods add up with ``+``.
    """

    n: int
    sums: np.ndarray
    products: np.ndarray
    weight_total: float | None = None

    @classmethod
    def from_rows(cls, rows: np.ndarray, weights: np.ndarray | None = None) -> Moments:
        """One pass over the rows; a row with any NaN (or a NaN weight) is left out."""
        data = np.asarray(rows, dtype=float)
        if data.ndim != 2:
            raise ValueError("rows must be a 2-D array: one row per response, target first")
        keep = ~np.isnan(data).any(axis=1)
        if weights is None:
            if not keep.all():
                data = data[keep]
            return cls(len(data), data.sum(axis=0), data.T @ data)
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(data),):
            raise ValueError("one weight per row is needed")
        keep &= ~np.isnan(w)
        data, w = data[keep], w[keep]
        if (w < 0).any():
            raise ValueError("weights must not be negative")
        weighted = data * w[:, None]
        return cls(len(data), weighted.sum(axis=0), weighted.T @ data, float(w.sum()))

    @classmethod
    def from_chunks(cls, chunks: Iterable[np.ndarray]) -> Moments:
        """Moments of row chunks read one after another (a file or a query in pieces)."""
        total: Moments | None = None
        for chunk in chunks:
            part = cls.from_rows(chunk)
            total = part if total is None else total + part
        if total is None:
            raise ValueError("no chunks")
        return total

    def __add__(self, other: Moments) -> Moments:
        if self.sums.shape != other.sums.shape:
            raise ValueError("moments of different columns cannot be added")
        weight = None
        if self.weight_total is not None or other.weight_total is not None:
            weight = self.total_weight + other.total_weight
        return Moments(
            self.n + other.n, self.sums + other.sums, self.products + other.products, weight
        )

    @property
    def total_weight(self) -> float:
        return float(self.n) if self.weight_total is None else self.weight_total

    def means(self) -> np.ndarray:
        """Column means (target first): the drivers' performance for the priority matrix."""
        if self.total_weight <= 0:
            raise ValueError("no complete responses")
        return self.sums / self.total_weight

    def covariance(self) -> np.ndarray:
        """(Σwxxᵀ − Σwx Σwxᵀ/Σw) / (Σw − 1): the sample covariance, w as frequency weights.

        One-pass sums lose digits when a column's mean is huge against its spread;
        rating scales (1–10 with spread ~1–3) keep about 14 significant digits.
        """
        if self.n < 2:
            raise ValueError(f"at least 2 complete responses are needed, got {self.n}")
        weight = self.total_weight
        return (self.products - np.outer(self.sums, self.sums) / weight) / (weight - 1)

    def correlation(self) -> np.ndarray:
        covariance = self.covariance()
        variance = np.diag(covariance)
        mean_square = np.diag(self.products) / self.total_weight
        flat = np.flatnonzero(variance <= 1e-12 * np.maximum(mean_square, 1e-300))
        if len(flat):
            column = "the target" if flat[0] == 0 else f"driver {flat[0]}"
            raise ValueError(f"{column} does not vary (every answer is the same)")
        sd = np.sqrt(variance)
        return covariance / np.outer(sd, sd)


@dataclass(frozen=True)
class DriverImportance:
    name: str
    importance: float  # contribution to R², in R² units (relaimpo rela=FALSE)
    share: float  # importance / R² (relaimpo rela=TRUE); shares sum to 1
    rank: int  # 1 = most important


@dataclass(frozen=True)
class DriverAnalysis:
    n: int | None  # complete responses; None when computed from a bare correlation matrix
    r2: float  # R² of the full model: the overall score on all drivers
    method: str
    drivers: list[DriverImportance]

    @property
    def importances(self) -> np.ndarray:
        return np.array([d.importance for d in self.drivers])

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "r2": self.r2,
            "method": self.method,
            "drivers": [
                {"name": d.name, "importance": d.importance, "share": d.share, "rank": d.rank}
                for d in self.drivers
            ],
        }


def _as_correlation(matrix: np.ndarray) -> np.ndarray:
    """A correlation (or covariance) matrix, target first, checked and normalised."""
    c = np.asarray(matrix, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 2:
        raise ValueError("need a square matrix of the target and at least one driver")
    if not np.allclose(c, c.T, rtol=1e-10, atol=1e-12):
        raise ValueError("the matrix is not symmetric")
    sd = np.sqrt(np.diag(c))
    if not (sd > 0).all():
        raise ValueError("a variable has no variance")
    return c / np.outer(sd, sd)


def subset_r2(correlation: np.ndarray) -> np.ndarray:
    """R² of the target (index 0) on every subset S of the drivers, indexed by bit mask.

    R²(S) = r_Sᵀ R_SS⁻¹ r_S (R²(∅) = 0). All subsets of one size are solved in one
    batched call; a singular block (perfectly collinear drivers) falls back to the
    pseudo-inverse, which still gives the R² of the projection.
    """
    c = _as_correlation(correlation)
    p = c.shape[0] - 1
    r, rxx = c[0, 1:], c[1:, 1:]
    masks = np.arange(1 << p)
    bits = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    sizes = bits.sum(axis=1)
    r2 = np.zeros(1 << p)
    for size in range(1, p + 1):
        chosen = masks[sizes == size]
        index = np.nonzero(bits[chosen])[1].reshape(len(chosen), size)
        blocks = rxx[index[:, :, None], index[:, None, :]]
        vectors = r[index][..., None]
        try:
            solved = np.linalg.solve(blocks, vectors)
        except np.linalg.LinAlgError:
            solved = np.linalg.pinv(blocks, hermitian=True) @ vectors
        r2[chosen] = np.einsum("ij,ij->i", vectors[..., 0], solved[..., 0])
    return r2


def shapley_values(correlation: np.ndarray) -> np.ndarray:
    """Exact LMG / Shapley contributions to R² of each driver, from the correlation matrix.

    LMG_j = Σ_{S ⊆ P∖{j}} |S|!(p−|S|−1)!/p! · [R²(S∪{j}) − R²(S)]; Σ_j LMG_j = R²(P).
    The weight |S|!(p−|S|−1)!/p! = 1/(p·C(p−1, |S|)) is the share of orderings in
    which exactly the drivers in S come before j.
    """
    p = np.shape(correlation)[0] - 1
    if p > MAX_EXACT_DRIVERS:
        raise ValueError(
            f"exact Shapley values take at most {MAX_EXACT_DRIVERS} drivers, got {p}; "
            "use relative weights"
        )
    r2 = subset_r2(correlation)
    masks = np.arange(1 << p)
    sizes = ((masks[:, None] >> np.arange(p)) & 1).sum(axis=1)
    weight = np.array([1 / (p * comb(p - 1, s)) for s in range(p)])
    result = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        result[j] = weight[sizes[without]] @ (r2[without | (1 << j)] - r2[without])
    return result


def johnson_weights(correlation: np.ndarray) -> np.ndarray:
    """Johnson's (2000) raw relative weights; they sum to R².

    R_xx = VΛVᵀ;  Λ* = R_xx^½ = VΛ^½Vᵀ;  β* = R_xx^−½ r;  ε_j = Σ_k λ*_jk² β*_k².
    Equal to relaimpo's ``genizi``; equal to LMG only for p ≤ 2 or uncorrelated drivers.
    """
    c = _as_correlation(correlation)
    r, rxx = c[0, 1:], c[1:, 1:]
    values, vectors = np.linalg.eigh(rxx)
    if values.min() <= 1e-10 * values.max():
        raise ValueError("drivers are perfectly collinear; drop one of them")
    root = (vectors * np.sqrt(values)) @ vectors.T
    beta = vectors @ ((vectors.T @ r) / np.sqrt(values))
    return (root**2) @ (beta**2)


def _prepare(
    data: Moments | np.ndarray, names: Sequence[str] | None
) -> tuple[np.ndarray, int | None, list[str]]:
    if isinstance(data, Moments):
        correlation, n = data.correlation(), data.n
    else:
        correlation, n = _as_correlation(data), None
    p = correlation.shape[0] - 1
    names = list(names) if names is not None else [f"driver_{j + 1}" for j in range(p)]
    if len(names) != p:
        raise ValueError(f"one name per driver column is needed: {p} drivers, {len(names)} names")
    if n is not None and n < p + 2:
        raise ValueError(f"{p} drivers need at least {p + 2} complete responses, got {n}")
    return correlation, n, names


def _analysis(
    importance: np.ndarray, r2: float, n: int | None, method: str, names: list[str]
) -> DriverAnalysis:
    order = np.argsort(-importance, kind="stable")
    ranks = np.empty(len(names), dtype=int)
    ranks[order] = np.arange(1, len(names) + 1)
    return DriverAnalysis(
        n=n,
        r2=r2,
        method=method,
        drivers=[
            DriverImportance(name, float(value), float(value / r2) if r2 > 0 else 0.0, int(rank))
            for name, value, rank in zip(names, importance, ranks, strict=True)
        ],
    )


def lmg(data: Moments | np.ndarray, names: Sequence[str] | None = None) -> DriverAnalysis:
    """Exact LMG / Shapley relative importance of up to 15 drivers.

    ``data``: :class:`Moments` (target first) or a correlation/covariance matrix with the
    target first (then n is unknown). Importance is in R² units and sums to the full
    model's R² (relaimpo ``rela=FALSE``); share = importance / R² (``rela=TRUE``).
    Cost: one pass for the moments, then 2^p small solves independent of n.
    """
    correlation, n, names = _prepare(data, names)
    importance = shapley_values(correlation)
    return _analysis(importance, float(importance.sum()), n, "shapley", names)


def relative_weights(
    data: Moments | np.ndarray, names: Sequence[str] | None = None
) -> DriverAnalysis:
    """Johnson's relative weights (see :func:`johnson_weights`); no 2^p limit.

    ``r2`` is the full model's R² = rᵀR_xx⁻¹r, computed separately from the weights.
    """
    correlation, n, names = _prepare(data, names)
    importance = johnson_weights(correlation)
    r = correlation[0, 1:]
    r2 = float(r @ np.linalg.solve(correlation[1:, 1:], r))
    return _analysis(importance, r2, n, "relative-weights", names)


def analyse(
    moments: Moments | np.ndarray, names: Sequence[str] | None, method: str = "shapley"
) -> DriverAnalysis:
    """:func:`lmg` (``"shapley"``) or :func:`relative_weights` by name, for the CLI and API."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose {' or '.join(METHODS)}")
    return (lmg if method == "shapley" else relative_weights)(moments, names)


@dataclass(frozen=True)
class ImportanceInterval:
    name: str
    importance_low: float
    importance_high: float
    share_low: float
    share_high: float


@dataclass(frozen=True)
class BootstrapIntervals:
    method: str
    confidence: float
    resamples: int  # resamples used
    skipped: int  # degenerate resamples (a column that did not vary)
    drivers: list[ImportanceInterval]


def bootstrap(
    rows: np.ndarray,
    names: Sequence[str] | None = None,
    *,
    method: str = "shapley",
    weights: np.ndarray | None = None,
    resamples: int = 200,
    seed: int = 1,
    confidence: float = 0.95,
) -> BootstrapIntervals:
    """Percentile bootstrap intervals of each driver's importance and share.

    Resamples whole responses with replacement (with their weights, if any) and
    recomputes the method on each, as relaimpo's ``boot.relimp`` with percentile
    intervals. Needs the rows: resampling is impossible from sums alone. At most
    ``MAX_RESAMPLES`` resamples; the seed makes the result reproducible. Rows with a
    missing answer are left out first (listwise).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose {' or '.join(METHODS)}")
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be 1…{MAX_RESAMPLES}, got {resamples}")
    data = np.asarray(rows, dtype=float)
    keep = ~np.isnan(data).any(axis=1)
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None:
        keep &= ~np.isnan(w)
        w = w[keep]
    data = data[keep]
    _, _, names = _prepare(Moments.from_rows(data, w), names)
    rng = np.random.default_rng(seed)
    importances, shares = [], []
    for _ in range(resamples):
        pick = rng.integers(0, len(data), len(data))
        try:
            result = analyse(
                Moments.from_rows(data[pick], None if w is None else w[pick]), names, method
            )
        except (ValueError, np.linalg.LinAlgError):
            continue  # a degenerate resample (a constant column) says nothing
        importances.append(result.importances)
        shares.append([d.share for d in result.drivers])
    if not importances:
        raise ValueError("every resample was degenerate")
    tails = [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100]
    imp = np.percentile(np.array(importances), tails, axis=0)
    sha = np.percentile(np.array(shares), tails, axis=0)
    return BootstrapIntervals(
        method=method,
        confidence=confidence,
        resamples=len(importances),
        skipped=resamples - len(importances),
        drivers=[
            ImportanceInterval(name, *map(float, (imp[0, j], imp[1, j], sha[0, j], sha[1, j])))
            for j, name in enumerate(names)
        ],
    )


def bootstrap_shares(
    rows: np.ndarray, *, resamples: int = 200, seed: int = 1, confidence: float = 0.95
) -> np.ndarray:
    """(drivers × 2) array of the Shapley shares' bootstrap (low, high); see :func:`bootstrap`."""
    result = bootstrap(rows, resamples=resamples, seed=seed, confidence=confidence)
    return np.array([[d.share_low, d.share_high] for d in result.drivers])


def _shapley_batch(correlations: np.ndarray) -> np.ndarray:
    """Exact Shapley contributions to R² for a stack of correlation matrices (B × q × q).

    The same sums as :func:`shapley_values`, with every subset of one size of every
    matrix solved in one batched call, so B matrices cost about as much as a few.
    """
    c = np.asarray(correlations, dtype=float)
    count, p = c.shape[0], c.shape[1] - 1
    r, rxx = c[:, 0, 1:], c[:, 1:, 1:]
    masks = np.arange(1 << p)
    bits = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    sizes = bits.sum(axis=1)
    r2 = np.zeros((count, 1 << p))
    for size in range(1, p + 1):
        chosen = masks[sizes == size]
        index = np.nonzero(bits[chosen])[1].reshape(len(chosen), size)
        blocks = rxx[:, index[:, :, None], index[:, None, :]]
        vectors = r[:, index][..., None]
        try:
            solved = np.linalg.solve(blocks, vectors)
        except np.linalg.LinAlgError:
            solved = np.linalg.pinv(blocks, hermitian=True) @ vectors
        r2[:, chosen] = np.einsum("bij,bij->bi", vectors[..., 0], solved[..., 0])
    weight = np.array([1 / (p * comb(p - 1, s)) for s in range(p)])
    result = np.empty((count, p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        result[:, j] = (r2[:, without | (1 << j)] - r2[:, without]) @ weight[sizes[without]]
    return result


def wishart_share_intervals(
    moments: Moments, *, resamples: int = 200, seed: int = 1, confidence: float = 0.95
) -> np.ndarray:
    """(drivers × 2) array of percentile intervals (low, high) of the Shapley shares,
    from the moments alone: a parametric bootstrap of the covariance matrix.

    Why this and not the row bootstrap (:func:`bootstrap`): resampling responses needs
    the rows, and the pages read summed moments (rollup cells), which cannot be
    resampled. Under multivariate normality the sample covariance S of n responses
    follows (n − 1)·S ~ Wishart(n − 1, Σ), so drawing S* ~ W(n − 1, S/(n − 1)) is the
    parametric (normal-theory) counterpart of resampling the rows: each draw is the
    covariance matrix of a plausible sample of the same size, its Shapley shares are
    computed as usual, and the 2.5% and 97.5% percentiles make the interval
    (percentile method, as relaimpo's ``boot.relimp``). A delta method would need the
    Shapley values' derivatives through 2^p subset regressions and assumes the shares
    are near normal, which they are not near 0; the Wishart draws keep the shares'
    skew. The draws cost one batched solve per subset size (milliseconds), not a pass
    over the data. The assumption is normality of the scores: on bounded 1–10 ratings
    the coverage was checked by simulation (metrics/tests/test_drivers_intervals.py)
    against known true shares, on normal and on rounded, clipped ratings data.
    Seeded, so a page shows the same interval on every load.
    """
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ValueError(f"resamples must be 1…{MAX_RESAMPLES}, got {resamples}")
    covariance = moments.covariance()
    df = moments.n - 1
    p = covariance.shape[0] - 1
    if df < p + 1:
        raise ValueError(f"{p} drivers need at least {p + 2} complete responses, got {moments.n}")
    rng = np.random.default_rng(seed)
    draws = scipy_stats.wishart(df=df, scale=covariance / df).rvs(size=resamples, random_state=rng)
    draws = np.asarray(draws).reshape(resamples, p + 1, p + 1)
    sd = np.sqrt(np.einsum("bii->bi", draws))
    correlations = draws / (sd[:, :, None] * sd[:, None, :])
    importance = _shapley_batch(correlations)
    total = importance.sum(axis=1, keepdims=True)
    shares = np.divide(importance, total, out=np.zeros_like(importance), where=total > 0)
    tails = [(1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100]
    return np.percentile(shares, tails, axis=0).T


# Driver moments by answer pattern: what the rollups store and the pages add up.
# A response that answered only some drivers belongs to the complete cases of every
# selection of drivers it answered all of, and which drivers a selection keeps is
# decided when it is read (the IVR menu only for phone, none with fewer than 50
# answers). So the moments are kept per pattern (the set of drivers answered, a bit
# mask over the driver columns): the complete cases of drivers D are the patterns
# that contain D, and their moments over the columns of D are sub-blocks of the
# patterns' moments. This makes the rollup figures equal the listwise deletion of
# the raw rows exactly, whatever the selection.


@dataclass(frozen=True)
class PatternMoments:
    """Moments of the responses (with a grade) that answered exactly the drivers of a
    pattern, over all driver columns (an unanswered driver counts as 0, so its rows and
    columns are 0): over [grade, x₁…x_p] and, for penalty–reward, over
    [grade, 1[x₁ ≤ low], 1[x₁ ≥ high], …] (see :func:`prca_moments`)."""

    columns: tuple[int, ...]  # the driver columns answered, ascending
    n: int
    sums: np.ndarray
    products: np.ndarray
    prca_sums: np.ndarray
    prca_products: np.ndarray


def response_scores(
    grades: Mapping[object, float], items: Iterable[tuple[object, int, float]], drivers: int
) -> tuple[list, np.ndarray]:
    """One row per response that has a grade: the grade, then each driver's score, the
    mean of the items it answered (NaN: none). ``items``: (response, driver column,
    answer); items of responses without a grade are ignored. Returns (responses, rows)."""
    position = {m: i for i, m in enumerate(grades)}
    totals = np.zeros((len(position), drivers))
    counts = np.zeros((len(position), drivers))
    kept = [(position[m], j, v) for m, j, v in items if m in position]
    if kept:
        r, c, v = (np.array(a) for a in zip(*kept, strict=True))
        np.add.at(totals, (r.astype(int), c.astype(int)), v)
        np.add.at(counts, (r.astype(int), c.astype(int)), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(counts > 0, totals / counts, np.nan)
    data = np.column_stack([np.array(list(grades.values()), dtype=float), scores])
    return list(position), data.reshape(-1, drivers + 1)


def _columns(mask: int) -> tuple[int, ...]:
    return tuple(j for j in range(mask.bit_length()) if mask >> j & 1)


def pattern_width(drivers: int) -> int:
    """Length of one pattern's packed moments: n, both sums, both upper triangles."""
    q, r = 1 + drivers, 1 + 2 * drivers
    return 1 + q + r + q * (q + 1) // 2 + r * (r + 1) // 2


def pattern_vectors(
    rows: np.ndarray, *, low: float = 5, high: float = 9
) -> tuple[np.ndarray, np.ndarray]:
    """Each graded response's pattern mask (bit j: driver j answered) and its packed
    moments [1, z, d, upper(z zᵀ), upper(d dᵀ)] with z = [grade, x (0 if unanswered)]
    and d = [grade, 1[x₁ ≤ low], 1[x₁ ≥ high], …]. Summed over the responses of one
    mask, they are that pattern's moments (:func:`unpack_patterns`); vectors of the
    same mask add up element by element, so cells are summed before unpacking."""
    data = np.asarray(rows, dtype=float)
    data = data[~np.isnan(data[:, 0])]
    m, p = data.shape[0], data.shape[1] - 1
    answered = ~np.isnan(data[:, 1:])
    masks = answered.astype(np.int64) @ (1 << np.arange(p, dtype=np.int64))
    z = np.where(np.isnan(data), 0.0, data)
    d = np.zeros((m, 1 + 2 * p))
    d[:, 0] = data[:, 0]
    d[:, 1::2] = answered & (z[:, 1:] <= low)
    d[:, 2::2] = answered & (z[:, 1:] >= high)
    qi, qj = np.triu_indices(1 + p)
    ri, rj = np.triu_indices(1 + 2 * p)
    packed = np.concatenate(
        [np.ones((m, 1)), z, d, z[:, qi] * z[:, qj], d[:, ri] * d[:, rj]], axis=1
    )
    return masks, packed


@functools.cache
def _triangle(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(size)


def _full(upper: np.ndarray, size: int) -> np.ndarray:
    rows, columns = _triangle(size)
    matrix = np.zeros((size, size))
    matrix[rows, columns] = upper
    matrix[columns, rows] = upper
    return matrix


def encode_cell(masks: Sequence[int], totals: np.ndarray) -> tuple[bytes, bytes]:
    """A cell's patterns for storage: the masks as little-endian int64 and their packed
    moments (one row per mask) as little-endian float64. Binary, because a page adds
    up many cells: reading bytes into an array costs microseconds where parsing the
    same numbers from text costs milliseconds per cell. Lossless."""
    data = np.ascontiguousarray(totals, dtype="<f8")
    return np.asarray(masks, dtype="<i8").tobytes(), data.tobytes()


def decode_cell(masks: bytes, moments: bytes) -> tuple[list[int], np.ndarray]:
    """:func:`encode_cell` reversed: the masks and their packed moments (one row each)."""
    kinds = np.frombuffer(masks, dtype="<i8")
    data = np.frombuffer(moments, dtype="<f8")
    return kinds.tolist(), data.reshape(len(kinds), -1) if len(kinds) else data.reshape(0, 0)


def encode_scores(rows: np.ndarray) -> bytes:
    """Score rows (:func:`response_scores`) for storage, little-endian float64: what a cell
    of few responses keeps instead of moments (8 numbers a response against 180 a
    pattern); the reader turns them into moments with :func:`pattern_vectors`."""
    return np.ascontiguousarray(rows, dtype="<f8").tobytes()


def sum_cells(
    cells: Iterable[tuple[bytes, bytes, bytes]], tail: np.ndarray, drivers: int
) -> dict[int, np.ndarray] | None:
    """The packed moments by mask of stored cells (masks, moments, score rows: see
    :func:`encode_cell` and :func:`encode_scores`) plus the score rows ``tail``, summed
    in one vectorised pass. None when a cell is not laid out for ``drivers`` (cells of
    another driver list)."""
    width, columns = pattern_width(drivers), 1 + drivers
    masks, blocks, rows = [], [], [np.asarray(tail, dtype=float).reshape(-1, columns)]
    for cell_masks, cell_moments, cell_scores in cells:
        kinds = np.frombuffer(cell_masks, dtype="<i8")
        moments = np.frombuffer(cell_moments, dtype="<f8")
        scores = np.frombuffer(cell_scores, dtype="<f8")
        if moments.size != kinds.size * width or scores.size % columns:
            return None
        if kinds.size:
            masks.append(kinds)
            blocks.append(moments.reshape(-1, width))
        if scores.size:
            rows.append(scores.reshape(-1, columns))
    scored = np.concatenate(rows)
    if len(scored):
        row_masks, packed = pattern_vectors(scored)
        masks.append(row_masks)
        blocks.append(packed)
    if not masks:
        return {}
    every = np.concatenate(masks)
    order = np.argsort(every, kind="stable")
    every = every[order]
    starts = np.flatnonzero(np.r_[True, every[1:] != every[:-1]])
    totals = np.add.reduceat(np.concatenate(blocks)[order], starts, axis=0)
    return {int(m): totals[i] for i, m in enumerate(every[starts])}


def unpack_patterns(packed: Mapping[int, np.ndarray], drivers: int) -> list[PatternMoments]:
    """Summed packed moments by mask (:func:`pattern_vectors`) as :class:`PatternMoments`."""
    q, r = 1 + drivers, 1 + 2 * drivers
    cuts = np.cumsum([1, q, r, q * (q + 1) // 2])
    result = []
    for mask, vector in packed.items():
        n, sums, prca_sums, upper, prca_upper = np.split(np.asarray(vector, dtype=float), cuts)
        result.append(
            PatternMoments(
                columns=_columns(int(mask)),
                n=int(np.rint(n[0])),
                sums=sums,
                products=_full(upper, q),
                prca_sums=prca_sums,
                prca_products=_full(prca_upper, r),
            )
        )
    return result


def answered_counts(patterns: Iterable[PatternMoments], drivers: int) -> np.ndarray:
    """Per driver column: the responses (with a grade) that answered it."""
    counts = np.zeros(drivers, dtype=int)
    for pattern in patterns:
        counts[list(pattern.columns)] += pattern.n
    return counts


def complete_case_moments(
    patterns: Iterable[PatternMoments], chosen: Sequence[int]
) -> tuple[Moments, Moments]:
    """The moments of the complete cases of the ``chosen`` driver columns (listwise
    deletion): over [grade, x_chosen] for the importance and the priority model, and
    over [grade, low and high dummy per chosen driver] for penalty–reward. Equal to
    ``Moments.from_rows`` and :func:`prca_moments` of the complete rows."""
    chosen = list(chosen)
    size = 1 + len(chosen)
    total = Moments(0, np.zeros(size), np.zeros((size, size)))
    prca = Moments(0, np.zeros(2 * size - 1), np.zeros((2 * size - 1, 2 * size - 1)))
    main = [0, *(1 + j for j in chosen)]
    dummies = [0, *(c for j in chosen for c in (1 + 2 * j, 2 + 2 * j))]
    for pattern in patterns:
        if not set(chosen) <= set(pattern.columns):
            continue
        total = total + Moments(pattern.n, pattern.sums[main], pattern.products[np.ix_(main, main)])
        prca = prca + Moments(
            pattern.n, pattern.prca_sums[dummies], pattern.prca_products[np.ix_(dummies, dummies)]
        )
    return total, prca


@dataclass(frozen=True)
class AsymmetricImpact:
    """Penalty–reward contrast for one driver (Brandt 1987; Mikulić & Prebežac 2008)."""

    name: str
    penalty: float | None  # drop in the target when the driver scores low, against the middle
    penalty_se: float | None
    penalty_p: float | None
    reward: float | None  # gain when it scores high, against the middle
    reward_se: float | None
    reward_p: float | None
    n_low: int  # responses at or below the low cut
    n_high: int  # responses at or above the high cut
    impact_range: float  # RIOCS = penalty + reward, wrong signs counted as 0
    impact_asymmetry: float | None  # IA: +1 pure satisfier … −1 pure dissatisfier
    kind: str  # dissatisfier, satisfier, hybrid or not significant
    wrong_sign: bool  # a significant coefficient against expectation: read with care
    low_cut: float
    high_cut: float


def prca_moments(
    target: np.ndarray, drivers: np.ndarray, *, low: float = 5, high: float = 9
) -> Moments:
    """Moments of [target, 1[x₁ ≤ low], 1[x₁ ≥ high], …]: what penalty–reward needs.

    The cuts are fixed here, so chunks (or rollup cells) with the same cuts add up.
    Rows with a missing answer are left out (listwise).
    """
    y = np.asarray(target, dtype=float)
    x = np.asarray(drivers, dtype=float)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError("drivers must be a 2-D array with one row per target value")
    if low >= high:
        raise ValueError(f"the low cut ({low}) must be below the high cut ({high})")
    keep = ~(np.isnan(y) | np.isnan(x).any(axis=1))
    y, x = y[keep], x[keep]
    dummies = np.empty((len(y), 2 * x.shape[1]))
    dummies[:, 0::2] = x <= low
    dummies[:, 1::2] = x >= high
    return Moments.from_rows(np.column_stack([y, dummies]))


def penalty_reward(
    target: np.ndarray,
    drivers: np.ndarray,
    names: Sequence[str],
    *,
    low: float = 5,
    high: float = 9,
    alpha: float = 0.05,
    asymmetry_cut: float | None = 0.3,
) -> list[AsymmetricImpact]:
    """Penalty–reward contrast analysis of raw answers; see :func:`penalty_reward_from_moments`.

    Defaults: a Dutch grade of 5 or less is insufficient (low), 9 or more excellent
    (high). The cuts are a design choice, not part of the method: state them.
    """
    moments = prca_moments(target, drivers, low=low, high=high)
    return penalty_reward_from_moments(
        moments, names, low=low, high=high, alpha=alpha, asymmetry_cut=asymmetry_cut
    )


def penalty_reward_from_moments(
    moments: Moments,
    names: Sequence[str],
    *,
    low: float = 5,
    high: float = 9,
    alpha: float = 0.05,
    asymmetry_cut: float | None = 0.3,
) -> list[AsymmetricImpact]:
    """One OLS of the target on a low and a high dummy per driver, from :func:`prca_moments`.

    OS = b₀ + Σ_i (b_i^L·1[x_i ≤ low] + b_i^H·1[x_i ≥ high]) + e, the middle categories
    being the reference; penalty = −b^L, reward = b^H, each with its OLS standard error
    and two-sided t-test (df = n − k − 1). Kano-type classification (the usual rule):

    - dissatisfier (basic factor): penalty significant, reward not;
    - satisfier (excitement factor): reward significant, penalty not;
    - hybrid (performance factor): both significant;
    - not significant: neither.

    With many responses both sides are nearly always significant, so the impact
    asymmetry decides too: IA = (reward − penalty)/(reward + penalty) (Mikulić &
    Prebežac 2008, = SGP − DGP) at or below −``asymmetry_cut`` makes a dissatisfier,
    at or above +``asymmetry_cut`` a satisfier. The paper leaves the cut open; 0.3 is
    our default and None switches it off. A coefficient of the wrong sign (b^L > 0 or
    b^H < 0) counts as 0 in IA and in the impact range, never as an effect; a
    significant one sets ``wrong_sign``. A dummy that is never (or always) 1 cannot
    be estimated: its penalty or reward is None.
    """
    p = len(names)
    if len(moments.sums) != 1 + 2 * p:
        raise ValueError("the moments need a low and a high dummy per named driver")
    if moments.weight_total is not None:
        raise ValueError("penalty–reward takes unweighted moments (see prca_moments)")
    n = moments.n
    counts = np.rint(moments.sums[1:]).astype(int)
    usable = np.flatnonzero((counts > 0) & (counts < n))
    dof = n - len(usable) - 1
    if dof < 1:
        raise ValueError("too few complete responses for penalty–reward analysis")
    centred = moments.products - np.outer(moments.sums, moments.sums) / n
    sxx = centred[1:, 1:][np.ix_(usable, usable)]
    sxy = centred[1:, 0][usable]
    if np.linalg.cond(sxx) > 1e12:
        raise ValueError("the low/high dummies are collinear (two drivers answered alike?)")
    inverse = np.linalg.inv(sxx)
    coef = inverse @ sxy
    sigma2 = max(0.0, centred[0, 0] - coef @ sxy) / dof
    se = np.sqrt(np.maximum(np.diag(inverse), 0.0) * sigma2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_values = 2 * scipy_stats.t.sf(np.abs(coef / se), dof)
    estimate: dict[int, tuple[float, float, float]] = {
        int(k): (float(coef[i]), float(se[i]), float(p_values[i])) for i, k in enumerate(usable)
    }
    result = []
    for j, name in enumerate(names):
        b_low, se_low, p_low = estimate.get(2 * j, (None, None, None))
        b_high, se_high, p_high = estimate.get(2 * j + 1, (None, None, None))
        penalty = None if b_low is None else -b_low
        reward = b_high
        costs = penalty is not None and penalty > 0 and p_low < alpha
        earns = reward is not None and reward > 0 and p_high < alpha
        wrong = (penalty is not None and penalty < 0 and p_low < alpha) or (
            reward is not None and reward < 0 and p_high < alpha
        )
        pen = max(penalty or 0.0, 0.0)
        rew = max(reward or 0.0, 0.0)
        asymmetry = (rew - pen) / (rew + pen) if rew + pen > 0 else None
        result.append(
            AsymmetricImpact(
                name=name,
                penalty=penalty,
                penalty_se=se_low,
                penalty_p=p_low,
                reward=reward,
                reward_se=se_high,
                reward_p=p_high,
                n_low=int(counts[2 * j]),
                n_high=int(counts[2 * j + 1]),
                impact_range=pen + rew,
                impact_asymmetry=asymmetry,
                kind=_kind(costs, earns, asymmetry, asymmetry_cut),
                wrong_sign=bool(wrong),
                low_cut=low,
                high_cut=high,
            )
        )
    return result


def _kind(costs: bool, earns: bool, asymmetry: float | None, cut: float | None) -> str:
    if not (costs or earns):
        return "not significant"
    lopsided = cut is not None and asymmetry is not None
    if costs and (not earns or (lopsided and asymmetry <= -cut)):
        return "dissatisfier"
    if earns and (not costs or (lopsided and asymmetry >= cut)):
        return "satisfier"
    return "hybrid"


@dataclass(frozen=True)
class Priority:
    name: str
    share: float  # share of the explained variance (importance)
    performance: float  # mean score
    quadrant: str  # concentrate_here, keep_up, low_priority, possible_overkill
    score: float  # share × (scale_max − performance): the room to gain, weighted
    rank: int  # 1 = improve first


def importance_performance(
    analysis: DriverAnalysis,
    performance: Mapping[str, float],
    *,
    scale_max: float = 10,
    scale_min: float = 1,
    crosshairs: str = "mean",
) -> list[Priority]:
    """Importance × performance matrix (Martilla & James 1977), ranked into actions.

    Kept for analysts who want the classic quadrants; the product ranks and labels
    drivers with the one priority model (:mod:`klantpeil.metrics.priority`), because
    these mean-centred quadrants can call the first-ranked driver "keep up".

    Importance is the driver's share of R²; performance its mean score (with
    :class:`Moments`: ``dict(zip(names, moments.means()[1:]))``). Cross-hairs:

    - ``"mean"`` (data-centred): at the mean share and the mean performance of the drivers;
    - ``"midpoint"`` (scale-centred): at the equal share 1/p and the scale's midpoint.

    The choice moves drivers between quadrants, so show it. Quadrants: important and
    weak → concentrate_here; important and strong → keep_up; unimportant and weak →
    low_priority; unimportant and strong → possible_overkill. Ranked by the priority
    score share × (scale_max − performance) (a design choice, not a standard), ties
    by share.
    """
    if crosshairs not in CROSSHAIRS:
        raise ValueError(f"unknown crosshairs {crosshairs!r}; choose {' or '.join(CROSSHAIRS)}")
    missing = [d.name for d in analysis.drivers if d.name not in performance]
    if missing:
        raise ValueError(f"no performance for {', '.join(missing)}")
    shares = {d.name: d.share for d in analysis.drivers}
    for name in shares:
        if not scale_min <= performance[name] <= scale_max:
            raise ValueError(
                f"performance of {name} ({performance[name]}) is off the scale "
                f"{scale_min}–{scale_max}"
            )
    if crosshairs == "mean":
        share_line = float(np.mean(list(shares.values())))
        performance_line = float(np.mean([performance[name] for name in shares]))
    else:
        share_line = 1 / len(shares)
        performance_line = (scale_min + scale_max) / 2
    rows = []
    for name, share in shares.items():
        perf = float(performance[name])
        important, strong = share >= share_line, perf >= performance_line
        quadrant = {
            (True, False): "concentrate_here",
            (True, True): "keep_up",
            (False, False): "low_priority",
            (False, True): "possible_overkill",
        }[(important, strong)]
        rows.append((name, share, perf, quadrant, share * (scale_max - perf)))
    rows.sort(key=lambda row: (-row[4], -row[1]))
    return [Priority(*row, rank=i) for i, row in enumerate(rows, start=1)]


# A score of 5 or less is "bad" in the penalty–reward analysis (its default low cut); on
# the integer 1–10 scale the boundary between bad (5) and acceptable (6) lies at 5.5,
# where a dissatisfier's rise stops paying (docs/priority-model.md).
DISSATISFIER_THRESHOLD = 5.5


def ranked_priorities(
    rows: np.ndarray,
    names: Sequence[str],
    *,
    targets: Mapping[str, float] | None = None,
    target_basis: str = "given",
) -> tuple[PriorityModel, dict[str, AsymmetricImpact]]:
    """The one priority model (:func:`klantpeil.metrics.priority.priorities`) of complete
    rows on the 1–10 scale, target first, and the penalty–reward analysis it rests on:
    a driver that comes out as a dissatisfier gains only below 5.5.

    Returns (PriorityModel, {name: AsymmetricImpact}). The pages, reports, API and CLI
    all call this, so they rank and word the drivers alike.
    """
    data = np.asarray(rows, dtype=float)
    data = data[~np.isnan(data).any(axis=1)]
    return ranked_priorities_from_moments(
        Moments.from_rows(data),
        prca_moments(data[:, 0], data[:, 1:]),
        names,
        targets=targets,
        target_basis=target_basis,
    )


def ranked_priorities_from_moments(
    moments: Moments,
    prca: Moments,
    names: Sequence[str],
    *,
    targets: Mapping[str, float] | None = None,
    target_basis: str = "given",
) -> tuple[PriorityModel, dict[str, AsymmetricImpact]]:
    """:func:`ranked_priorities` from the moments of the complete cases (target first)
    and their penalty–reward moments (:func:`prca_moments`, default cuts 5 and 9):
    what the rollups give (:func:`complete_case_moments`)."""
    from klantpeil.metrics.priority import priorities

    asymmetry = {a.name: a for a in penalty_reward_from_moments(prca, names)}
    model = priorities(
        moments,
        names,
        targets=targets,
        target_basis=target_basis,
        dissatisfiers={
            name: DISSATISFIER_THRESHOLD
            for name, effect in asymmetry.items()
            if effect.kind == "dissatisfier"
        },
    )
    return model, asymmetry
