"""The one priority model: hand-computed cases and a simulation with known true gains."""

import numpy as np
import pytest
from scipy import integrate, stats

from klantpeil.metrics.drivers import Moments, penalty_reward_from_moments, prca_moments
from klantpeil.metrics.priority import _hinge_factor, priorities, regression


def two_drivers(noise: float = 0.1) -> np.ndarray:
    """y = 5 + 0.5(x₁ − 5) + 0.2(x₂ − 5) ± noise on a balanced 2×2 design, twice per cell.

    The drivers are uncorrelated and the noise is ± within each cell, so OLS gives
    b = (0.5, 0.2) exactly, RSS = 8·noise², Σ(x − x̄)² = 8 for each driver.
    """
    rows = []
    for x1 in (4, 6):
        for x2 in (4, 6):
            centre = 5 + 0.5 * (x1 - 5) + 0.2 * (x2 - 5)
            rows += [[centre + noise, x1, x2], [centre - noise, x1, x2]]
    return np.array(rows, dtype=float)


def test_two_drivers_by_hand():
    model = priorities(Moments.from_rows(two_drivers()), ["a", "b"])
    # σ² = RSS/(n − p − 1) = 0.08/5 = 0.016; Var(b_j) = σ²/Σ(x − x̄)² = 0.016/8 = 0.002.
    se = np.sqrt(0.002)
    t = stats.t.ppf(0.975, 5)  # 2.5706
    a, b = model.drivers
    assert [d.name for d in model.drivers] == ["a", "b"] and (a.priority, b.priority) == (1, 2)
    assert model.n == 8 and model.r2 == pytest.approx(1 - 0.08 / 2.4, abs=1e-12)
    # Mean 5, default target 6: a rise of 1 point gains b_j.
    assert (a.current, a.target, a.target_basis) == (pytest.approx(5), pytest.approx(6), "plus_one")
    assert a.expected_gain == pytest.approx(0.5, abs=1e-12)
    assert b.expected_gain == pytest.approx(0.2, abs=1e-12)
    assert a.expected_gain_low == pytest.approx(0.5 - t * se, abs=1e-12)  # 0.38504
    assert a.expected_gain_high == pytest.approx(0.5 + t * se, abs=1e-12)  # 0.61496
    assert b.expected_gain_low == pytest.approx(0.2 - t * se, abs=1e-12)  # 0.08504
    assert round(a.expected_gain_low, 5) == 0.38504 and round(b.expected_gain_high, 5) == 0.31496
    # a: clear and the largest; b: clear but under half of a's gain.
    assert (a.label, b.label) == ("focus_here", "worth_improving")


def test_given_targets_scale_the_gain_and_the_interval_and_are_stated():
    model = priorities(
        Moments.from_rows(two_drivers()),
        ["a", "b"],
        targets={"a": 5.5, "b": 7.0},
        target_basis="sector_top_quartile",
    )
    gains = model.by_name()
    # a rises 0.5 (gain 0.25), b rises 2 (gain 0.4): b now comes first.
    assert [d.name for d in model.drivers] == ["b", "a"]
    assert gains["b"].expected_gain == pytest.approx(0.4, abs=1e-12)
    assert gains["a"].expected_gain == pytest.approx(0.25, abs=1e-12)
    margin = stats.t.ppf(0.975, 5) * np.sqrt(0.002)
    assert gains["b"].expected_gain_high - gains["b"].expected_gain == pytest.approx(2 * margin)
    assert gains["a"].target_basis == "sector_top_quartile" and gains["a"].target == 5.5
    # A target at or below the current mean gains nothing: the driver is kept up.
    kept = priorities(Moments.from_rows(two_drivers()), ["a", "b"], targets={"a": 4.0})
    assert kept.by_name()["a"].expected_gain == 0 and kept.by_name()["a"].label == "keep_up"
    assert kept.first.name == "b" and kept.first.label == "focus_here"


def test_the_default_target_stops_at_the_top_of_the_scale():
    rows = two_drivers()
    rows[:, 1] += 4.5  # a scores 8.5–10.5 → mean 9.5 on a 1–10.5 scale
    model = priorities(Moments.from_rows(rows), ["a", "b"], scale_max=10.0, scale_min=1)
    a = model.by_name()["a"]
    assert a.target == 10.0 and a.expected_gain == pytest.approx(0.5 * 0.5, abs=1e-12)


