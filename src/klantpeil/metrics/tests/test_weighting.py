"""Post-stratification weights, Kish's effective n and weighted estimates."""

import math

import numpy as np
import pytest

from klantpeil.metrics.stats import mean_ci
from klantpeil.metrics.weighting import (
    kish_effective_n,
    post_stratify,
    weighted_mean,
    weighted_proportion,
)


def _sums(values: np.ndarray) -> tuple[int, float, float]:
    return len(values), float(values.sum()), float((values**2).sum())


def test_weights_restore_the_channel_mix_and_cost_effective_sample_size():
    # 80 phone and 20 e-mail responses, but contacts split 50/50:
    # w_phone = 0.5/0.8 = 0.625, w_email = 0.5/0.2 = 2.5;
    # n_eff = (80·0.625 + 20·2.5)² / (80·0.625² + 20·2.5²) = 100² / 156.25 = 64.
    result = post_stratify({"phone": 80, "email": 20}, {"phone": 5000, "email": 5000})
    assert result.weights == {"phone": pytest.approx(0.625), "email": pytest.approx(2.5)}
    assert result.shares == {"phone": 0.5, "email": 0.5}
    assert (result.n, result.missing_cells, result.covered_share) == (100, [], 1.0)
    assert result.effective_n == pytest.approx(64.0)
    # Phone grades average 7.5, e-mail 5.8: unweighted 7.16, weighted halfway, 6.65.
    cells = {"phone": (80, 80 * 7.5, 80 * 7.5**2 + 79), "email": (20, 20 * 5.8, 20 * 5.8**2 + 19)}
    estimate = weighted_mean(cells, result)
    assert estimate.value == pytest.approx(6.65)
    assert (estimate.n, estimate.effective_n) == (100, pytest.approx(64.0))
    # Both cells have s² = 1: SE = √(0.5²·1/80 + 0.5²·1/20) = 0.125.
    assert estimate.standard_error == pytest.approx(0.125)


def test_cells_without_responses_are_reported_not_dropped_silently():
    result = post_stratify({"phone": 50, "chat": 0}, {"phone": 100, "counter": 40, "chat": 60})
    assert result.missing_cells == ["counter", "chat"]
    assert result.weights == {"phone": pytest.approx(1.0)}
    assert result.covered_share == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no contact volume for chat"):
        post_stratify({"phone": 5, "chat": 3}, {"phone": 10})
    with pytest.raises(ValueError, match="nothing to weight"):
        post_stratify({"phone": 0}, {"phone": 10})


def test_weighted_mean_equals_numpys_weighted_average_of_the_raw_answers():
    rng = np.random.default_rng(5)
    answers = {
        "phone": rng.integers(4, 11, 300).astype(float),
        "email": rng.integers(1, 9, 60).astype(float),
        "counter": rng.integers(6, 11, 40).astype(float),
    }
    weighting = post_stratify(
        {c: len(v) for c, v in answers.items()}, {"phone": 7000, "email": 9000, "counter": 500}
    )
    estimate = weighted_mean({c: _sums(v) for c, v in answers.items()}, weighting)
    per_response = np.concatenate(
        [np.full(len(v), weighting.weights[c]) for c, v in answers.items()]
    )
    values = np.concatenate(list(answers.values()))
    assert estimate.value == pytest.approx(np.average(values, weights=per_response), abs=1e-12)
    assert estimate.effective_n == pytest.approx(
        per_response.sum() ** 2 / (per_response**2).sum(), abs=1e-9
    )
    by_hand = sum(weighting.shares[c] ** 2 * v.var(ddof=1) / len(v) for c, v in answers.items())
    assert estimate.standard_error == pytest.approx(math.sqrt(by_hand), abs=1e-12)
    assert estimate.ci_low < estimate.value < estimate.ci_high


def test_one_cell_weighted_is_the_plain_mean_with_its_t_interval():
    values = np.array([6.0, 7, 7, 8, 9, 5, 8, 7])
    weighting = post_stratify({"all": 8}, {"all": 1234})
    estimate = weighted_mean({"all": _sums(values)}, weighting)
    plain = mean_ci(*_sums(values))
    assert (estimate.value, estimate.ci_low, estimate.ci_high) == pytest.approx(
        (plain.value, plain.ci_low, plain.ci_high), abs=1e-12
    )
    assert estimate.effective_n == pytest.approx(8) and estimate.small_sample


def test_a_cell_with_one_response_borrows_the_pooled_variance():
    weighting = post_stratify({"a": 4, "b": 1}, {"a": 50, "b": 50})
    # Cell a: 6, 8, 6, 8 (Σ(x−x̄)² = 4); b: 9. Pooled variance = 4 / (5 − 2) = 4/3;
    # s²_a = 4/3 too: SE = √(0.25·(4/3)/4 + 0.25·(4/3)/1) = √(5/12).
    estimate = weighted_mean({"a": (4, 28.0, 200.0), "b": (1, 9.0, 81.0)}, weighting)
    assert estimate.value == pytest.approx(0.5 * 7 + 0.5 * 9)
    assert estimate.standard_error == pytest.approx(math.sqrt(5 / 12))


def test_weighted_proportion_and_its_clipped_interval():
    weighting = post_stratify({"phone": 80, "email": 20}, {"phone": 5000, "email": 5000})
    helped = weighted_proportion({"phone": (64, 80), "email": (10, 20)}, weighting)
    assert helped.value == pytest.approx(0.5 * 0.8 + 0.5 * 0.5)
    # s² of a 0/1 answer is n·p(1−p)/(n−1).
    se = math.sqrt(0.25 * (80 * 0.16 / 79) / 80 + 0.25 * (20 * 0.25 / 19) / 20)
    assert helped.standard_error == pytest.approx(se)
    nearly_all = weighted_proportion({"phone": (80, 80), "email": (19, 20)}, weighting)
    assert nearly_all.ci_high == 1.0
    with pytest.raises(ValueError, match="successes"):
        weighted_proportion({"phone": (81, 80)}, weighting)


def test_answers_in_a_cell_without_a_weight_are_not_silently_dropped():
    weighting = post_stratify({"phone": 10}, {"phone": 100})
    with pytest.raises(ValueError, match="no weight for chat"):
        weighted_mean({"phone": (10, 70.0, 500.0), "chat": (3, 20.0, 140.0)}, weighting)
    empty = weighted_mean({}, weighting)
    assert (empty.value, empty.n, empty.small_sample) == (None, 0, True)


def test_kish_effective_n():
    assert kish_effective_n([1.0] * 50) == pytest.approx(50)
    assert kish_effective_n([1, 1, 4]) == pytest.approx(36 / 18)
    assert kish_effective_n([0.625, 2.5], counts=[80, 20]) == pytest.approx(64)
    assert kish_effective_n([0.625] * 80 + [2.5] * 20) == pytest.approx(64)
    with pytest.raises(ValueError, match="negative"):
        kish_effective_n([1, -1])
