import pytest

from klantpeil.analytics.weighting import post_stratify, weighted_mean


def test_weights_restore_the_channel_mix_and_cost_effective_sample_size():
    # 80 phone and 20 e-mail responses, but contacts split 50/50:
    # w_phone = 0.5/0.8 = 0.625, w_email = 0.5/0.2 = 2.5;
    # n_eff = (80·0.625 + 20·2.5)² / (80·0.625² + 20·2.5²) = 100² / 156.25 = 64.
    result = post_stratify({"phone": 80, "email": 20}, {"phone": 5000, "email": 5000})
    assert result.weights == {"phone": pytest.approx(0.625), "email": pytest.approx(2.5)}
    assert result.effective_n == pytest.approx(64.0)
    # Phone grades average 7.5, e-mail 5.8: unweighted 7.16, weighted halfway, 6.65.
    cells = {"phone": (80, 80 * 7.5), "email": (20, 20 * 5.8)}
    assert weighted_mean(cells, result) == pytest.approx(6.65)


def test_cells_without_responses_are_reported_not_dropped_silently():
    result = post_stratify({"phone": 50}, {"phone": 100, "counter": 40})
    assert result.missing_cells == ["counter"]
    assert result.weights == {"phone": pytest.approx(1.0)}
    with pytest.raises(ValueError, match="no contact volume for chat"):
        post_stratify({"phone": 5, "chat": 3}, {"phone": 10})
