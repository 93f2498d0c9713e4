import pytest

from klantpeil.analytics.benchmarks import benchmark


def test_fewer_than_five_organisations_show_nothing():
    assert benchmark({"a": 7.1, "b": 7.4, "c": 6.9, "d": 8.0}, own="a") is None


def test_the_distribution_and_the_own_percentile_rank():
    values = {"a": 6.0, "b": 6.5, "c": 7.0, "d": 7.5, "e": 8.0, "f": 7.0}
    result = benchmark(values, own="c")
    assert result.organisations == 6
    assert result.mean == pytest.approx(7.0)
    assert (result.q1, result.median, result.q3) == pytest.approx((6.625, 7.0, 7.375))
    # Peers below 7.0: 6.0 and 6.5; one tie (f) counts half: (2 + 0.5) / 5 = 50%.
    assert result.percentile_rank == pytest.approx(50.0)
    assert result.own == 7.0


def test_nothing_in_the_result_names_or_reveals_a_peer():
    result = benchmark({"a": 6.0, "b": 6.5, "c": 7.0, "d": 7.5, "e": 8.0}, own="a")
    assert set(vars(result)) == {
        "organisations",
        "mean",
        "q1",
        "median",
        "q3",
        "own",
        "percentile_rank",
    }


def test_correlation_with_its_fisher_interval():
    from klantpeil.analytics.benchmarks import correlation

    # r = 0.8 on n = 28: z = atanh(0.8) = 1.0986, se = 1/5 → (tanh(0.7066), tanh(1.4906)).
    x = [1, 2, 3, 4, 5, 6, 7] * 4
    y = [v + e for v, e in zip(x, [1.4, -1.1, 0.3, -0.9, 1.2, -0.4, 0.1] * 4, strict=True)]
    result = correlation(x, y)
    assert result.n == 28
    import numpy as np

    z = np.arctanh(result.r)
    assert (result.ci_low, result.ci_high) == pytest.approx(
        (np.tanh(z - 1.959964 / 5), np.tanh(z + 1.959964 / 5)), abs=1e-6
    )
    assert correlation([1, 2, 3], [2, 3, 4]) is None
