"""KPI statistics against hand-computed and published values."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from klantpeil.analytics.stats import (
    mean,
    mean_from_counts,
    nps,
    nps_from_counts,
    proportion,
    top_box,
    wilson,
)


def test_nps_with_its_trinomial_margin_of_error():
    # 90 promoters, 60 passives, 50 detractors: NPS = 45% − 25% = 20;
    # SE = √((0.45 + 0.25 − 0.2²)/200) = 0.0574456 → ±1.96·5.74456 = ±11.2591 points.
    result = nps(90, 60, 50)
    assert result.value == pytest.approx(20.0)
    assert result.n == 200
    assert result.margin == pytest.approx(11.25910, abs=1e-4)
    assert (result.ci_low, result.ci_high) == pytest.approx((8.7409, 31.2591), abs=1e-4)
    assert not result.small_sample


def test_nps_from_answer_counts_and_its_edges():
    counts = [5, 5, 5, 5, 5, 5, 20, 30, 30, 40, 50]  # 0…10
    by_hand = nps(90, 60, 50)
    assert nps_from_counts(counts) == by_hand
    assert nps(10, 0, 0).value == 100.0 and nps(0, 0, 3).value == -100.0
    empty = nps(0, 0, 0)
    assert (empty.value, empty.n, empty.small_sample) == (None, 0, True)


def test_wilson_interval_matches_the_textbook_value():
    assert wilson(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    low, high = wilson(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)


def test_proportions_flag_small_samples_and_survive_empty_denominators():
    assert proportion(67, 100).value == 0.67
    assert proportion(3, 5).small_sample
    assert proportion(0, 0).value is None


def test_mean_from_sums_equals_scipys_t_interval():
    rng = np.random.default_rng(4)
    grades = rng.integers(1, 11, 250).astype(float)
    result = mean(len(grades), grades.sum(), (grades**2).sum())
    expected = scipy_stats.t.interval(
        0.95, len(grades) - 1, loc=grades.mean(), scale=scipy_stats.sem(grades)
    )
    assert result.value == pytest.approx(grades.mean())
    assert (result.ci_low, result.ci_high) == pytest.approx(expected, abs=1e-12)


def test_csat_is_top_two_box_and_not_the_mean():
    counts = [10, 10, 20, 30, 30]  # answers 1…5
    assert top_box(counts).value == pytest.approx(0.60)
    assert mean_from_counts(counts, first=1).value == pytest.approx(3.6)
