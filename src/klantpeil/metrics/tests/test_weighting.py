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


# --- KPIs weighted to contact volumes (the overview, API and report figures) ----------

from scipy import stats as scipy_stats  # noqa: E402

from klantpeil.metrics.stats import nps, wilson_interval  # noqa: E402
from klantpeil.metrics.weighting import (  # noqa: E402
    VolumeGap,
    volume_gaps,
    weighted_grade,
    weighted_nps,
    weighted_share,
)

# Phone: 100 grades, half 7 and half 9 (mean 8.0); e-mail: 300, half 5 and half 7 (6.0).
PHONE = (100, 800.0, 50 * 49 + 50 * 81)
EMAIL = (300, 1800.0, 150 * 25 + 150 * 49)
VOLUMES = {"phone": 700, "email": 300}


def test_grade_weighted_to_contacts_by_hand():
    result = weighted_grade({"phone": PHONE, "email": EMAIL}, VOLUMES)
    # Unweighted (800 + 1800) / 400 = 6.5; weighted 0.7·8 + 0.3·6 = 7.4.
    assert result.estimate.value == pytest.approx(7.4, abs=1e-12)
    assert result.estimate.n == 400
    assert result.shares == {"phone": 0.7, "email": 0.3}
    # w_phone = 0.7 / (100/400) = 2.8, w_email = 0.3 / (300/400) = 0.4;
    # n_eff = (100·2.8 + 300·0.4)² / (100·2.8² + 300·0.4²) = 400² / 832 = 2500/13.
    assert result.effective_n == pytest.approx(2500 / 13, abs=1e-9)
    # Σ(x − 7.4)²: phone 50·0.4² + 50·1.6² = 136, e-mail 150·2.4² + 150·0.4² = 888;
    # s²_w = (2.8·136 + 0.4·888) / 400 = 1.84; SE = √(1.84 / (n_eff − 1)) = √(1.84·13/2487).
    se = math.sqrt(1.84 * 13 / 2487)
    assert result.estimate.standard_error == pytest.approx(se, rel=1e-12)
    t = scipy_stats.t.ppf(0.975, 2500 / 13 - 1)
    assert result.estimate.ci_low == pytest.approx(7.4 - t * se, rel=1e-12)
    assert result.estimate.ci_high == pytest.approx(7.4 + t * se, rel=1e-12)
    assert (round(result.estimate.ci_low, 3), round(result.estimate.ci_high, 3)) == (7.207, 7.593)
    assert not result.estimate.small_sample


def test_weights_matching_the_responses_give_the_unweighted_figures_exactly():
    # Volumes in the same mix as the responses: every weight 1, n_eff = n.
    same = {"phone": 1000, "email": 3000}
    grade = weighted_grade({"phone": PHONE, "email": EMAIL}, same)
    plain = mean_ci(400, 2600.0, PHONE[2] + EMAIL[2], scale=(1.0, 10.0))
    assert grade.effective_n == pytest.approx(400)
    assert (grade.estimate.value, grade.estimate.ci_low, grade.estimate.ci_high) == pytest.approx(
        (plain.value, plain.ci_low, plain.ci_high), abs=1e-12
    )
    share = weighted_share({"phone": (80, 100), "email": (150, 300)}, same)
    assert (share.estimate.ci_low, share.estimate.ci_high) == pytest.approx(
        wilson_interval(230, 400), abs=1e-12
    )
    score = weighted_nps({"phone": (60, 30, 10), "email": (90, 90, 120)}, same)
    plain_nps = nps(150, 120, 130, method="adjusted_wald")
    assert score.estimate.value == pytest.approx(plain_nps.value, abs=1e-12)
    assert (score.estimate.ci_low, score.estimate.ci_high) == pytest.approx(
        (plain_nps.ci_low, plain_nps.ci_high), abs=1e-12
    )


def test_share_and_nps_weighted_by_hand():
    share = weighted_share({"phone": (80, 100), "email": (150, 300)}, VOLUMES)
    # 0.7·0.8 + 0.3·0.5 = 0.71 (unweighted 230/400 = 0.575); Wilson with n_eff = 2500/13.
    assert share.estimate.value == pytest.approx(0.71, abs=1e-12)
    n_eff = 2500 / 13
    assert (share.estimate.ci_low, share.estimate.ci_high) == pytest.approx(
        wilson_interval(0.71 * n_eff, n_eff), abs=1e-12
    )
    # Phone 60% promoters, 10% detractors (NPS 50); e-mail 30% and 40% (−10):
    # 0.7·50 + 0.3·(−10) = 32. Mix: promoters 0.7·0.6 + 0.3·0.3 = 0.51, passives 0.30,
    # detractors 0.7·0.1 + 0.3·0.4 = 0.19; the interval: adjusted Wald of n_eff answers.
    score = weighted_nps({"phone": (60, 30, 10), "email": (90, 90, 120)}, VOLUMES)
    assert score.estimate.value == pytest.approx(32.0, abs=1e-12)
    by_hand = nps(0.51 * n_eff, 0.30 * n_eff, 0.19 * n_eff, method="adjusted_wald")
    assert (score.estimate.ci_low, score.estimate.ci_high) == pytest.approx(
        (by_hand.ci_low, by_hand.ci_high), abs=1e-12
    )
    assert score.effective_n == pytest.approx(n_eff)


def test_few_effective_responses_are_flagged_even_with_many_responses():
    # 5 phone responses for 95% of the contacts, 95 e-mail: n = 100, n_eff ≈ 5.8.
    result = weighted_grade(
        {"phone": (5, 40.0, 330.0), "email": (95, 570.0, 3515.0)}, {"phone": 95, "email": 5}
    )
    assert result.estimate.n == 100
    # w = 19 and 0.0526…: n_eff = 100² / (5·19² + 95·(1/19)²) = 10000/1805.26… ≈ 5.54.
    assert result.effective_n == pytest.approx(10000 / (5 * 361 + 95 / 361))
    assert result.estimate.small_sample


def test_a_channel_with_responses_needs_contacts():
    with pytest.raises(ValueError, match="no contact volume for email"):
        weighted_grade({"phone": PHONE, "email": EMAIL}, {"phone": 700})
    with pytest.raises(ValueError, match="responses but no contacts for email"):
        weighted_grade({"phone": PHONE, "email": EMAIL}, {"phone": 700, "email": 0})
    # Contacts without responses: the weighted figure covers the channels answered.
    covered = weighted_grade({"phone": PHONE, "email": EMAIL}, {**VOLUMES, "chat": 1000})
    assert covered.estimate.value == pytest.approx(7.4)


def test_volume_gaps_name_each_channel_and_month_without_a_volume():
    responses = {("phone", 1): 10, ("phone", 2): 5, ("email", 2): 3, ("chat", 2): 0}
    volumes = {("phone", 1): 700, ("email", 2): 0}
    # A 0 entered is a volume; a month without responses needs none.
    assert volume_gaps(responses, volumes) == [VolumeGap("phone", [2])]
    assert volume_gaps(responses, {**volumes, ("phone", 2): 1}) == []
