"""KPI statistics with their uncertainty, computed from counts and sums.

Dashboards read precomputed rollups (counts, Σx, Σx², counts per answer), so
every function here takes such sufficient statistics; ``*_from_values`` and
``*_from_scores`` helpers exist for tests and small ad-hoc files. Every
estimate carries its n and an interval, and samples below ``min_n`` are
flagged, never hidden. Plain module: numpy/scipy/stdlib only, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from scipy import stats as scipy_stats

from klantpeil.metrics.disclosure import below_minimum_group

Z95 = 1.959963984540054
MIN_N = 30
NPS_METHODS = ("wald", "adjusted_wald")
# The NPS interval every screen, report and API answer shows: the Wald interval's
# coverage falls far below 95% for small n and lopsided mixes (n = 10 with 80%
# promoters and 10% detractors: about 74%), the adjusted Wald interval holds it
# (about 96% there; test_stats.py simulates both).
NPS_INTERVAL = "adjusted_wald"
# A figure whose 95% interval spans more than this share of its scale's range is shown
# as "too few responses" instead of a number: 3.6 points on the 1–10 grade, 80 NPS
# points, 40 percentage points, 2.4 points on the 1–7 CES. Below that width the figure
# is shown with its interval (and marked when n < MIN_N); above it the number says
# less than its interval, and people read the number.
MAX_INTERVAL_SHARE = 0.4
GRADE_SCALE = (1.0, 10.0)
CES_SCALE = (1.0, 7.0)
NPS_SCALE = (-100.0, 100.0)
SHARE_SCALE = (0.0, 1.0)


@dataclass(frozen=True)
class Estimate:
    """A KPI value with its n and interval; ``value`` is None when there are no answers.

    The one KPI value type: survey KPIs (grade, NPS, CES, CSAT, FCR), reachability and
    e-mail KPIs, and plain figures without an interval (a median, a mean of a few).
    Proportions are shares (0–1) and carry ``successes``; NPS is in points (−100…100).
    ``standard_error`` is in the same unit as ``value``. ``scale`` is the range the
    figure can take (1–10 for a grade); the interval never reaches beyond it. ``norm``
    is the organisation's target where one applies (NEN 8878's 85% answered in time),
    ``meets_norm`` whether the value reaches it (None without a norm or a value).
    """

    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    small_sample: bool
    successes: int | None = None
    standard_error: float | None = None
    scale: tuple[float, float] | None = None
    norm: float | None = None
    meets_norm: bool | None = None

    @property
    def is_share(self) -> bool:
        """A proportion (it counts successes), as opposed to a mean, NPS or median."""
        return self.successes is not None

    def against(self, norm: float | None) -> Estimate:
        """This estimate with a norm attached and whether the value reaches it."""
        meets = None if norm is None or self.value is None else self.value >= norm
        return replace(self, norm=norm, meets_norm=meets)

    def as_dict(self) -> dict:
        """The JSON form the CLI prints and the infographic reads back (:func:`from_dict`):
        value and n; for a share also successes and the interval; norm and meets_norm
        where a norm applies."""
        result: dict = {"value": self.value, "n": self.n}
        if self.is_share or self.ci_low is not None:
            if self.successes is not None:
                result["successes"] = self.successes
            result |= {"ci_low": self.ci_low, "ci_high": self.ci_high}
        if self.norm is not None:
            result["norm"] = self.norm
        if self.meets_norm is not None:
            result["meets_norm"] = self.meets_norm
        return result

    @property
    def margin(self) -> float | None:
        """Half the interval's width (the "± points" people quote)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2

    @property
    def symmetric(self) -> bool:
        """The interval is value ± margin: not clipped at the scale's end, not skewed.

        A clipped or skewed interval (Wilson's, the adjusted Wald NPS, a grade near 10)
        is shown as its bounds, since "± margin" would claim values it excludes.
        """
        if self.value is None or self.ci_low is None or self.ci_high is None:
            return False
        span = self.scale[1] - self.scale[0] if self.scale else 1.0
        below, above = self.value - self.ci_low, self.ci_high - self.value
        return abs(below - above) <= 1e-9 * span

    @property
    def below_minimum_group(self) -> bool:
        """Fewer answers than the minimum group (``disclosure.MIN_GROUP``, 5): no figure
        may be shown, only "too few responses (n < 5)"."""
        return below_minimum_group(self.n)

    @property
    def too_wide(self) -> bool:
        """Too few responses to show the figure as a number (see MAX_INTERVAL_SHARE).

        True when there is a value but no interval (a single answer) or an interval wider
        than MAX_INTERVAL_SHARE of the scale's range.
        """
        if self.value is None:
            return False
        if self.ci_low is None or self.ci_high is None:
            return True
        if self.scale is None:
            return False
        return self.ci_high - self.ci_low > MAX_INTERVAL_SHARE * (self.scale[1] - self.scale[0])