def test_hinge_factor_matches_the_integral_and_its_limits():
    # mean 6.5, sd 1, threshold 5.5, rise 1: G(u) = uΦ(u) + φ(u); k = (G(−1) − G(−2))/Φ(−1).
    expected = (0.0833155 - 0.0084907) / 0.1586553
    assert _hinge_factor(6.5, 1.0, 5.5, 1.0) == pytest.approx(expected, rel=1e-5)
    numeric = integrate.quad(lambda t: stats.norm.cdf(5.5 - 6.5 - t), 0, 1)[0]
    assert _hinge_factor(6.5, 1.0, 5.5, 1.0) == pytest.approx(numeric / stats.norm.cdf(-1))
    assert _hinge_factor(2.0, 1.0, 5.5, 1.0) == pytest.approx(1.0, abs=3e-3)  # far below: linear
    # Far above: with the same effect c per point below τ (b = c · P(x < τ)), raising it
    # gains next to nothing, and the effective rise shrinks as the mean climbs.
    assert _hinge_factor(9.0, 1.0, 5.5, 1.0) * stats.norm.cdf(5.5 - 9.0) < 1e-4
    rises = [_hinge_factor(mean, 1.0, 5.5, 1.0) for mean in (4, 5, 6, 7, 8)]
    assert rises == sorted(rises, reverse=True)
    assert _hinge_factor(6.5, 1.0, 5.5, 0.0) == 0.0


def test_a_dissatisfier_gains_only_below_its_threshold():
    rows = two_drivers()
    linear = priorities(Moments.from_rows(rows), ["a", "b"])
    hinged = priorities(Moments.from_rows(rows), ["a", "b"], dissatisfiers={"b": 4.5})
    b_lin, b_hinge = linear.by_name()["b"], hinged.by_name()["b"]
    sd = np.sqrt(8 / 7)  # the sample sd of b's scores (4 and 6, four each)
    k = integrate.quad(lambda t: stats.norm.cdf((4.5 - 5 - t) / sd), 0, 1)[0]
    k /= stats.norm.cdf((4.5 - 5) / sd)
    assert b_hinge.expected_gain == pytest.approx(0.2 * k, rel=1e-7)
    assert b_hinge.expected_gain < b_lin.expected_gain
    assert b_hinge.dissatisfier and b_hinge.threshold == 4.5 and not b_lin.dissatisfier
    # Same coefficient, same interval width relative to the gain.
    assert b_hinge.coefficient == b_lin.coefficient
    width = b_hinge.expected_gain_high - b_hinge.expected_gain_low
    assert width == pytest.approx(k * (b_lin.expected_gain_high - b_lin.expected_gain_low))


def test_bad_input_is_named():
    moments = Moments.from_rows(two_drivers())
    with pytest.raises(ValueError, match="one name per driver"):
        priorities(moments, ["a"])
    with pytest.raises(ValueError, match="no driver named c"):
        priorities(moments, ["a", "b"], targets={"c": 7})
    with pytest.raises(ValueError, match=r"target of a .* off the scale"):
        priorities(moments, ["a", "b"], targets={"a": 11})
    with pytest.raises(ValueError, match="at least 4 complete responses"):
        priorities(Moments.from_rows(two_drivers()[:3]), ["a", "b"])


def test_the_first_priority_is_never_labelled_keep_up():
    rng = np.random.default_rng(3)
    for _ in range(50):
        x = rng.normal(7, 1.5, size=(60, 3))
        y = x @ rng.uniform(-0.2, 0.4, 3) + rng.normal(0, 1, 60)
        model = priorities(Moments.from_rows(np.column_stack([y, x])), ["a", "b", "c"])
        assert model.first.label in ("focus_here", "low_priority")
        assert [d.priority for d in model.drivers] == [1, 2, 3]
        gains = [d.expected_gain for d in model.drivers]
        assert gains == sorted(gains, reverse=True)


