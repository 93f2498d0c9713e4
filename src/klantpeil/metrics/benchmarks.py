"""Sector benchmarks and the employee-customer correlation. Plain module.

The sector benchmark's rules (which cells are shown, and how, so that no
organisation can recover a peer's figure) are in ``klantpeil.metrics.disclosure``;
the one read across organisations that feeds them is
``analytics.sector._sector_sums``. The old distribution (mean, interpolated
quartiles and percentile rank of the organisation means) is gone: on five
organisations its quartiles were three peers' own figures and the mean gave the
fifth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from klantpeil.metrics.disclosure import MIN_ORGANISATIONS, MIN_RESPONSES

__all__ = ["MIN_ORGANISATIONS", "MIN_RESPONSES", "Correlation", "correlation"]


@dataclass(frozen=True)
class Correlation:
    r: float
    n: int
    ci_low: float
    ci_high: float
    p_value: float


def correlation(x: list[float], y: list[float]) -> Correlation | None:
    """Pearson r with its 95% interval (Fisher z) and p-value; None below 4 pairs.

    Used to link employee results to customer results across units: each pair is
    one unit's employee score and customer score.
    """
    from scipy import stats as scipy_stats

    pairs = np.array(
        [(a, b) for a, b in zip(x, y, strict=True) if np.isfinite(a) and np.isfinite(b)]
    )
    if len(pairs) < 4:
        return None
    r, p = scipy_stats.pearsonr(pairs[:, 0], pairs[:, 1])
    z, se = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1 / np.sqrt(len(pairs) - 3)
    return Correlation(
        float(r),
        len(pairs),
        float(np.tanh(z - 1.959964 * se)),
        float(np.tanh(z + 1.959964 * se)),
        float(p),
    )
