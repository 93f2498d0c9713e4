"""Difference tests against the reference note's worked examples and scipy."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from klantpeil.analytics.significance import (
    mean_difference,
    nps_difference,
    nps_mix_changed,
    proportion_difference,
)


def test_nps_change_between_two_waves():
    # Wave 1: 90/60/50 (NPS 20); wave 2: 130/70/50 (NPS 32): Δ 12, SE 0.0759631, z 1.5797, p 0.1142.
    result = nps_difference((90, 60, 50), (130, 70, 50))
    assert result.difference == pytest.approx(12.0)
    assert result.statistic == pytest.approx(1.5797, abs=1e-4)
    assert result.p_value == pytest.approx(0.1142, abs=1e-4)
    assert (result.ci_high - result.ci_low) / 2 == pytest.approx(
        100 * 1.959964 * 0.0759631, abs=1e-3
    )
    assert not result.significant and not result.too_small


def test_the_mix_of_promoters_passives_and_detractors():
    chi2, dof, p = nps_mix_changed((90, 60, 50), (130, 70, 50))
    assert (round(chi2, 4), dof, round(p, 4)) == (2.5175, 2, 0.2840)


def test_welch_from_sums_equals_scipy_on_raw_data():
    rng = np.random.default_rng(8)
    a, b = rng.normal(7.2, 1.5, 80), rng.normal(7.6, 2.0, 120)
    result = mean_difference((80, a.sum(), (a**2).sum()), (120, b.sum(), (b**2).sum()))
    expected = scipy_stats.ttest_ind(b, a, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-10)
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-10)


def test_two_proportions_and_the_small_sample_flag():
    result = proportion_difference(62, 100, 75, 100)
    assert result.difference == pytest.approx(0.13)
    # pooled p = 137/200 = 0.685; z = 0.13 / sqrt(0.685·0.315·(1/100 + 1/100)) = 1.97892
    assert result.statistic == pytest.approx(1.97892, abs=1e-4)
    assert result.significant
    assert proportion_difference(3, 10, 5, 10).too_small