def test_regression_from_moments_is_ordinary_least_squares():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 4))
    y = 1 + x @ [0.3, -0.2, 0.5, 0.0] + rng.normal(size=200)
    fit = regression(Moments.from_rows(np.column_stack([y, x])))
    design = np.column_stack([np.ones(200), x])
    beta, rss, *_ = np.linalg.lstsq(design, y, rcond=None)
    covariance = rss[0] / (200 - 5) * np.linalg.inv(design.T @ design)
    assert fit.coefficients == pytest.approx(beta[1:], abs=1e-12)
    assert fit.covariance == pytest.approx(covariance[1:, 1:], abs=1e-12)


# --- Simulation: 7 drivers correlated 0.6, n = 500, one dissatisfier ---------------------

P, N, RHO, SETS = 7, 500, 0.6, 200
MEANS = np.array([7.0, 7.2, 6.8, 7.1, 6.9, 7.3, 6.5])
SD = 1.5
BETA = np.array([0.50, 0.30, 0.15, 0.10, 0.08, 0.05, 0.0])  # linear effects
HINGE, TAU = 1.85, 5.5  # the last driver costs 1.85 points per point below 5.5, nothing above


def true_gains() -> np.ndarray:
    """Exact gain of raising each driver's mean by one point in the generating model."""
    gains = BETA.copy()
    mu = MEANS[-1]
    gains[-1] = HINGE * integrate.quad(lambda t: stats.norm.cdf((TAU - mu - t) / SD), 0, 1)[0]
    return gains


def simulated(rng: np.random.Generator) -> np.ndarray:
    """SETS data sets at once: (SETS, N, 1 + P), the grade first."""
    correlation = np.full((P, P), RHO) + (1 - RHO) * np.eye(P)
    chol = np.linalg.cholesky(correlation)
    x = MEANS + SD * rng.standard_normal((SETS, N, P)) @ chol.T
    y = 2 + x @ BETA + HINGE * np.minimum(x[..., -1] - TAU, 0) + rng.normal(0, 1, (SETS, N))
    return np.concatenate([y[..., None], x], axis=2)


def test_the_top_priority_is_the_truly_largest_gain_in_95_percent_of_200_data_sets():
    truth = true_gains()
    names = [f"d{j}" for j in range(P)]
    # The dissatisfier's linear slope (HINGE · P(x < τ) ≈ 0.47) is nearly the largest
    # effect, while its true gain for one point (≈ 0.30) is well below the first's.
    assert BETA[0] > HINGE * stats.norm.cdf((TAU - MEANS[-1]) / SD) > 0.45 > 0.31 > truth[-1]
    assert np.argmax(truth) == 0
    data = simulated(np.random.default_rng(20))
    hits, found_dissatisfier = 0, 0
    for rows in data:
        effects = penalty_reward_from_moments(prca_moments(rows[:, 0], rows[:, 1:]), names)
        thresholds = {e.name: 5.5 for e in effects if e.kind == "dissatisfier"}
        found_dissatisfier += "d6" in thresholds
        model = priorities(Moments.from_rows(rows), names, dissatisfiers=thresholds)
        hits += model.first.name == "d0"
    assert hits >= 0.95 * SETS, hits
    assert found_dissatisfier >= 0.9 * SETS, found_dissatisfier


def test_the_dissatisfiers_estimated_gain_is_unbiased_and_its_interval_covers():
    truth = true_gains()
    data = simulated(np.random.default_rng(21))[:100]
    names = [f"d{j}" for j in range(P)]
    estimates, linear, covered, covered_hinge = [], [], 0, 0
    for rows in data:
        model = priorities(Moments.from_rows(rows), names, dissatisfiers={"d6": TAU})
        d6 = model.by_name()["d6"]
        estimates.append(d6.expected_gain)
        linear.append(d6.coefficient)
        covered_hinge += d6.expected_gain_low <= truth[-1] <= d6.expected_gain_high
        d0 = model.by_name()["d0"]
        covered += d0.expected_gain_low <= truth[0] <= d0.expected_gain_high
    assert np.mean(estimates) == pytest.approx(truth[-1], abs=0.02)
    # Read as linear, the dissatisfier's gain would be overstated by half.
    assert np.mean(linear) > 1.4 * truth[-1]
    assert covered >= 90  # nominal 95 of 100
    # The hinge leaves a non-linear, uneven residual, so the OLS interval is a little
    # narrow for the dissatisfier itself (documented in docs/priority-model.md).
    assert covered_hinge >= 85
