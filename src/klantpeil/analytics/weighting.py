"""Weighting responses to real contact volumes (post-stratification).

When e-mail is 20% of the responses but half of the contacts, an unweighted
average says more about the phone than the organisation. Weights per cell
(channel, unit, …) make the sample's mix match the population's; the price is
a smaller effective sample (Kish 1965: n_eff = (Σw)² / Σw²). Plain module.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Weighting:
    weights: dict[Hashable, float]  # weight of one response in each cell
    effective_n: float
    n: int
    missing_cells: list[Hashable]  # population cells without any response: not represented


def post_stratify(
    sample: Mapping[Hashable, int], population: Mapping[Hashable, float]
) -> Weighting:
    """w_c = (N_c / N) / (n_c / n) for every cell with responses.

    Cells with contacts but no responses cannot be weighted up from nothing; they
    are reported in ``missing_cells`` and the weights are computed over the rest.
    """
    missing = [cell for cell, volume in population.items() if volume > 0 and not sample.get(cell)]
    cells = [c for c, count in sample.items() if count > 0 and population.get(c, 0) > 0]
    unknown = [c for c, count in sample.items() if count > 0 and c not in population]
    if unknown:
        raise ValueError(f"no contact volume for {', '.join(map(str, unknown))}")
    n = sum(sample[c] for c in cells)
    volume = sum(population[c] for c in cells)
    if n == 0 or volume == 0:
        raise ValueError("nothing to weight: no cell has both responses and contacts")
    weights = {c: (population[c] / volume) / (sample[c] / n) for c in cells}
    total = sum(sample[c] * weights[c] for c in cells)
    squares = sum(sample[c] * weights[c] ** 2 for c in cells)
    return Weighting(weights, total * total / squares, n, missing)


def weighted_mean(cells: Mapping[Hashable, tuple[int, float]], weighting: Weighting) -> float:
    """Mean over cells given as (n, Σx), each response counted with its cell's weight."""
    weighted_n = sum(cells[c][0] * w for c, w in weighting.weights.items() if c in cells)
    weighted_total = sum(cells[c][1] * w for c, w in weighting.weights.items() if c in cells)
    return weighted_total / weighted_n
