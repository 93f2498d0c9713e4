"""Key driver analysis against relaimpo's published swiss example and brute force."""

from __future__ import annotations

import csv
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest

from klantpeil.analytics.drivers import Moments, analyse, lmg, relative_weights, subset_r2

SWISS = Path(__file__).parent / "data" / "swiss.csv"
DRIVERS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
# Grömping, relaimpo vignette (2006): calc.relimp(swiss, type="lmg"), rela = FALSE and TRUE.
LMG = [0.05709122, 0.17117303, 0.26013468, 0.10557015, 0.11276592]
LMG_SHARE = [0.08078165, 0.24220256, 0.36807952, 0.14937728, 0.15955899]
R2 = 0.70673500
# Johnson's raw weights for the same model (reference note; relativeImp agrees to 6e-16).
JOHNSON = [0.04841690, 0.15470825, 0.27196410, 0.11468003, 0.11696572]


def _swiss() -> np.ndarray:
    with SWISS.open() as handle:
        rows = list(csv.DictReader(handle))
    return np.array([[float(r["Fertility"])] + [float(r[d]) for d in DRIVERS] for r in rows])


def test_lmg_reproduces_relaimpos_published_swiss_example():
    result = analyse(Moments.from_rows(_swiss()), DRIVERS)
    assert result.n == 47
    assert result.r2 == pytest.approx(R2, abs=1e-7)
    assert [d.importance for d in result.drivers] == pytest.approx(LMG, abs=1e-7)
    assert [d.share for d in result.drivers] == pytest.approx(LMG_SHARE, abs=1e-7)
    assert [d.rank for d in result.drivers] == [5, 2, 1, 4, 3]


def test_relative_weights_reproduce_johnson_on_swiss():
    result = analyse(Moments.from_rows(_swiss()), DRIVERS, method="relative-weights")
    assert [d.importance for d in result.drivers] == pytest.approx(JOHNSON, abs=1e-7)
    assert result.r2 == pytest.approx(R2, abs=1e-7)


def test_the_full_models_r2_matches_ordinary_least_squares():
    data = _swiss()
    design = np.column_stack([np.ones(len(data)), data[:, 1:]])
    residual = data[:, 0] - design @ np.linalg.lstsq(design, data[:, 0], rcond=None)[0]
    ols_r2 = 1 - residual.var() / data[:, 0].var()
    assert subset_r2(Moments.from_rows(data).correlation())[-1] == pytest.approx(ols_r2, abs=1e-12)


def test_lmg_equals_the_average_over_all_orderings():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 4)) @ rng.normal(size=(4, 4))
    y = x @ np.array([0.5, -1.0, 0.2, 0.8]) + rng.normal(size=400)
    correlation = Moments.from_rows(np.column_stack([y, x])).correlation()
    r2 = subset_r2(correlation)
    brute = np.zeros(4)
    for order in permutations(range(4)):
        mask = 0
        for j in order:
            brute[j] += r2[mask | (1 << j)] - r2[mask]
            mask |= 1 << j
    assert lmg(correlation) == pytest.approx(brute / 24, abs=1e-12)


def test_chunks_add_up_to_one_pass_and_rescaling_changes_nothing():
    data = _swiss()
    whole = Moments.from_rows(data)
    parts = Moments.from_rows(data[:20]) + Moments.from_rows(data[20:])
    assert np.allclose(parts.products, whole.products) and parts.n == whole.n
    rescaled = data.copy()
    rescaled[:, 2] = rescaled[:, 2] * 10 + 3
    assert lmg(Moments.from_rows(rescaled).correlation()) == pytest.approx(
        lmg(whole.correlation()), abs=1e-12
    )


def test_missing_answers_are_left_out_listwise():
    data = _swiss()
    gappy = np.vstack([data, [[70.0, np.nan, 10, 10, 50, 20]]])
    assert Moments.from_rows(gappy).n == 47


