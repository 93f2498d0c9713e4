"""Difference tests against the reference note's worked examples and scipy."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from klantpeil.metrics.significance import (
    holm,
    mean_difference,
    nps_difference,
    nps_mix_changed,
    proportion_difference,
)

WAVE_1, WAVE_2 = (90, 60, 50), (130, 70, 50)


def test_nps_change_between_two_waves():
    # Δ = 0.32 − 0.20 = 0.12, SE_Δ 0.0759631, z 1.5797, p 0.1142 (reference note §1.9).
    result = nps_difference(WAVE_1, WAVE_2)
    assert result.difference == pytest.approx(12.0, abs=1e-12)
    assert result.standard_error == pytest.approx(7.59631, abs=1e-5)
    assert result.statistic == pytest.approx(1.5797, abs=1e-4)
    assert result.p_value == pytest.approx(0.1142, abs=1e-4)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (12 - 1.959964 * 7.59631, 12 + 1.959964 * 7.59631), abs=1e-4
    )
    assert not result.significant and not result.too_small
    assert nps_difference(WAVE_2, WAVE_1).difference == pytest.approx(-12.0)


def test_nps_change_is_significant_exactly_when_its_interval_excludes_zero():
    bigger = nps_difference((900, 600, 500), (1300, 700, 500))
    assert bigger.significant and bigger.ci_low > 0
    assert nps_difference(WAVE_1, WAVE_2, alpha=0.2).significant
    assert nps_difference((9, 6, 5), (13, 7, 5)).too_small


def test_the_mix_of_promoters_passives_and_detractors():
    result = nps_mix_changed(WAVE_1, WAVE_2)
    assert (round(result.chi2, 4), result.df, round(result.p_value, 4)) == (2.5175, 2, 0.2840)
    assert not result.significant and not result.too_small
    # Same NPS (0) in both, yet the extremes became passives: χ² sees it, NPS does not.
    shifted = nps_mix_changed((100, 0, 100), (50, 100, 50))
    assert shifted.significant and shifted.p_value < 1e-20
    # An expected count below 5 makes the χ² approximation untrustworthy.
    assert nps_mix_changed((40, 30, 2), (45, 30, 3)).too_small


def test_welch_from_sums_equals_scipy_on_raw_data():
    rng = np.random.default_rng(8)
    a, b = rng.normal(7.2, 1.5, 80), rng.normal(7.6, 2.0, 120)
    result = mean_difference((80, a.sum(), (a**2).sum()), (120, b.sum(), (b**2).sum()))
    expected = scipy_stats.ttest_ind(b, a, equal_var=False)
    assert result.difference == pytest.approx(b.mean() - a.mean(), abs=1e-12)
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-10)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-10)
    assert result.df == pytest.approx(expected.df, abs=1e-8)
    interval = expected.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (interval.low, interval.high), abs=1e-10
    )
    assert result.significant == (expected.pvalue < 0.05)


def test_welch_on_many_random_pairs_matches_scipy():
    rng = np.random.default_rng(21)
    for _ in range(20):
        n1, n2 = rng.integers(2, 60, 2)
        a = rng.integers(1, 11, n1).astype(float)
        b = rng.integers(1, 11, n2).astype(float) + rng.normal(0, 0.01, n2)
        result = mean_difference((n1, a.sum(), (a**2).sum()), (n2, b.sum(), (b**2).sum()))
        expected = scipy_stats.ttest_ind(b, a, equal_var=False)
        assert result.p_value == pytest.approx(expected.pvalue, abs=1e-9)
        assert result.too_small == (min(n1, n2) < 30)


def test_welch_edges():
    constant = mean_difference((5, 35.0, 245.0), (5, 40.0, 320.0))  # all 7s against all 8s
    assert (constant.difference, constant.p_value, constant.significant) == (1.0, 0.0, True)
    same = mean_difference((5, 35.0, 245.0), (6, 42.0, 294.0))
    assert (same.difference, same.p_value, same.significant) == (0.0, 1.0, False)
    with pytest.raises(ValueError, match="at least 2"):
        mean_difference((1, 7.0, 49.0), (5, 35.0, 245.0))


def test_two_proportions_and_the_small_sample_flag():
    result = proportion_difference(62, 100, 75, 100)
    assert result.difference == pytest.approx(0.13)
    # pooled p = 137/200 = 0.685; z = 0.13 / √(0.685·0.315·(1/100 + 1/100)) = 1.97892
    assert result.statistic == pytest.approx(1.97892, abs=1e-5)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(1.978918), abs=1e-6)
    # Unpooled interval: 0.13 ± 1.959964·√(0.62·0.38/100 + 0.75·0.25/100) = 0.13 ± 0.127488
    assert (result.ci_low, result.ci_high) == pytest.approx((0.002512, 0.257488), abs=1e-6)
    assert result.significant and not result.too_small
    assert proportion_difference(3, 10, 5, 10).too_small
    assert proportion_difference(62, 100, 75, 100, min_n=101).too_small


def test_two_proportion_z_squared_is_the_uncorrected_chi_square():
    result = proportion_difference(48, 130, 71, 150)
    chi2, p, _, _ = scipy_stats.chi2_contingency([[48, 82], [71, 79]], correction=False)
    assert result.statistic**2 == pytest.approx(chi2, rel=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-10)


def test_two_proportions_edges():
    none_helped = proportion_difference(0, 40, 0, 50)
    assert (none_helped.difference, none_helped.p_value, none_helped.significant) == (
        0.0,
        1.0,
        False,
    )
    with pytest.raises(ValueError):
        proportion_difference(5, 0, 3, 10)
    with pytest.raises(ValueError):
        proportion_difference(11, 10, 3, 10)


def test_holm_adjusts_a_family_by_hand():
    # m = 4, p = (0.01, 0.04, 0.03, 0.005). Sorted: 0.005, 0.01, 0.03, 0.04, times
    # 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04; the running maximum keeps the order:
    # 0.02, 0.03, 0.06, 0.06. Back in the order given: 0.03, 0.06, 0.06, 0.02.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert [p for p, _ in adjusted] == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-15)
    # At 5% the two smallest survive; 0.04 and 0.03 alone would have been "significant".
    assert [significant for _, significant in adjusted] == [True, False, False, True]
    # Bonferroni (4·p) would reject only 0.005 → 0.02 and 0.01 → 0.04: Holm rejects the same
    # here; with alpha 0.035 Holm still rejects 0.01 (0.03), Bonferroni (0.04) not.
    assert [s for _, s in holm([0.01, 0.04, 0.03, 0.005], alpha=0.035)] == [
        True,
        False,
        False,
        True,
    ]


def test_holm_caps_at_one_and_keeps_ties_and_edges():
    # 2·0.5 = 1.0 and 1·0.6 = 0.6, raised to the running maximum 1.0.
    assert holm([0.5, 0.6]) == [(1.0, False), (1.0, False)]
    assert holm([0.02, 0.02]) == [(0.04, True), (0.04, True)]
    assert holm([0.03]) == [(0.03, True)]
    assert holm([]) == []
    with pytest.raises(ValueError, match="between 0 and 1"):
        holm([0.2, 1.5])
