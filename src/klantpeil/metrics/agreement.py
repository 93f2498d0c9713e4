"""Agreement between evaluators who scored the same recorded contacts (calibration).

A measurement point whose scores depend on who listened needs a sharper
definition; these statistics say which. Plain module.

- Cohen's kappa (Cohen 1960, "A coefficient of agreement for nominal scales"):
  two raters, κ = (p_o − p_e) / (1 − p_e), with p_o the share of units on which
  they agree and p_e = Σ_c p_{1c}·p_{2c} from each rater's marginal proportions.
- Fleiss' kappa (Fleiss 1971, "Measuring nominal scale agreement among many
  raters"): n raters per unit, N units, n_ij raters putting unit i in category j;
  P_i = (Σ_j n_ij² − n) / (n(n − 1)), P̄ = mean P_i, p_j = Σ_i n_ij / (N·n),
  P̄_e = Σ_j p_j², κ = (P̄ − P̄_e) / (1 − P̄_e).
- Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's
  Alpha-Reliability"): any number of raters, missing values allowed. Units with
  fewer than two values are not pairable and left out. From the coincidence
  matrix o_ck = Σ_u (number of c-k pairs in u) / (m_u − 1), with n_c = Σ_k o_ck
  and n = Σ_c n_c: D_o = Σ_ck o_ck δ²_ck / n, D_e = Σ_ck n_c n_k δ²_ck / (n(n − 1)),
  α = 1 − D_o / D_e. Difference functions δ²_ck: nominal 0 if c = k else 1;
  ordinal (Σ_{g=c..k} n_g − (n_c + n_k) / 2)²; interval (c − k)².
  Thresholds: α ≥ 0.800 good, ≥ 0.667 tentative, below that poor.

The ordinal difference equals the squared distance between the values' mid-ranks
r_c = Σ_{g<c} n_g + n_c / 2, so ordinal alpha is interval alpha on mid-ranks, and
interval sums of squared differences follow from per-unit sums of values and of
squares: the computation needs no matrix of all value pairs, which keeps free
numeric items (with many distinct values) and bootstrap intervals cheap.

Bootstrap intervals resample units with replacement (seeded) and take the 2.5th
and 97.5th percentiles of the statistic over the draws where it is defined.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import sparse

LEVELS = ("nominal", "ordinal", "interval")


@dataclass(frozen=True)
class Agreement:
    statistic: str  # "cohen_kappa" | "fleiss_kappa" | "krippendorff_alpha"
    value: float | None  # None: undefined (no variation, or nothing pairable)
    units: int  # contacts that contributed
    raters: int
    observed: float | None  # share of agreeing pairs (for alpha: 1 − D_o on the nominal scale)
    ci_low: float | None = None  # 95% bootstrap interval over units, when asked
    ci_high: float | None = None
    expected: float | None = None  # the agreement share expected by chance (p_e, P̄_e)


def verdict(value: float | None) -> str:
    """Krippendorff's (2004, 2011) reading of alpha: ≥ 0.800 "good", ≥ 0.667 "tentative"
    (conclusions only tentatively), below that "poor"; "undefined" for None."""
    if value is None or math.isnan(value):
        return "undefined"
    return "good" if value >= 0.8 else "tentative" if value >= 0.667 else "poor"


def _missing(value: object) -> bool:
    # Spreadsheets and pandas hand over NaN for an empty cell.
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _weights(units: int, bootstrap: int, seed: int) -> np.ndarray:
    """How often each unit is drawn in each bootstrap sample: shape (bootstrap, units)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(units, np.full(units, 1 / units), size=bootstrap).astype(float)


def _interval(draws: np.ndarray) -> tuple[float | None, float | None]:
    defined = draws[~np.isnan(draws)]
    if not defined.size:
        return None, None
    low, high = np.percentile(defined, [2.5, 97.5])
    return float(low), float(high)


def _check_bootstrap(bootstrap: int) -> None:
    if bootstrap < 0:
        raise ValueError("bootstrap is the number of resamples: 0 (no interval) or more")


def _float(value: np.ndarray) -> float | None:
    return None if np.isnan(value) else float(value)


# --- Cohen ----------------------------------------------------------------------------------


def _cohen(weights: np.ndarray, same: np.ndarray, first: np.ndarray, second: np.ndarray):
    """Kappa, p_o and p_e for each row of unit weights; NaN where p_e = 1."""
    n = weights.sum(axis=1)
    observed = weights @ same / n
    # Marginal counts are whole numbers, so p_e = 1 is detected exactly.
    products = ((weights @ first) * (weights @ second)).sum(axis=1)
    expected = products / n**2
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(products == n**2, np.nan, (observed - expected) / (1 - expected))
    return kappa, observed, expected