def from_dict(data: Mapping) -> Estimate:
    """An estimate back from :meth:`Estimate.as_dict` (what ``--format json`` printed)."""
    n = int(data.get("n", 0))
    if "ci_low" not in data:
        return statistic(data["value"], n)
    norm = data.get("norm")
    if data.get("successes") is not None:  # a share: the same estimate, recomputed exactly
        return proportion(int(data["successes"]), n, norm=norm)
    return Estimate(
        data["value"],
        n,
        data["ci_low"],
        data["ci_high"],
        small_sample(n),
        successes=data.get("successes", 0),
        scale=SHARE_SCALE,
        norm=norm,
        meets_norm=data.get("meets_norm"),
    )


def statistic(value: float | None, n: int, *, min_n: int = MIN_N) -> Estimate:
    """A figure given without an interval (a median response time, a mean tone): its n only."""
    return Estimate(value, n, None, None, small_sample(n, min_n))


def _clip(low: float, high: float, scale: tuple[float, float] | None) -> tuple[float, float]:
    if scale is None:
        return low, high
    return max(scale[0], low), min(scale[1], high)


def small_sample(n: float, min_n: float = MIN_N) -> bool:
    """The flag rule used everywhere: fewer than ``min_n`` answers (default 30) is small.

    30 is a convention (the normal approximation behind most intervals starts to be
    reasonable), not a law; organisations may choose another threshold.
    """
    return n < min_n


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard-normal quantile: 1.959964 for 95%."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if confidence == 0.95:
        return Z95
    return float(scipy_stats.norm.ppf(0.5 + confidence / 2))


