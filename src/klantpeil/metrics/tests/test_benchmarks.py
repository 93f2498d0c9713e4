"""The employee-customer correlation (the benchmark rules are tested in metrics/)."""

import pytest


def test_correlation_with_its_fisher_interval():
    from klantpeil.metrics.benchmarks import correlation

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