def cohen_kappa(
    a: Sequence[Hashable], b: Sequence[Hashable], *, bootstrap: int = 0, seed: int = 0
) -> Agreement:
    """Cohen's kappa of two raters who scored the same units, ``a[u]`` and ``b[u]``.

    Units where either rater has no value (None or NaN) are left out. The value is
    None when the raters use one and the same category throughout (p_e = 1) or no
    unit remains.
    """
    if len(a) != len(b):
        raise ValueError(f"both raters must score the same units ({len(a)} and {len(b)} given)")
    _check_bootstrap(bootstrap)
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if not _missing(x) and not _missing(y)]
    if not pairs:
        return Agreement("cohen_kappa", None, 0, 2, None)
    index: dict[Hashable, int] = {}
    for pair in pairs:
        for category in pair:
            index.setdefault(category, len(index))
    eye = np.eye(len(index))
    first = eye[[index[x] for x, _ in pairs]]
    second = eye[[index[y] for _, y in pairs]]
    same = np.array([x == y for x, y in pairs], dtype=float)
    kappa, observed, expected = _cohen(np.ones((1, len(pairs))), same, first, second)
    low = high = None
    if bootstrap and not np.isnan(kappa[0]):
        low, high = _interval(_cohen(_weights(len(pairs), bootstrap, seed), same, first, second)[0])
    return Agreement(
        "cohen_kappa",
        _float(kappa[0]),
        len(pairs),
        2,
        float(observed[0]),
        low,
        high,
        float(expected[0]),
    )


# --- Fleiss ---------------------------------------------------------------------------------


