"""Driver moments by answer pattern (what the rollups keep) and the shares' intervals
from the moments alone (a parametric bootstrap of the covariance matrix)."""

from __future__ import annotations

import numpy as np
import pytest

from klantpeil.metrics.drivers import (
    Moments,
    _shapley_batch,
    answered_counts,
    complete_case_moments,
    decode_cell,
    encode_cell,
    lmg,
    pattern_vectors,
    pattern_width,
    prca_moments,
    response_scores,
    shapley_values,
    unpack_patterns,
    wishart_share_intervals,
)

P = 4
BETA = np.array([0.5, 0.3, 0.15, 0.05])
RHO = 0.4


def _population() -> np.ndarray:
    """The covariance of (y, x): x equicorrelated with unit variances, y = xβ + e, Var e = 1."""
    rxx = np.full((P, P), RHO) + (1 - RHO) * np.eye(P)
    sigma = np.empty((P + 1, P + 1))
    sigma[1:, 1:] = rxx
    sigma[0, 1:] = sigma[1:, 0] = rxx @ BETA
    sigma[0, 0] = BETA @ rxx @ BETA + 1
    return sigma


def _normal_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.multivariate_normal(np.zeros(P + 1), _population(), size=n)


def _ratings(rows: np.ndarray) -> np.ndarray:
    """Rounded, clipped 1–10 ratings like the survey's (skewed towards the top)."""
    return np.clip(np.rint(7.2 + 1.6 * rows), 1, 10)


def test_response_scores_average_each_drivers_items_and_keep_only_graded_responses():
    ids, rows = response_scores(
        {"a": 8.0, "b": 6.0},
        [("a", 0, 7.0), ("a", 0, 8.0), ("a", 1, 5.0), ("b", 1, 9.0), ("c", 0, 1.0)],
        3,
    )
    assert ids == ["a", "b"]
    assert rows[0].tolist()[:3] == [8.0, 7.5, 5.0] and np.isnan(rows[0, 3])
    assert rows[1, 0] == 6.0 and np.isnan(rows[1, 1]) and rows[1, 2] == 9.0


def test_complete_case_moments_of_summed_patterns_equal_listwise_deletion_of_the_rows():
    rng = np.random.default_rng(4)
    rows = _ratings(_normal_rows(rng, 3000))
    rows[rng.random(rows.shape) < 0.08] = np.nan
    rows[:, 0] = np.where(np.isnan(rows[:, 0]), 7.0, rows[:, 0])  # graded responses only
    # Packed in three chunks (cells), summed packed, unpacked once: as the reader does.
    totals: dict[int, np.ndarray] = {}
    for chunk in np.array_split(rows, 3):
        masks, packed = pattern_vectors(chunk)
        assert packed.shape == (len(chunk), pattern_width(P))
        kinds = sorted(set(masks.tolist()))
        stored = encode_cell(kinds, np.array([packed[masks == m].sum(axis=0) for m in kinds]))
        for mask, row in zip(*decode_cell(*stored), strict=True):
            totals[mask] = totals.get(mask, 0) + row
    patterns = unpack_patterns(totals, P)
    assert sum(p.n for p in patterns) == len(rows)
    assert answered_counts(patterns, P).tolist() == (~np.isnan(rows[:, 1:])).sum(axis=0).tolist()
    for chosen in ([0, 1, 2, 3], [0, 2], [3]):
        data = rows[:, [0, *(1 + j for j in chosen)]]
        complete = data[~np.isnan(data).any(axis=1)]
        moments, prca = complete_case_moments(patterns, chosen)
        expected = Moments.from_rows(complete)
        assert moments.n == expected.n == prca.n
        assert moments.sums == pytest.approx(expected.sums, rel=1e-12)
        assert moments.products == pytest.approx(expected.products, rel=1e-12)
        dummies = prca_moments(complete[:, 0], complete[:, 1:])
        assert prca.sums == pytest.approx(dummies.sums, rel=1e-12)
        assert prca.products == pytest.approx(dummies.products, rel=1e-12)


def test_batched_shapley_values_equal_the_one_by_one_values():
    rng = np.random.default_rng(5)
    matrices = [np.corrcoef(_normal_rows(rng, 200).T) for _ in range(5)]
    batched = _shapley_batch(np.array(matrices))
    for matrix, row in zip(matrices, batched, strict=True):
        assert row == pytest.approx(shapley_values(matrix), abs=1e-14)


def _coverage(make_rows, truth: np.ndarray, sets: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    covered = np.zeros(P)
    for k in range(sets):
        intervals = wishart_share_intervals(Moments.from_rows(make_rows(rng, n)), seed=k)
        covered += (intervals[:, 0] <= truth) & (truth <= intervals[:, 1])
    return covered / sets


def test_share_intervals_cover_the_true_shares_of_normal_data_at_the_nominal_rate():
    importance = shapley_values(_population())
    truth = importance / importance.sum()
    coverage = _coverage(_normal_rows, truth, sets=200, n=400, seed=8)
    # Nominal 95%; the binomial sd of one driver's rate over 200 sets is 1.5 points.
    assert coverage.mean() == pytest.approx(0.95, abs=0.025), coverage
    assert coverage.min() >= 0.90, coverage


def test_share_intervals_cover_the_true_shares_of_rounded_ratings():
    """Bounded, discrete 1–10 ratings are not normal: the truth is the shares of a
    two-million-response sample of the same process."""
    big = _ratings(_normal_rows(np.random.default_rng(9), 2_000_000))
    truth = np.array([d.share for d in lmg(Moments.from_rows(big)).drivers])
    coverage = _coverage(
        lambda rng, n: _ratings(_normal_rows(rng, n)), truth, sets=200, n=400, seed=10
    )
    assert coverage.mean() == pytest.approx(0.95, abs=0.03), coverage
    assert coverage.min() >= 0.89, coverage


def test_share_intervals_are_reproducible_and_narrow_with_more_responses():
    rng = np.random.default_rng(11)
    small = Moments.from_rows(_normal_rows(rng, 200))
    large = Moments.from_rows(_normal_rows(rng, 20_000))
    assert (wishart_share_intervals(small) == wishart_share_intervals(small)).all()
    width = np.diff(wishart_share_intervals(small), axis=1)
    assert (np.diff(wishart_share_intervals(large), axis=1) < width / 5).all()
