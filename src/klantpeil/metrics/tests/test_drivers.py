"""Key driver analysis against relaimpo's published swiss example, brute force and OLS."""

from __future__ import annotations

import csv
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest

from klantpeil.metrics.drivers import (
    MAX_RESAMPLES,
    Moments,
    analyse,
    bootstrap,
    bootstrap_shares,
    importance_performance,
    lmg,
    penalty_reward,
    penalty_reward_from_moments,
    prca_moments,
    relative_weights,
    subset_r2,
)

# R's datasets::swiss (public domain), as shipped in pydataset's resources archive.
SWISS = Path(__file__).parent / "data" / "swiss.csv"
DRIVERS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
# Grömping, relaimpo vignettes (2005, 2006): calc.relimp(swiss, ...), rela = FALSE and TRUE.
R2 = 0.70673500
LMG = [0.05709122, 0.17117303, 0.26013468, 0.10557015, 0.11276592]
LMG_SHARE = [0.08078165, 0.24220256, 0.36807952, 0.14937728, 0.15955899]
FIRST = [0.1246649, 0.4171645, 0.4406156, 0.2150035, 0.1735189]
LAST = [0.042869607, 0.007387419, 0.161962693, 0.062372626, 0.056945259]
# Johnson's raw weights for the same model (reference note; relativeImp agrees to 6e-16).
JOHNSON = [0.04841690, 0.15470825, 0.27196410, 0.11468003, 0.11696572]
# Weights 1 + (row mod 3), rows numbered from 1: relaimpo 2.2-7 as quoted in the note.
WEIGHTED_R2 = 0.694332891423
WEIGHTED_LMG = [0.0518208063017, 0.1549452302086, 0.2559770835712, 0.1019573530969, 0.1296324182449]


def _swiss() -> np.ndarray:
    with SWISS.open() as handle:
        rows = list(csv.DictReader(handle))
    return np.array([[float(r["Fertility"])] + [float(r[d]) for d in DRIVERS] for r in rows])


def _correlated(n: int, p: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) + 0.7 * rng.normal(size=(n, 1))
    y = x @ rng.uniform(-0.5, 1.0, p) + rng.normal(size=n)
    return np.column_stack([y, x])