def _fleiss(weights: np.ndarray, table: np.ndarray, raters: int):
    """Kappa, P̄ and P̄_e for each row of unit weights; NaN where P̄_e = 1."""
    units = weights.sum(axis=1)
    per_unit = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    observed = weights @ per_unit / units
    counts = weights @ table
    # One category throughout is P̄_e = 1; compare whole counts to detect it exactly.
    single = (counts > 0).sum(axis=1) == 1
    expected = ((counts / (units * raters)[:, None]) ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(single, np.nan, (observed - expected) / (1 - expected))
    return kappa, observed, expected


def fleiss_kappa(
    ratings: Sequence[Sequence[Hashable]], *, bootstrap: int = 0, seed: int = 0
) -> Agreement:
    """Fleiss' kappa: ``ratings[u]`` holds the categories unit u's raters gave it.

    Every unit needs the same number of ratings (the raters need not be the same
    people). The value is None with fewer than two ratings per unit, no units, or one
    category throughout.
    """
    _check_bootstrap(bootstrap)
    sizes = {len(unit) for unit in ratings}
    if len(sizes) > 1:
        raise ValueError(
            "Fleiss' kappa needs the same number of ratings for every unit, "
            f"got {', '.join(map(str, sorted(sizes)))}"
        )
    raters = sizes.pop() if sizes else 0
    if any(_missing(c) for unit in ratings for c in unit):
        raise ValueError("Fleiss' kappa cannot handle missing ratings; use Krippendorff's alpha")
    if not ratings or raters < 2:
        return Agreement("fleiss_kappa", None, len(ratings), raters, None)
    index: dict[Hashable, int] = {}
    for unit in ratings:
        for category in unit:
            index.setdefault(category, len(index))
    table = np.zeros((len(ratings), len(index)))
    for u, unit in enumerate(ratings):
        for category in unit:
            table[u, index[category]] += 1
    kappa, observed, expected = _fleiss(np.ones((1, len(ratings))), table, raters)
    low = high = None
    if bootstrap and not np.isnan(kappa[0]):
        low, high = _interval(_fleiss(_weights(len(ratings), bootstrap, seed), table, raters)[0])
    return Agreement(
        "fleiss_kappa",
        _float(kappa[0]),
        len(ratings),
        raters,
        float(observed[0]),
        low,
        high,
        float(expected[0]),
    )


# --- Krippendorff ---------------------------------------------------------------------------


def _alpha(weights: np.ndarray, counts: sparse.csr_array, values: np.ndarray | None, level: str):
    """Alpha, observed and expected agreement share per row of unit weights.

    ``counts[u, c]``: how often value c occurs in pairable unit u (sparse: a unit
    holds at most one value per rater); ``values``: the numeric values (None for
    nominal). NaN where alpha is undefined.
    """
    m = np.asarray(counts.sum(axis=1)).ravel()
    inverse = 1 / (m - 1)
    totals = (counts.T @ weights.T).T  # n_c per draw
    n = totals.sum(axis=1)
    # The nominal shares are reported at every level: they read as "agreed exactly".
    pairs = counts.copy()
    pairs.data = pairs.data * (pairs.data - 1)
    matching = weights @ (np.asarray(pairs.sum(axis=1)).ravel() * inverse)
    observed = matching / n
    expected = (totals * (totals - 1)).sum(axis=1) / (n * (n - 1))
    if level == "nominal":
        disagree, chance = 1 - observed, 1 - expected
    else:
        if level == "interval":
            x = (values - values.mean())[None, :]  # centred: less cancellation
        else:
            x = np.cumsum(totals, axis=1) - totals / 2  # mid-ranks of this draw
        # Σ_{i≠j in unit} (x_i − x_j)² = 2 (m Σ x² − (Σ x)²), per unit (and draw).
        first = counts @ x.T
        second = counts @ (x**2).T
        within = 2 * (m[:, None] * second - first**2) * inverse[:, None]
        if level == "interval":
            disagree = weights @ within[:, 0] / n
        else:
            disagree = np.einsum("bu,ub->b", weights, within) / n
        spread = 2 * (n * (totals * x**2).sum(axis=1) - (totals * x).sum(axis=1) ** 2)
        chance = spread / (n * (n - 1))
    # One value throughout cannot be told from chance: D_e = 0.
    undefined = (totals > 0).sum(axis=1) < 2
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(undefined, np.nan, 1 - disagree / chance)
    return alpha, observed, expected


def _encode(
    data: Sequence[Sequence[object]], level: str
) -> tuple[sparse.csr_array, np.ndarray | None, int]:
    """Counts per pairable unit and value, the numeric values, and the rater count."""
    size = len(data[0])
    if any(len(row) != size for row in data):
        raise ValueError("every rater needs a value (or None) for every unit")
    present = [[row[u] for row in data if not _missing(row[u])] for u in range(size)]
    raters = sum(any(not _missing(v) for v in row) for row in data)
    pairable = [unit for unit in present if len(unit) >= 2]
    if level == "nominal":
        index: dict[object, int] = {}
        for unit in pairable:
            for value in unit:
                index.setdefault(value, len(index))
        numbers = None
    else:
        odd = next(
            (v for unit in pairable for v in unit if not isinstance(v, Real | np.number)), None
        )
        if odd is not None:
            raise ValueError(f"the {level} level needs numeric values, got {odd!r}")
        numbers = np.array(sorted({float(v) for unit in pairable for v in unit}))
        index = {v: i for i, v in enumerate(numbers.tolist())}
    rows = [u for u, unit in enumerate(pairable) for _ in unit]
    columns = [index[v if level == "nominal" else float(v)] for unit in pairable for v in unit]
    # Repeated (unit, value) entries add up: the counts.
    counts = sparse.coo_array(
        (np.ones(len(rows)), (rows, columns)), shape=(len(pairable), len(index))
    ).tocsr()
    counts.sum_duplicates()
    return counts, numbers, raters


def krippendorff_alpha(
    data: Sequence[Sequence[float | str | None]],
    level: str = "nominal",
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> Agreement:
    """Krippendorff's alpha: ``data[r][u]`` is rater r's value for unit u, None (or NaN)
    where r did not score u; ``level`` is nominal, ordinal or interval.

    ``units`` counts the pairable units (two or more values) and ``raters`` the raters
    with at least one value. ``observed`` and ``expected`` are the shares of pairable
    value pairs that match exactly, in the data and by chance (1 − D_o and 1 − D_e on
    the nominal scale). The value is None when nothing is pairable or all pairable
    values are the same. Ordinal and interval need numbers; ordinal uses their order.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    _check_bootstrap(bootstrap)
    if not data or not data[0]:
        return Agreement("krippendorff_alpha", None, 0, 0, None)
    counts, numbers, raters = _encode(data, level)
    if not counts.shape[0]:
        return Agreement("krippendorff_alpha", None, 0, raters, None)
    alpha, observed, expected = _alpha(np.ones((1, counts.shape[0])), counts, numbers, level)
    low = high = None
    if bootstrap and not np.isnan(alpha[0]):
        draws = _weights(counts.shape[0], bootstrap, seed)
        # In slices, so a large item with many draws stays small in memory.
        low, high = _interval(
            np.concatenate(
                [
                    _alpha(draws[k : k + 256], counts, numbers, level)[0]
                    for k in range(0, bootstrap, 256)
                ]
            )
        )
    return Agreement(
        "krippendorff_alpha",
        _float(alpha[0]),
        counts.shape[0],
        raters,
        float(observed[0]),
        low,
        high,
        float(expected[0]),
    )


def item_agreement(
    scores: Mapping[str, Mapping[str, Mapping[str, object]]],
    levels: Mapping[str, str] | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Agreement]:
    """Krippendorff's alpha per measurement point: ``scores[item][contact][rater] = value``.

    Any number of raters, and any of them may have skipped a contact or item (absent
    or None). ``levels[item]`` gives the item's level, nominal by default.
    """
    result = {}
    for item, by_contact in scores.items():
        contacts = sorted(by_contact, key=str)
        raters = sorted({r for given in by_contact.values() for r in given}, key=str)
        data = [[by_contact[c].get(r) for c in contacts] for r in raters]
        level = (levels or {}).get(item, "nominal")
        result[item] = krippendorff_alpha(data, level, bootstrap=bootstrap, seed=seed)
    return result


def scores_from_rows(rows: Sequence[Mapping[str, object]], contact: str, rater: str) -> dict:
    """Long rows (one per contact × rater, an item per column) into ``item_agreement``'s shape."""
    scores: dict = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        for item, value in row.items():
            if item in (contact, rater) or value in (None, ""):
                continue
            scores[item][row[contact]][row[rater]] = value
    return {item: dict(by_contact) for item, by_contact in scores.items()}
