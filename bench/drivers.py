"""Driver analysis speed: exact Shapley/LMG from one pass of sufficient statistics,
against the naive way (one least-squares fit on the raw rows for each of the 2^p
subsets, as the PyPI dominance-analysis package does) in the same run.

    python bench/drivers.py            # n = 1,000,000 with p = 7; n = 100,000 with p = 12 (naive)

Prints JSON: seconds for each, the speed ratio, and the largest difference in
the importances (they must agree).
"""

from __future__ import annotations

import json
import sys
import time
from itertools import combinations
from math import factorial

import numpy as np

from klantpeil.analytics.drivers import Moments, lmg


def _data(n: int, p: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) + 0.5 * rng.normal(size=(n, 1))  # correlated drivers
    y = x @ rng.uniform(0.1, 1.0, p) + rng.normal(size=n)
    return np.column_stack([y, x])


def naive_lmg(data: np.ndarray) -> np.ndarray:
    """Fit every subset regression on the raw rows, then average the increments."""
    y, x = data[:, 0], data[:, 1:]
    n, p = x.shape
    total = ((y - y.mean()) ** 2).sum()
    r2 = {(): 0.0}
    for size in range(1, p + 1):
        for subset in combinations(range(p), size):
            design = np.column_stack([np.ones(n), x[:, subset]])
            coef, *_ = np.linalg.lstsq(design, y, rcond=None)
            r2[subset] = 1 - ((y - design @ coef) ** 2).sum() / total
    result = np.zeros(p)
    for subset, value in r2.items():
        for j in range(p):
            if j in subset:
                continue
            weight = factorial(len(subset)) * factorial(p - len(subset) - 1) / factorial(p)
            result[j] += weight * (r2[tuple(sorted((*subset, j)))] - value)
    return result


def run(n: int, p: int) -> dict:
    data = _data(n, p)
    started = time.perf_counter()
    own = lmg(Moments.from_rows(data)).importances
    own_seconds = time.perf_counter() - started
    print(f"  n={n:,} p={p}: own {own_seconds:.3f} s; naive running…", file=sys.stderr, flush=True)
    started = time.perf_counter()
    naive = naive_lmg(data)
    naive_seconds = time.perf_counter() - started
    return {
        "n": n,
        "p": p,
        "own_seconds": round(own_seconds, 4),
        "naive_seconds": round(naive_seconds, 3),
        "speedup_vs_naive": round(naive_seconds / own_seconds, 1),
        "max_abs_difference": float(np.abs(own - naive).max()),
    }


def main() -> None:
    results = [run(1_000_000, 7), run(100_000, 12)]
    data = _data(1_000_000, 12)
    started = time.perf_counter()
    lmg(Moments.from_rows(data))
    results.append(
        {
            "n": 1_000_000,
            "p": 12,
            "own_seconds": round(time.perf_counter() - started, 4),
            "naive_seconds": None,
            "note": "naive skipped: 4,095 fits on 1M rows",
        }
    )
    print(json.dumps({"benchmark": "drivers", "results": results}, indent=2))


if __name__ == "__main__":
    main()