def test_bad_input_says_what_is_wrong():
    with pytest.raises(ValueError, match="at least 3"):
        Moments.from_rows(_swiss()[:2]).correlation()
    constant = _swiss()
    constant[:, 1] = 5
    with pytest.raises(ValueError, match="does not vary"):
        Moments.from_rows(constant).correlation()
    with pytest.raises(ValueError, match="unknown method"):
        analyse(Moments.from_rows(_swiss()), DRIVERS, method="magic")


def test_relative_weights_sum_to_r2_on_correlated_drivers():
    rng = np.random.default_rng(9)
    base = rng.normal(size=(1000, 1))
    x = base + 0.5 * rng.normal(size=(1000, 6))
    y = x.sum(axis=1) + rng.normal(size=1000)
    correlation = Moments.from_rows(np.column_stack([y, x])).correlation()
    assert relative_weights(correlation).sum() == pytest.approx(subset_r2(correlation)[-1])


def _planted(n=6000, seed=1):
    """waiting only hurts when low, warmth only helps when high, reliability works both ways."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 11, size=(n, 3)).astype(float)
    waiting, warmth, reliability = x.T
    y = 7 - 1.5 * (waiting <= 5) + 1.2 * (warmth >= 9) + 0.3 * (reliability - 5.5)
    return y + rng.normal(0, 0.8, n), x


def test_penalty_reward_finds_planted_dissatisfier_satisfier_and_hybrid():
    from klantpeil.analytics.drivers import penalty_reward

    y, x = _planted()
    result = {r.name: r for r in penalty_reward(y, x, ["waiting", "warmth", "reliability"])}
    assert result["waiting"].kind == "dissatisfier"
    assert result["waiting"].penalty == pytest.approx(1.5, abs=0.1)
    assert result["waiting"].impact_asymmetry < -0.8
    assert result["warmth"].kind == "satisfier"
    assert result["warmth"].reward == pytest.approx(1.2, abs=0.1)
    assert result["reliability"].kind == "hybrid"
    assert not any(r.wrong_sign for r in result.values())


def test_importance_performance_ranks_the_important_weak_driver_first():
    from klantpeil.analytics.drivers import importance_performance

    rng = np.random.default_rng(2)
    x = rng.normal(size=(3000, 3))
    y = 2 * x[:, 0] + 0.3 * x[:, 1] + 0.3 * x[:, 2] + rng.normal(size=3000)
    result = analyse(Moments.from_rows(np.column_stack([y, x])), ["empathy", "menu", "access"])
    ranked = importance_performance(result, {"empathy": 6.0, "menu": 8.5, "access": 6.2})
    assert ranked[0].name == "empathy"
    assert ranked[0].quadrant == "concentrate_here"
    assert {p.name: p.quadrant for p in ranked}["menu"] == "possible_overkill"
    assert ranked[0].score == pytest.approx(ranked[0].share * 4.0)


def test_bootstrap_intervals_cover_the_estimate_and_narrow_with_n():
    from klantpeil.analytics.drivers import bootstrap_shares

    data = _swiss()
    result = analyse(Moments.from_rows(data), DRIVERS)
    intervals = bootstrap_shares(data, resamples=300, seed=5)
    assert intervals.shape == (5, 2)
    for driver, (low, high) in zip(result.drivers, intervals, strict=True):
        assert low < driver.share < high
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 3))
    big = np.column_stack([x @ [1.0, 0.5, 0.2] + rng.normal(size=4000), x])
    small_width = np.diff(bootstrap_shares(big[:200], seed=2), axis=1).mean()
    large_width = np.diff(bootstrap_shares(big, seed=2), axis=1).mean()
    assert large_width < small_width / 2
    # Same seed, same interval.
    assert np.array_equal(
        bootstrap_shares(data, seed=5, resamples=50), bootstrap_shares(data, seed=5, resamples=50)
    )
