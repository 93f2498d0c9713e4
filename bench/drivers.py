"""Driver analysis speed: exact Shapley/LMG from one pass of sufficient statistics,
against the PyPI ``dominance-analysis`` package (which fits every one of the
2^p − 1 subset regressions on the raw rows) on the same data, in the same run.

    pip install -e '.[bench]'          # the peer package
    python bench/drivers.py            # p = 7 at n = 1,000,000; p = 12 at 1,000,000 (own)
                                       # and at --peer-n (both), default 20,000

Prints JSON: our best-of-3 seconds, the peer's seconds on the same rows, the
speed ratio and the largest difference between the importances (they must
agree). The peer's 4,095 regressions on a million rows would take the better
part of an hour on this machine, so p = 12 is compared at ``--peer-n`` rows
and our time on a million rows is reported beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from importlib import metadata

import numpy as np

from klantpeil.metrics.drivers import Moments, lmg


def _data(n: int, p: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) + 0.5 * rng.normal(size=(n, 1))  # correlated drivers
    y = x @ rng.uniform(0.1, 1.0, p) + rng.normal(size=n)
    return np.column_stack([y, x])


def _peer():
    """The ``Dominance`` class, or None. The package (last released 2020) calls notebook
    display hooks when imported and uses ``np.bool8``, gone in NumPy 2: both are
    stubbed here so its computation runs unchanged."""
    try:
        os.environ.setdefault("TQDM_DISABLE", "1")
        np.bool8 = np.bool_  # type: ignore[attr-defined]
        import bokeh.io
        import plotly.offline

        bokeh.io.output_notebook = lambda *a, **k: None
        plotly.offline.init_notebook_mode = lambda *a, **k: None
        with contextlib.redirect_stdout(io.StringIO()):
            from dominance_analysis import Dominance
        return Dominance
    except ImportError:
        return None


def _own(data: np.ndarray) -> tuple[float, np.ndarray]:
    best, importances = float("inf"), None
    for _ in range(3):
        started = time.perf_counter()
        importances = lmg(Moments.from_rows(data)).importances
        best = min(best, time.perf_counter() - started)
    return best, importances


def _peer_run(dominance, data: np.ndarray) -> tuple[float, np.ndarray]:
    import pandas as pd

    p = data.shape[1] - 1
    names = [f"x{i}" for i in range(p)]
    frame = pd.DataFrame(data, columns=["y", *names])
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        analysis = dominance(data=frame, target="y", objective=1, top_k=p)
        increments = analysis.incremental_rsquare()
    return time.perf_counter() - started, np.array([increments[name] for name in names])


def run(n: int, p: int, peer_n: int, dominance) -> dict:
    data = _data(n, p)
    own_seconds, own = _own(data)
    print(f"  n={n:,} p={p}: own {own_seconds:.3f} s", file=sys.stderr, flush=True)
    result = {"n": n, "p": p, "own_seconds": round(own_seconds, 4)}
    if dominance is None:
        return {**result, "peer": "not installed (pip install dominance-analysis)"}
    if peer_n == n:
        sample, own_on_sample, own_sample = data, own_seconds, own
    else:
        sample = _data(peer_n, p)
        own_on_sample, own_sample = _own(sample)
    print(f"  peer on n={peer_n:,} p={p} running…", file=sys.stderr, flush=True)
    peer_seconds, peer = _peer_run(dominance, sample)
    return {
        **result,
        "peer": f"dominance-analysis {metadata.version('dominance-analysis')}",
        "peer_n": peer_n,
        "peer_seconds": round(peer_seconds, 2),
        "own_seconds_on_peer_n": round(own_on_sample, 4),
        "speedup": round(peer_seconds / own_on_sample, 1),
        "max_abs_difference": float(np.abs(own_sample - peer).max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--peer-n", type=int, default=20_000, help="rows for the peer at p = 12")
    args = parser.parse_args()
    dominance = _peer()
    results = [run(args.n, 7, args.n, dominance), run(args.n, 12, args.peer_n, dominance)]
    print(json.dumps({"benchmark": "drivers", "results": results}, indent=2))


if __name__ == "__main__":
    main()
