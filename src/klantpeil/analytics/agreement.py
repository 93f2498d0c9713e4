"""Agreement between evaluators who scored the same recorded contacts (calibration).

A measurement point whose scores depend on who listened needs a sharper
definition; these statistics say which. Plain module.

- Cohen's kappa (Cohen 1960): two raters, κ = (p_o − p_e) / (1 − p_e), with p_e
  from the product of the raters' marginal proportions.
- Fleiss' kappa (Fleiss 1971): a fixed number of raters per unit,
  κ = (P̄ − P̄_e) / (1 − P̄_e), P_i = (Σ_j n_ij² − n) / (n(n − 1)), P̄_e = Σ_j p_j².
- Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's
  Alpha-Reliability"): any number of raters, missing values allowed,
  α = 1 − D_o / D_e from the coincidence matrix, with the nominal, ordinal or
  interval difference function. Units with fewer than two values are left out.
  Thresholds: α ≥ 0.800 good, ≥ 0.667 tentative, below that poor.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

LEVELS = ("nominal", "ordinal", "interval")


@dataclass(frozen=True)
class Agreement:
    statistic: str
    value: float | None  # None: undefined (no variation, or nothing pairable)
    units: int  # contacts that contributed
    raters: int
    observed: float | None  # share of agreeing pairs (1 − D_o for alpha)
    ci_low: float | None = None  # bootstrap over units, when asked
    ci_high: float | None = None


def verdict(value: float | None) -> str:
    if value is None:
        return "undefined"
    return "good" if value >= 0.8 else "tentative" if value >= 0.667 else "poor"


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> Agreement:
    if len(a) != len(b):
        raise ValueError("both raters must score the same units")
    n = len(a)
    if n == 0:
        return Agreement("cohen_kappa", None, 0, 2, None)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    first, second = Counter(a), Counter(b)
    expected = sum(first[c] * second[c] for c in first) / n**2
    value = None if expected == 1 else (observed - expected) / (1 - expected)
    return Agreement("cohen_kappa", value, n, 2, observed)


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]]) -> Agreement:
    """``ratings[i]``: the categories the raters gave unit i (the same number per unit)."""
    sizes = {len(unit) for unit in ratings}
    if len(sizes) > 1:
        raise ValueError("Fleiss' kappa needs the same number of raters for every unit")
    raters = sizes.pop() if sizes else 0
    if not ratings or raters < 2:
        return Agreement("fleiss_kappa", None, len(ratings), raters, None)
    categories = sorted({c for unit in ratings for c in unit}, key=str)
    table = np.array([[Counter(unit)[c] for c in categories] for unit in ratings], dtype=float)
    per_unit = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    observed = float(per_unit.mean())
    shares = table.sum(axis=0) / table.sum()
    expected = float((shares**2).sum())
    value = None if expected == 1 else (observed - expected) / (1 - expected)
    return Agreement("fleiss_kappa", value, len(ratings), raters, observed)


def _coincidences(data: Sequence[Sequence[object]]) -> tuple[list, np.ndarray, int]:
    """Values, coincidence matrix o_ck and the number of pairable units."""
    columns = [[row[u] for row in data if row[u] is not None] for u in range(len(data[0]))]
    pairable = [values for values in columns if len(values) >= 2]
    values = sorted({v for unit in pairable for v in unit}, key=lambda v: (str(type(v)), v))
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for unit in pairable:
        counts = Counter(index[v] for v in unit)
        m = len(unit)
        for c, nc in counts.items():
            for k, nk in counts.items():
                o[c, k] += (nc * (nk - (c == k))) / (m - 1)
    return values, o, len(pairable)


def _distances(values: list, totals: np.ndarray, level: str) -> np.ndarray:
    size = len(values)
    if level == "nominal":
        return 1 - np.eye(size)
    if level == "interval":
        x = np.asarray(values, dtype=float)
        return (x[:, None] - x[None, :]) ** 2
    # Ordinal: the squared sum of the frequencies between two ranks, ends counted half.
    d = np.zeros((size, size))
    for c in range(size):
        for k in range(c + 1, size):
            between = totals[c : k + 1].sum() - (totals[c] + totals[k]) / 2
            d[c, k] = d[k, c] = between**2
    return d


def _alpha(data: Sequence[Sequence[object]], level: str) -> tuple[float | None, int]:
    values, o, units = _coincidences(data)
    totals = o.sum(axis=1)
    n = totals.sum()
    if n <= 1 or len(values) < 2:
        return None, units  # one value throughout: agreement cannot be told from chance
    d = _distances(values, totals, level)
    observed = float((o * d).sum() / n)
    expected = float((np.outer(totals, totals) * d).sum() / (n * (n - 1)))
    return (None if expected == 0 else 1 - observed / expected), units


def krippendorff_alpha(
    data: Sequence[Sequence[object]],
    level: str = "nominal",
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> Agreement:
    """``data[r][u]``: rater r's value for unit u; None where r did not score u."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    if not data or not data[0]:
        return Agreement("krippendorff_alpha", None, 0, len(data), None)
    value, units = _alpha(data, level)
    _values, o, _units = _coincidences(data)
    agreeing = float(np.trace(o) / o.sum()) if o.sum() else None
    low = high = None
    if bootstrap and value is not None:
        rng = np.random.default_rng(seed)
        matrix = np.array(data, dtype=object)
        draws = []
        for _ in range(bootstrap):
            pick = rng.integers(0, matrix.shape[1], matrix.shape[1])
            estimate = _alpha(matrix[:, pick].tolist(), level)[0]
            if estimate is not None:
                draws.append(estimate)
        if draws:
            low, high = (float(q) for q in np.percentile(draws, [2.5, 97.5]))
    return Agreement("krippendorff_alpha", value, units, len(data), agreeing, low, high)


def item_agreement(
    scores: Mapping[str, Mapping[str, Mapping[str, object]]],
    levels: Mapping[str, str] | None = None,
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Agreement]:
    """Krippendorff's alpha per measurement point: ``scores[item][contact][rater] = value``."""
    result = {}
    for item, by_contact in scores.items():
        contacts = sorted(by_contact)
        raters = sorted({r for given in by_contact.values() for r in given})
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