def _ols_r2(y: np.ndarray, x: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return 1 - (residual @ residual) / ((y - y.mean()) @ (y - y.mean()))


def test_the_swiss_file_is_rs_data_set():
    data = _swiss()
    assert data.shape == (47, 6)
    assert data[0].tolist() == [80.2, 17, 15, 12, 9.96, 22.2]  # Courtelary
    assert data[:, 0].mean() == pytest.approx(70.14255, abs=1e-5)


def test_lmg_reproduces_relaimpos_published_swiss_example():
    result = lmg(Moments.from_rows(_swiss()), DRIVERS)
    assert (result.n, result.method) == (47, "shapley")
    assert result.r2 == pytest.approx(R2, abs=1e-8)
    assert [d.name for d in result.drivers] == DRIVERS
    assert [d.importance for d in result.drivers] == pytest.approx(LMG, abs=1e-8)
    assert [d.share for d in result.drivers] == pytest.approx(LMG_SHARE, abs=1e-8)
    assert [d.rank for d in result.drivers] == [5, 2, 1, 4, 3]
    assert sum(d.importance for d in result.drivers) == pytest.approx(result.r2, abs=1e-15)


def test_subset_r2_gives_relaimpos_first_and_last():
    r2 = subset_r2(Moments.from_rows(_swiss()).correlation())
    full = (1 << 5) - 1
    assert [r2[1 << j] for j in range(5)] == pytest.approx(FIRST, abs=1e-7)
    assert [r2[full] - r2[full & ~(1 << j)] for j in range(5)] == pytest.approx(LAST, abs=1e-9)
    assert r2[0] == 0.0


def test_every_subset_r2_matches_ordinary_least_squares():
    data = _swiss()
    r2 = subset_r2(Moments.from_rows(data).correlation())
    for mask in range(1, 32):
        columns = [j + 1 for j in range(5) if mask >> j & 1]
        assert r2[mask] == pytest.approx(_ols_r2(data[:, 0], data[:, columns]), abs=1e-12)


def test_relative_weights_reproduce_johnson_on_swiss():
    result = relative_weights(Moments.from_rows(_swiss()), DRIVERS)
    assert result.method == "relative-weights"
    assert [d.importance for d in result.drivers] == pytest.approx(JOHNSON, abs=1e-8)
    assert result.r2 == pytest.approx(R2, abs=1e-8)
    assert [d.rank for d in result.drivers] == [5, 2, 1, 4, 3]


def test_weighted_lmg_reproduces_the_weighted_swiss_example():
    weights = 1 + np.arange(1, 48) % 3
    result = lmg(Moments.from_rows(_swiss(), weights), DRIVERS)
    assert result.r2 == pytest.approx(WEIGHTED_R2, abs=1e-10)
    assert [d.importance for d in result.drivers] == pytest.approx(WEIGHTED_LMG, abs=1e-10)


def test_whole_number_weights_are_the_same_as_repeating_rows():
    data = _swiss()
    weights = 1 + np.arange(1, 48) % 3
    weighted = Moments.from_rows(data, weights)
    repeated = Moments.from_rows(np.repeat(data, weights, axis=0))
    assert weighted.correlation() == pytest.approx(repeated.correlation(), abs=1e-12)
    assert weighted.means() == pytest.approx(repeated.means(), abs=1e-12)
    assert (weighted.n, weighted.total_weight) == (47, float(weights.sum()))


def test_analyse_dispatches_by_method_name():
    moments = Moments.from_rows(_swiss())
    assert analyse(moments, DRIVERS) == lmg(moments, DRIVERS)
    assert analyse(moments, DRIVERS, "relative-weights") == relative_weights(moments, DRIVERS)
    assert set(analyse(moments, DRIVERS).as_dict()["drivers"][0]) == {
        "name",
        "importance",
        "share",
        "rank",
    }
    with pytest.raises(ValueError, match="unknown method"):
        analyse(moments, DRIVERS, method="magic")


def test_lmg_equals_the_average_over_all_orderings_by_brute_force():
    data = _correlated(400, 4, seed=3)
    y, x = data[:, 0], data[:, 1:]
    brute = np.zeros(4)
    for order in permutations(range(4)):
        before: list[int] = []
        for j in order:
            gain = _ols_r2(y, x[:, [*before, j]]) - (_ols_r2(y, x[:, before]) if before else 0.0)
            brute[j] += gain
            before.append(j)
    assert lmg(Moments.from_rows(data)).importances == pytest.approx(brute / 24, abs=1e-12)


def test_lmg_and_johnson_sum_to_r2_on_correlated_drivers():
    data = _correlated(2000, 8, seed=9)
    moments = Moments.from_rows(data)
    full_r2 = _ols_r2(data[:, 0], data[:, 1:])
    shapley, johnson = lmg(moments), relative_weights(moments)
    assert shapley.importances.sum() == pytest.approx(full_r2, abs=1e-12)
    assert johnson.importances.sum() == pytest.approx(full_r2, abs=1e-12)
    assert shapley.r2 == pytest.approx(johnson.r2, abs=1e-12)
    assert sum(d.share for d in shapley.drivers) == pytest.approx(1.0, abs=1e-12)
    # With correlated drivers the two methods differ: Johnson only approximates LMG.
    assert np.abs(shapley.importances - johnson.importances).max() > 1e-3


def test_johnson_equals_lmg_for_two_drivers():
    data = _correlated(500, 2, seed=4)
    assert relative_weights(Moments.from_rows(data)).importances == pytest.approx(
        lmg(Moments.from_rows(data)).importances, abs=1e-12
    )


def test_rescaling_a_driver_or_the_target_changes_nothing():
    data = _swiss()
    rescaled = data.copy()
    rescaled[:, 3] = rescaled[:, 3] * 10 + 3  # Education in other units
    rescaled[:, 0] = rescaled[:, 0] / 100 - 7
    for method in (lmg, relative_weights):
        assert method(Moments.from_rows(rescaled)).importances == pytest.approx(
            method(Moments.from_rows(data)).importances, abs=1e-12
        )


def test_chunks_add_up_to_one_pass():
    data = _correlated(3000, 6, seed=2)
    data[::17, 3] = np.nan  # unanswered, left out listwise in every chunk alike
    whole = Moments.from_rows(data)
    added = Moments.from_rows(data[:1000]) + Moments.from_rows(data[1000:2200])
    added = added + Moments.from_rows(data[2200:])
    streamed = Moments.from_chunks(np.array_split(data, 7))
    for parts in (added, streamed):
        assert parts.n == whole.n == 3000 - len(range(0, 3000, 17))
        assert parts.sums == pytest.approx(whole.sums, rel=1e-12)
        assert parts.products == pytest.approx(whole.products, rel=1e-12)
        assert lmg(parts).importances == pytest.approx(lmg(whole).importances, abs=1e-12)
    with pytest.raises(ValueError, match="different columns"):
        _ = whole + Moments.from_rows(data[:, :3])


def test_a_correlation_or_covariance_matrix_is_accepted_without_n():
    data = _swiss()
    from_rows = lmg(Moments.from_rows(data), DRIVERS)
    from_corr = lmg(np.corrcoef(data, rowvar=False), DRIVERS)
    from_cov = lmg(np.cov(data, rowvar=False), DRIVERS)
    assert from_corr.n is None and from_rows.n == 47
    for other in (from_corr, from_cov):
        assert other.importances == pytest.approx(from_rows.importances, abs=1e-12)
    with pytest.raises(ValueError, match="symmetric"):
        lmg(np.array([[1.0, 0.5], [0.2, 1.0]]))


def test_missing_answers_are_left_out_listwise():
    data = _swiss()
    gappy = np.vstack([data, [[70.0, np.nan, 10, 10, 50, 20]], [[np.nan, 40, 10, 10, 50, 20]]])
    moments = Moments.from_rows(gappy)
    assert moments.n == 47
    assert lmg(moments).importances == pytest.approx(LMG, abs=1e-8)


def test_a_duplicated_driver_gets_two_equal_shares_and_johnson_refuses():
    data = _correlated(500, 3, seed=6)
    doubled = np.column_stack([data, data[:, 1]])
    result = lmg(Moments.from_rows(doubled))  # singular subsets: the pseudo-inverse path
    single = lmg(Moments.from_rows(data))
    assert result.importances[0] == pytest.approx(result.importances[3], abs=1e-12)
    assert result.r2 == pytest.approx(single.r2, abs=1e-9)
    with pytest.raises(ValueError, match="collinear"):
        relative_weights(Moments.from_rows(doubled))


def test_bad_input_says_what_is_wrong():
    data = _swiss()
    with pytest.raises(ValueError, match="at least 7 complete responses"):
        lmg(Moments.from_rows(data[:6]))
    with pytest.raises(ValueError, match="at least 2 complete responses"):
        Moments.from_rows(data[:1]).correlation()
    constant = data.copy()
    constant[:, 2] = 5
    with pytest.raises(ValueError, match="driver 2 does not vary"):
        lmg(Moments.from_rows(constant))
    with pytest.raises(ValueError, match="one name per driver"):
        lmg(Moments.from_rows(data), DRIVERS[:4])
    with pytest.raises(ValueError, match="at most 15 drivers"):
        lmg(Moments.from_rows(_correlated(100, 16, seed=1)))
    with pytest.raises(ValueError, match="one weight per row"):
        Moments.from_rows(data, np.ones(3))


def test_fifteen_drivers_exactly():
    data = _correlated(2000, 15, seed=12)
    result = lmg(Moments.from_rows(data))
    assert result.importances.sum() == pytest.approx(_ols_r2(data[:, 0], data[:, 1:]), abs=1e-10)
    assert sorted(d.rank for d in result.drivers) == list(range(1, 16))


def _planted(n=6000, seed=1):
    """waiting only hurts when low, warmth only helps when high, reliability works
    both ways (linear), menu does nothing."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 11, size=(n, 4)).astype(float)
    waiting, warmth, reliability, _ = x.T
    y = 7 - 1.5 * (waiting <= 5) + 1.2 * (warmth >= 9) + 0.3 * (reliability - 5.5)
    return y + rng.normal(0, 0.8, n), x


PLANTED = ["waiting", "warmth", "reliability", "menu"]


def test_penalty_reward_finds_the_planted_dissatisfier_satisfier_and_hybrid():
    y, x = _planted()
    result = {r.name: r for r in penalty_reward(y, x, PLANTED)}
    waiting, warmth = result["waiting"], result["warmth"]
    assert waiting.kind == "dissatisfier"
    assert waiting.penalty == pytest.approx(1.5, abs=4 * waiting.penalty_se)
    assert waiting.penalty_p < 1e-10 and waiting.reward_p > 0.01
    assert waiting.impact_asymmetry < -0.8
    assert warmth.kind == "satisfier"
    assert warmth.reward == pytest.approx(1.2, abs=4 * warmth.reward_se)
    assert warmth.impact_asymmetry > 0.8
    # Linear: low (mean 3) is 1.2 below the middle (mean 7), high (9.5) 0.75 above.
    reliability = result["reliability"]
    assert reliability.kind == "hybrid"
    assert reliability.penalty == pytest.approx(1.2, abs=0.1)
    assert reliability.reward == pytest.approx(0.75, abs=0.1)
    assert result["menu"].kind == "not significant"
    assert not any(r.wrong_sign for r in result.values())
    assert (waiting.low_cut, waiting.high_cut) == (5, 9)
    assert waiting.n_low == int((x[:, 0] <= 5).sum()) and waiting.n_high == int(
        (x[:, 0] >= 9).sum()
    )


def test_penalty_reward_is_ordinary_least_squares_on_the_dummies():
    y, x = _planted(n=800, seed=4)
    design = np.column_stack(
        [np.ones(len(y))] + [c for j in range(4) for c in (x[:, j] <= 4, x[:, j] >= 8)]
    ).astype(float)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    sigma2 = residual @ residual / (len(y) - design.shape[1])
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    result = penalty_reward(y, x, PLANTED, low=4, high=8)
    assert [r.penalty for r in result] == pytest.approx(-coef[1::2], abs=1e-10)
    assert [r.reward for r in result] == pytest.approx(coef[2::2], abs=1e-10)
    assert [r.penalty_se for r in result] == pytest.approx(se[1::2], abs=1e-10)
    assert [r.reward_se for r in result] == pytest.approx(se[2::2], abs=1e-10)


def test_penalty_reward_flags_wrong_signs_and_can_rely_on_significance_alone():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 11, size=(5000, 2)).astype(float)
    # Scoring low on "odd" raises the overall score: against expectation.
    y = 7 + 1.0 * (x[:, 0] <= 5) + 0.8 * (x[:, 1] >= 9) + 0.5 * (x[:, 1] <= 5)
    y = y + rng.normal(0, 0.5, 5000)
    odd, mixed = penalty_reward(y, x, ["odd", "mixed"])
    assert odd.wrong_sign and odd.penalty == pytest.approx(-1.0, abs=0.05)
    assert odd.kind == "not significant" and odd.impact_range == max(odd.reward, 0.0)
    # mixed earns when high, but scoring low on it also helps (penalty −0.5): flagged,
    # the wrong side counts as 0, so it is a pure satisfier with IA = +1.
    assert mixed.wrong_sign and mixed.penalty == pytest.approx(-0.5, abs=0.05)
    assert (mixed.kind, mixed.impact_asymmetry) == ("satisfier", 1.0)
    assert mixed.impact_range == mixed.reward
    # Asked the other way round (11 − x), odd is an ordinary dissatisfier.
    (turned,) = penalty_reward(y, 11 - x[:, :1], ["odd, turned"])
    assert (turned.kind, turned.wrong_sign) == ("dissatisfier", False)


def test_asymmetry_cut_decides_between_hybrid_and_dissatisfier():
    rng = np.random.default_rng(3)
    x = rng.integers(1, 11, size=(20000, 1)).astype(float)
    y = 7 - 1.0 * (x[:, 0] <= 5) + 0.4 * (x[:, 0] >= 9) + rng.normal(0, 0.5, 20000)
    (lopsided,) = penalty_reward(y, x, ["waiting"])
    (by_significance,) = penalty_reward(y, x, ["waiting"], asymmetry_cut=None)
    assert lopsided.impact_asymmetry == pytest.approx((0.4 - 1.0) / 1.4, abs=0.05)
    assert (lopsided.kind, by_significance.kind) == ("dissatisfier", "hybrid")


def test_penalty_reward_from_chunks_and_without_low_answers():
    y, x = _planted(n=3000, seed=8)
    whole = penalty_reward(y, x, PLANTED)
    chunks = prca_moments(y[:1000], x[:1000]) + prca_moments(y[1000:], x[1000:])
    for merged, single in zip(penalty_reward_from_moments(chunks, PLANTED), whole, strict=True):
        assert (merged.kind, merged.n_low, merged.n_high) == (
            single.kind,
            single.n_low,
            single.n_high,
        )
        assert merged.penalty == pytest.approx(single.penalty, abs=1e-12)
        assert merged.reward_se == pytest.approx(single.reward_se, abs=1e-12)
    x[:, 3] = np.maximum(x[:, 3], 6)  # nobody scores menu low: its penalty is not estimable
    menu = penalty_reward(y, x, PLANTED)[3]
    assert (menu.penalty, menu.penalty_p, menu.n_low) == (None, None, 0)
    assert menu.reward is not None
    with pytest.raises(ValueError, match="low cut"):
        penalty_reward(y, x, PLANTED, low=9, high=9)


def test_importance_performance_ranks_the_important_weak_driver_first():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3000, 3))
    y = 2 * x[:, 0] + 0.3 * x[:, 1] + 0.3 * x[:, 2] + rng.normal(size=3000)
    result = lmg(Moments.from_rows(np.column_stack([y, x])), ["empathy", "menu", "access"])
    ranked = importance_performance(result, {"empathy": 6.0, "menu": 8.5, "access": 6.2})
    assert [p.name for p in ranked] == ["empathy", "access", "menu"]
    assert [p.rank for p in ranked] == [1, 2, 3]
    assert {p.name: p.quadrant for p in ranked} == {
        "empathy": "concentrate_here",
        "access": "low_priority",
        "menu": "possible_overkill",
    }
    share = {d.name: d.share for d in result.drivers}
    assert ranked[0].score == pytest.approx(share["empathy"] * (10 - 6.0))
    assert ranked[2].score == pytest.approx(share["menu"] * (10 - 8.5))


def test_crosshairs_at_the_scale_midpoint_move_drivers_between_quadrants():
    moments = Moments.from_rows(_swiss())
    result = lmg(moments, DRIVERS)
    # Treat the swiss percentages as performance on a 0–100 scale.
    performance = dict(zip(DRIVERS, moments.means()[1:], strict=True))
    by_mean = importance_performance(result, performance, scale_min=0, scale_max=100)
    by_midpoint = importance_performance(
        result, performance, scale_min=0, scale_max=100, crosshairs="midpoint"
    )
    # Catholic: share 0.149 < 1/5 (unimportant); mean 41.14 is above the drivers' mean
    # performance 27.84 but below the scale's midpoint 50.
    assert {p.name: p.quadrant for p in by_mean} == {
        "Agriculture": "possible_overkill",
        "Examination": "concentrate_here",
        "Education": "concentrate_here",
        "Catholic": "possible_overkill",
        "Infant.Mortality": "low_priority",
    }
    assert {p.name: p.quadrant for p in by_midpoint}["Catholic"] == "low_priority"
    assert [p.name for p in by_mean] == [p.name for p in by_midpoint]
    with pytest.raises(ValueError, match="no performance for Catholic"):
        importance_performance(result, {k: v for k, v in performance.items() if k != "Catholic"})
    with pytest.raises(ValueError, match="off the scale"):
        importance_performance(result, performance)  # default scale 1–10
    with pytest.raises(ValueError, match="unknown crosshairs"):
        importance_performance(result, performance, scale_max=100, crosshairs="median")


def test_bootstrap_intervals_cover_the_estimate_are_reproducible_and_narrow_with_n():
    data = _swiss()
    result = lmg(Moments.from_rows(data), DRIVERS)
    intervals = bootstrap(data, DRIVERS, resamples=300, seed=5)
    assert (intervals.resamples + intervals.skipped, intervals.confidence) == (300, 0.95)
    for driver, interval in zip(result.drivers, intervals.drivers, strict=True):
        assert interval.name == driver.name
        assert interval.importance_low < driver.importance < interval.importance_high
        assert interval.share_low < driver.share < interval.share_high
    assert bootstrap(data, DRIVERS, resamples=50, seed=5) == bootstrap(
        data, DRIVERS, resamples=50, seed=5
    )
    assert bootstrap(data, DRIVERS, resamples=50, seed=5) != bootstrap(
        data, DRIVERS, resamples=50, seed=6
    )
    big = _correlated(4000, 3, seed=1)
    small_width = np.diff(bootstrap_shares(big[:200], seed=2), axis=1).mean()
    large_width = np.diff(bootstrap_shares(big, seed=2), axis=1).mean()
    assert large_width < small_width / 2
    with pytest.raises(ValueError, match="resamples"):
        bootstrap(data, resamples=MAX_RESAMPLES + 1)


def test_bootstrap_of_relative_weights_and_of_weighted_rows():
    data = _swiss()
    weights = 1 + np.arange(1, 48) % 3
    johnson = bootstrap(data, DRIVERS, method="relative-weights", resamples=200, seed=1)
    for value, interval in zip(JOHNSON, johnson.drivers, strict=True):
        assert interval.importance_low < value < interval.importance_high
    weighted = bootstrap(data, DRIVERS, weights=weights, resamples=200, seed=1)
    for value, interval in zip(WEIGHTED_LMG, weighted.drivers, strict=True):
        assert interval.importance_low < value < interval.importance_high