def _check_counts(successes: int, n: int) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 ≤ successes ≤ n, got {successes} of {n}")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927, JASA 22:209–212).

    centre = (p̂ + z²/2n) / (1 + z²/n);  half = z·√(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n).
    Unlike the Wald interval it keeps good coverage for small n and p̂ near 0 or 1
    (Brown, Cai & DasGupta 2001, Statistical Science 16:101–133).
    """
    _check_counts(successes, n)
    if n == 0:
        raise ValueError("n must be positive")
    z = z_value(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # The interval always contains p̂; at 0 of n rounding put the bound 4e-19 above it.
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


# The name the reachability KPIs import.
wilson = wilson_interval


def proportion(
    successes: int,
    n: int,
    *,
    confidence: float = 0.95,
    min_n: int = MIN_N,
    norm: float | None = None,
) -> Estimate:
    """A share (0–1) with its Wilson interval: helped rate, FCR, CSAT and the like.

    value = successes / n;  standard_error = √(p̂(1−p̂)/n) (Wald, for reference only).
    n = 0 gives value None rather than an error: an empty cell is a normal sight.
    ``norm``: the target share, if one applies; ``meets_norm`` says whether it is met.
    """
    _check_counts(successes, n)
    if n == 0:
        return Estimate(None, 0, None, None, True, successes=0, scale=SHARE_SCALE, norm=norm)
    low, high = wilson_interval(successes, n, confidence)
    p = successes / n
    return Estimate(
        p,
        n,
        low,
        high,
        small_sample(n, min_n),
        successes=successes,
        standard_error=math.sqrt(p * (1 - p) / n),
        scale=SHARE_SCALE,
    ).against(norm)


def mean_ci(
    n: int,
    total: float,
    sum_squares: float,
    *,
    confidence: float = 0.95,
    min_n: int = MIN_N,
    scale: tuple[float, float] | None = None,
) -> Estimate:
    """Mean with a t-based interval from the sufficient statistics n, Σx and Σx².

    x̄ = Σx/n;  s² = (Σx² − (Σx)²/n) / (n − 1);  CI = x̄ ± t(1−α/2, n−1)·s/√n,
    limited to ``scale`` when given (a grade's mean cannot leave 1–10, so neither may
    its interval; a limited interval is then no longer symmetric).
    The one-pass form loses digits only when the mean is huge against the spread,
    which bounded rating scales never are; s² is clamped at 0 against rounding.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    if n == 0:
        return Estimate(None, 0, None, None, True, scale=scale)
    value = total / n
    if n == 1:
        return Estimate(value, 1, None, None, True, scale=scale)
    variance = max(0.0, (sum_squares - total * total / n) / (n - 1))
    se = math.sqrt(variance / n)
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, n - 1)) * se
    low, high = _clip(value - half, value + half, scale)
    return Estimate(value, n, low, high, small_sample(n, min_n), standard_error=se, scale=scale)


# The name the dashboards' selectors import.
mean = mean_ci


def mean_ci_from_values(
    values: Iterable[float | None],
    *,
    confidence: float = 0.95,
    min_n: int = MIN_N,
    scale: tuple[float, float] | None = None,
) -> Estimate:
    """:func:`mean_ci` of raw answers; None and NaN (not answered) are left out."""
    kept = [float(v) for v in values if v is not None and not math.isnan(v)]
    return mean_ci(
        len(kept),
        math.fsum(kept),
        math.fsum(v * v for v in kept),
        confidence=confidence,
        min_n=min_n,
        scale=scale,
    )


def _counts_on_scale(
    counts_by_value: Mapping[int, int], low: int, high: int
) -> tuple[int, float, float]:
    """n, Σx, Σx² of answers given as {answer: count}, checking they are on the scale."""
    off_scale = sorted(v for v, c in counts_by_value.items() if c and not low <= v <= high)
    if off_scale:
        raise ValueError(f"answers {off_scale} are outside the scale {low}–{high}")
    n = sum(counts_by_value.values())
    total = math.fsum(v * c for v, c in counts_by_value.items())
    squares = math.fsum(v * v * c for v, c in counts_by_value.items())
    return n, total, squares


