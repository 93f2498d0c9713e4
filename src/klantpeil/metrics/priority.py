"""One priority model: what raising each driver to a stated target gains in the overall grade.

Every page, report, API answer and the CLI rank drivers and word their advice from
:func:`priorities`, so "improve first" and the labels can never disagree.

Model
-----
The fitted driver model is the ordinary least-squares regression of the overall
grade y on the driver scores x₁…x_p (with intercept), computed from the sufficient
statistics (:class:`klantpeil.metrics.drivers.Moments`: n, Σx, Σxxᵀ), so it runs
from rows, chunks or rollups alike::

    S = the sample covariance of (y, x);   b = S_xx⁻¹ s_xy
    σ̂² = (n − 1)(s_yy − bᵀ s_xy) / (n − p − 1);   Var(b) = σ̂² S_xx⁻¹ / (n − 1)

Expected gain of driver j: every respondent's score of j rises by Δ_j = T_j − x̄_j
(the target T_j less the current mean, never below 0), the other drivers stay as
they are. For a driver with a symmetric (linear) effect::

    gain_j = b_j · Δ_j

A dissatisfier (penalty–reward analysis: it costs when bad and earns little when
good, Brandt 1987; Mikulić & Prebežac 2008) only gains while a score is below its
threshold τ_j: y = … + c_j · min(x_j − τ_j, 0). Raising a score past τ_j gains
nothing, so only the part of each respondent's rise that stays below τ_j counts::

    gain_j = c_j · E[min(x_j + Δ_j, τ_j) − min(x_j, τ_j)] = c_j · ∫₀^Δ P(x_j < τ_j − t) dt

With normally distributed drivers the regression's linear slope of such a hinge is
its average derivative, b_j = c_j · P(x_j < τ_j) (Stein's lemma, which holds in the
multiple regression too when the drivers are jointly normal, whatever their
correlation), so c_j = b_j / P(x_j < τ_j) and, with x_j ~ N(x̄_j, s_j²)
(s_j from the same moments), a = τ_j − x̄_j and G(u) = u·Φ(u) + φ(u)::

    gain_j = b_j · k_j,   k_j = s_j · [G(a/s_j) − G((a − Δ_j)/s_j)] / Φ(a/s_j)   (0 ≤ k_j ≤ Δ_j)

Far below the threshold k_j → Δ_j (the linear gain); the higher the mean above τ_j,
the smaller k_j, and with few respondents left below τ_j the slope b_j itself is
small, so the gain vanishes: a rise past the threshold gains nothing.

Interval: the delta method on the regression coefficients. The gain is linear in
b_j (k_j and Δ_j taken as given), so se(gain_j) = k_j · se(b_j) exactly and the
95% interval is gain_j ± t₀.₉₇₅(n − p − 1) · se(gain_j). Chosen over a bootstrap
because it needs only the moments (no rows, so rollups suffice) and costs one
p×p solve: a page load pays microseconds, not hundreds of resamples. It assumes
homoscedastic errors and treats the current means, the targets and the
dissatisfier classification as fixed; the current mean's own standard error
(≈ s/√n, 0.03 points at n = 5,000) is small against the coefficient's.

Target: given per driver (``targets``; the sector's top quartile where a
disclosure-safe benchmark exists) or, by default, one point above the current
mean, capped at the scale's maximum. Each driver states its target and its basis.

Ranking and labels (one model, so the first priority is never "keep up"):

- priority: by expected gain, largest first (ties: larger coefficient, then input order);
- ``focus_here``: the gain's interval lies above 0 and the gain is at least half the
  largest gain;
- ``worth_improving``: the gain's interval lies above 0, the gain is smaller;
- ``keep_up``: the driver clearly matters (its coefficient's interval lies above 0)
  but raising it to the target gains nothing clear (a dissatisfier above its
  threshold, a score at the target); never the first priority;
- ``low_priority``: neither the gain nor the effect is clearly above 0.

Sources: OLS inference as in any regression text (e.g. Greene, Econometric
Analysis, ch. 4–5); the delta method (Oehlert 1992, The American Statistician 46:27–29);
Stein's lemma (Stein 1981, Annals of Statistics 9:1135–1151); penalty–reward
contrast analysis (Brandt 1987) and impact asymmetry (Mikulić & Prebežac 2008,
Managing Service Quality 18:559–576); see docs/priority-model.md.

Plain module: numpy/scipy only, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

if TYPE_CHECKING:
    from klantpeil.metrics.drivers import Moments

LABELS = ("focus_here", "worth_improving", "keep_up", "low_priority")
DEFAULT_STEP = 1.0  # the default target: one point above the current mean
FOCUS_SHARE = 0.5  # "focus here": at least half the largest gain
TARGET_PLUS_ONE = "plus_one"
TARGET_SECTOR = "sector_top_quartile"  # the sector's disclosure-safe upper quartile edge


@dataclass(frozen=True)
class Regression:
    """OLS of the target on the drivers from moments: coefficients and their covariance."""

    n: int
    df: int  # residual degrees of freedom n − p − 1
    coefficients: np.ndarray
    covariance: np.ndarray  # Var(b)
    means: np.ndarray  # the drivers' means
    sds: np.ndarray  # the drivers' standard deviations
    r2: float


def regression(moments: Moments) -> Regression:
    """b = S_xx⁻¹ s_xy and Var(b) = σ̂² S_xx⁻¹/(n − 1) from the moments (target first)."""
    covariance = np.asarray(moments.covariance(), dtype=float)
    p = covariance.shape[0] - 1
    if p < 1:
        raise ValueError("need the target and at least one driver")
    df = int(moments.n) - p - 1
    if df < 1:
        raise ValueError(f"{p} drivers need at least {p + 2} complete responses, got {moments.n}")
    sxx, sxy, syy = covariance[1:, 1:], covariance[1:, 0], covariance[0, 0]
    if np.linalg.cond(sxx) > 1e12:
        raise ValueError("drivers are perfectly collinear; drop one of them")
    inverse = np.linalg.inv(sxx)
    b = inverse @ sxy
    # (W − 1) is the covariance's denominator: Σw for weighted moments, n otherwise.
    scale = moments.total_weight - 1
    residual = max(0.0, syy - b @ sxy)
    sigma2 = scale * residual / df
    return Regression(
        n=int(moments.n),
        df=df,
        coefficients=b,
        covariance=sigma2 * inverse / scale,
        means=np.asarray(moments.means(), dtype=float)[1:],
        sds=np.sqrt(np.diag(sxx)),
        r2=float(1 - residual / syy) if syy > 0 else 0.0,
    )


def _hinge_factor(mean: float, sd: float, threshold: float, step: float) -> float:
    """k = ∫₀^Δ P(x < τ − t) dt / P(x < τ) for x ~ N(mean, sd²): the effective rise."""
    if step <= 0:
        return 0.0
    if sd <= 0:
        return step if mean + step <= threshold else max(0.0, threshold - mean)
    a = (threshold - mean) / sd
    below = stats.norm.cdf(a)
    if below < 1e-12:  # practically nobody below the threshold: nothing to gain
        return 0.0

    def g(u: float) -> float:
        return u * stats.norm.cdf(u) + stats.norm.pdf(u)

    return float(min(step, max(0.0, sd * (g(a) - g(a - step / sd)) / below)))


def hinge_gain(coefficient: float, mean: float, sd: float, threshold: float, step: float) -> float:
    """The expected gain of a dissatisfier: b · k (see the module's docstring)."""
    return coefficient * _hinge_factor(mean, sd, threshold, step)


@dataclass(frozen=True)
class DriverGain:
    name: str
    current: float  # the driver's mean score now
    target: float  # the mean score the gain assumes
    target_basis: str  # "plus_one" (default) or the caller's basis, e.g. "sector_top_quartile"
    coefficient: float  # b: grade points per point of this driver, the others held equal
    coefficient_low: float
    coefficient_high: float
    dissatisfier: bool  # gains only below ``threshold``
    threshold: float | None
    expected_gain: float  # in grade points
    expected_gain_low: float
    expected_gain_high: float
    priority: int  # 1 = improve first
    label: str  # one of LABELS


@dataclass(frozen=True)
class PriorityModel:
    n: int
    r2: float
    confidence: float
    drivers: list[DriverGain]  # in priority order

    @property
    def first(self) -> DriverGain | None:
        return self.drivers[0] if self.drivers else None

    def by_name(self) -> dict[str, DriverGain]:
        return {d.name: d for d in self.drivers}


def label(gain: DriverGain, top_gain: float) -> str:
    """The advice for one driver, from its gain, the gain's interval and its effect."""
    if gain.expected_gain_low > 0:
        return "focus_here" if gain.expected_gain >= FOCUS_SHARE * top_gain else "worth_improving"
    if gain.coefficient_low > 0 and gain.priority > 1:
        return "keep_up"
    return "low_priority"


def priorities(
    moments: Moments,
    names: Sequence[str],
    *,
    targets: Mapping[str, float] | None = None,
    target_basis: str = "given",
    dissatisfiers: Mapping[str, float] | None = None,
    scale_min: float = 1,
    scale_max: float = 10,
    step: float = DEFAULT_STEP,
    confidence: float = 0.95,
) -> PriorityModel:
    """Each driver's expected gain in the target if its mean rose to a target, ranked.

    ``moments``: target first, then the drivers in the order of ``names``.
    ``targets``: a target mean per driver (e.g. the sector's top quartile, stated as
    ``target_basis``); a driver without one gets ``step`` points above its mean,
    capped at ``scale_max``. ``dissatisfiers``: name → threshold τ below which the
    driver costs points (see the module's docstring). Targets off the scale are an error.
    """
    names = list(names)
    fit = regression(moments)
    if len(fit.coefficients) != len(names):
        raise ValueError(
            f"one name per driver column is needed: {len(fit.coefficients)} drivers, "
            f"{len(names)} names"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    targets = dict(targets or {})
    dissatisfiers = dict(dissatisfiers or {})
    unknown = sorted((set(targets) | set(dissatisfiers)) - set(names))
    if unknown:
        raise ValueError(f"no driver named {', '.join(unknown)}")
    t = float(stats.t.ppf((1 + confidence) / 2, fit.df))
    se = np.sqrt(np.maximum(np.diag(fit.covariance), 0.0))
    rows = []
    for j, name in enumerate(names):
        current = float(fit.means[j])
        if name in targets:
            target = float(targets[name])
            if not scale_min <= target <= scale_max:
                raise ValueError(
                    f"target of {name} ({target}) is off the scale {scale_min}–{scale_max}"
                )
            basis = target_basis
        else:
            target, basis = min(current + step, scale_max), TARGET_PLUS_ONE
        rise = max(0.0, target - current)
        threshold = dissatisfiers.get(name)
        factor = (
            rise
            if threshold is None
            else _hinge_factor(current, float(fit.sds[j]), float(threshold), rise)
        )
        b = float(fit.coefficients[j])
        gain, margin = b * factor, t * factor * float(se[j])
        rows.append(
            dict(
                name=name,
                current=current,
                target=target,
                target_basis=basis,
                coefficient=b,
                coefficient_low=b - t * float(se[j]),
                coefficient_high=b + t * float(se[j]),
                dissatisfier=threshold is not None,
                threshold=None if threshold is None else float(threshold),
                expected_gain=gain,
                expected_gain_low=gain - margin,
                expected_gain_high=gain + margin,
            )
        )
    order = sorted(
        range(len(rows)), key=lambda i: (-rows[i]["expected_gain"], -rows[i]["coefficient"], i)
    )
    ranked = [DriverGain(**rows[i], priority=rank, label="") for rank, i in enumerate(order, 1)]
    top = max(ranked[0].expected_gain, 0.0) if ranked else 0.0
    return PriorityModel(
        n=fit.n,
        r2=fit.r2,
        confidence=confidence,
        drivers=[DriverGain(**{**d.__dict__, "label": label(d, top)}) for d in ranked],
    )