def nps(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    method: str = "wald",
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> Estimate:
    """Net Promoter Score in points (−100…100) with its margin of error.

    NPS = 100(p̂_P − p̂_D). Scoring each respondent +1/0/−1 makes NPS/100 a mean whose
    trinomial variance is Var = [p_P + p_D − (p_P − p_D)²] / n; SE = √Var.

    - ``method="wald"``: CI = NPS ± z·SE·100.
    - ``method="adjusted_wald"`` (Rocks 2016, The American Statistician, as summarised by
      MeasuringU): n' = n + 3, p'_P = (n_P + ¾)/n', p'_D = (n_D + ¾)/n',
      CI = 100(p'_P − p'_D) ± z·SE'·100. Better coverage for small n or extreme mixes.

    ``value`` is always the observed NPS (the number people quote); with the adjusted
    Wald method the interval is centred on the adjusted score instead, like Wilson's
    interval for a proportion. Intervals are clipped to −100…100.
    """
    if method not in NPS_METHODS:
        raise ValueError(f"unknown NPS method {method!r}; choose {' or '.join(NPS_METHODS)}")
    if min(promoters, passives, detractors) < 0:
        raise ValueError("counts must not be negative")
    n = promoters + passives + detractors
    if n == 0:
        return Estimate(None, 0, None, None, True, scale=NPS_SCALE)
    observed = (promoters - detractors) / n
    if method == "wald":
        n_used, p_p, p_d = n, promoters / n, detractors / n
    else:
        n_used = n + 3
        p_p, p_d = (promoters + 0.75) / n_used, (detractors + 0.75) / n_used
    centre = p_p - p_d
    se = math.sqrt(max(0.0, p_p + p_d - centre * centre) / n_used)
    half = z_value(confidence) * se
    return Estimate(
        100 * observed,
        n,
        max(-100.0, 100 * (centre - half)),
        min(100.0, 100 * (centre + half)),
        small_sample(n, min_n),
        standard_error=100 * se,
        scale=NPS_SCALE,
    )


def nps_from_counts(counts: Sequence[int], *, method: str = "wald", min_n: int = MIN_N) -> Estimate:
    """NPS from the number of answers 0…10 (index = answer): 9–10 promote, 0–6 detract."""
    if len(counts) != 11:
        raise ValueError("NPS needs counts for the answers 0 to 10")
    return nps(sum(counts[9:]), sum(counts[7:9]), sum(counts[:7]), method=method, min_n=min_n)


def nps_from_scores(
    scores: Iterable[int | float | None], *, method: str = "wald", min_n: int = MIN_N
) -> Estimate:
    """NPS of raw 0–10 answers; None and NaN (not answered) are left out."""
    counts = [0] * 11
    for score in scores:
        if score is None or (isinstance(score, float) and math.isnan(score)):
            continue
        if score != int(score) or not 0 <= score <= 10:
            raise ValueError(f"an NPS answer is a whole number 0–10, got {score!r}")
        counts[int(score)] += 1
    return nps_from_counts(counts, method=method, min_n=min_n)


@dataclass(frozen=True)
class Ces:
    """Customer Effort Score 2.0: the mean on 1–7 and the share who agree (5–7)."""

    mean: Estimate
    easy: Estimate


def ces(
    counts_by_value: Mapping[int, int],
    *,
    easy_from: int = 5,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> Ces:
    """CES 2.0 ("… made it easy for me to handle my issue", 1 = strongly disagree … 7).

    Gartner's CES 2.0 is reported as the mean or as the share answering 5–7; both are
    given. ``counts_by_value`` maps each answer 1…7 to its count.
    """
    n, total, squares = _counts_on_scale(counts_by_value, 1, 7)
    easy = sum(c for v, c in counts_by_value.items() if v >= easy_from)
    return Ces(
        mean=mean_ci(n, total, squares, confidence=confidence, min_n=min_n, scale=CES_SCALE),
        easy=proportion(easy, n, confidence=confidence, min_n=min_n),
    )


def csat_top2(
    counts_by_value: Mapping[int, int],
    scale_max: int = 5,
    *,
    scale_min: int = 1,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> Estimate:
    """CSAT as the top-2-box share: answers ≥ scale_max − 1 over all answers.

    On a 1–5 scale that is the share answering 4 or 5. A mean of 4.2 is not CSAT %.
    """
    n, _, _ = _counts_on_scale(counts_by_value, scale_min, scale_max)
    top = sum(c for v, c in counts_by_value.items() if v >= scale_max - 1)
    return proportion(top, n, confidence=confidence, min_n=min_n)


def fcr(yes: int, answered: int, *, confidence: float = 0.95, min_n: int = MIN_N) -> Estimate:
    """First-contact resolution: share of "yes, solved in one contact" among those answering.

    The method behind the yes (survey, no repeat contact within N days, agent flag)
    must be stated with the figure; the arithmetic is the same.
    """
    return proportion(yes, answered, confidence=confidence, min_n=min_n)
