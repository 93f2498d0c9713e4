"""Segments side by side: one KPI per unit, channel or period, each tested against the
rest of the organisation, with the Holm correction over all segments tested.

Why "against the rest" and not "against the overall figure" or "every pair": the
overall figure contains the segment itself, so the two are not independent and the
tests of :mod:`klantpeil.metrics.significance` would understate the difference's
error; every pair makes k(k − 1)/2 tests, so that after a correction for that many
only large differences survive, and a table of pairs is hard to read. One test per
segment (segment − everyone else within the same filters) answers the analyst's
question "where is this figure really different?" with k tests, corrected together.

Rules, in this order, for each segment:

1. Fewer than ``MIN_GROUP`` answers (``metrics.disclosure``): no figure at all, not
   tested ("too few answers"). Its answers still count in the rest of the others.
2. Fewer than ``MIN_N`` answers in the segment or in its rest: the figure is shown
   with its interval and marked, but not tested (as the overview's changes).
3. Otherwise: Welch's t for means (grade, CES), the trinomial z for NPS, the
   two-proportion z for first-contact resolution; the p-values of all tested
   segments are adjusted together with Holm–Bonferroni and compared with ``alpha``.

Plain module: no Django.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from klantpeil.metrics import stats
from klantpeil.metrics.disclosure import MIN_GROUP
from klantpeil.metrics.kpis import Sums
from klantpeil.metrics.significance import (
    Difference,
    holm,
    mean_difference,
    nps_difference,
    proportion_difference,
)
from klantpeil.metrics.stats import MIN_N, Estimate

# The KPIs a segment comparison offers, and the survey question each one reads.
KPI_QUESTIONS = {
    "grade": "overall_grade",
    "nps": "nps",
    "ces": "ces",
    "fcr": "solved_first_contact",
}
HIGHER, LOWER, SAME, NOT_TESTED, TOO_FEW = (
    "higher",
    "lower",
    "no_difference",
    "not_tested",
    "too_few",
)
VERDICTS = (HIGHER, LOWER, SAME, NOT_TESTED, TOO_FEW)


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    n: int
    estimate: Estimate | None  # None below the minimum group: nothing may be shown
    difference: Difference | None  # segment − rest, when tested
    p_adjusted: float | None  # Holm-adjusted p-value, when tested
    verdict: str  # one of VERDICTS

    @property
    def shown(self) -> bool:
        return self.estimate is not None

    @property
    def tested(self) -> bool:
        return self.difference is not None


@dataclass(frozen=True)
class SegmentComparison:
    kpi: str
    overall: Estimate
    segments: list[Segment]
    alpha: float
    min_group: int
    min_tested: int

    @property
    def tested(self) -> int:
        return sum(1 for s in self.segments if s.tested)


def estimate(kpi: str, sums: Sums) -> Estimate:
    """The KPI of a group's sums with its interval (the catalogue's formulas)."""
    if kpi == "grade":
        return stats.mean(sums.n, sums.total, sums.squares, scale=stats.GRADE_SCALE)
    if kpi == "ces":
        return stats.mean(sums.n, sums.total, sums.squares, scale=stats.CES_SCALE)
    if kpi == "nps":
        return stats.nps_from_counts(list(sums.counts), method=stats.NPS_INTERVAL)
    if kpi == "fcr":
        return stats.proportion(sums.counts[1], sums.n)
    raise ValueError(f"unknown KPI {kpi!r}; choose one of {', '.join(KPI_QUESTIONS)}")


def difference(kpi: str, rest: Sums, segment: Sums) -> Difference | None:
    """segment − rest with its test, in the KPI's unit (NPS and FCR in points); None
    when either side has too few answers to test at all."""
    try:
        if kpi in ("grade", "ces"):
            return mean_difference(
                (rest.n, rest.total, rest.squares), (segment.n, segment.total, segment.squares)
            )
        if kpi == "nps":

            def mix(s: Sums) -> tuple[int, int, int]:
                promoters, detractors = sum(s.counts[9:]), sum(s.counts[:7])
                return promoters, s.n - promoters - detractors, detractors

            return nps_difference(mix(rest), mix(segment))
        share = proportion_difference(rest.counts[1], rest.n, segment.counts[1], segment.n)
    except ValueError:
        return None
    # In percentage points, as the overview's changes: "+5 pp" reads better than "+0.05".
    return dataclasses.replace(
        share,
        difference=100 * share.difference,
        standard_error=100 * share.standard_error,
        ci_low=100 * share.ci_low,
        ci_high=100 * share.ci_high,
    )


def compare_segments(
    kpi: str,
    groups: Sequence[tuple[str, str, Sums]],
    *,
    alpha: float = 0.05,
    min_group: int = MIN_GROUP,
    min_tested: int = MIN_N,
) -> SegmentComparison:
    """Each group of ``groups`` (key, label, sums) against the rest, Holm-corrected.

    The rest of a group is all other groups together: ``groups`` must partition the
    answers of the filters (every answer in exactly one group), so the overall figure
    is their sum.
    """
    if kpi not in KPI_QUESTIONS:
        raise ValueError(f"unknown KPI {kpi!r}; choose one of {', '.join(KPI_QUESTIONS)}")
    everyone = Sums()
    for _, _, sums in groups:
        everyone = everyone + sums
    tests: dict[str, Difference] = {}
    for key, _, sums in groups:
        rest = everyone - sums
        if sums.n < max(min_group, min_tested) or rest.n < min_tested:
            continue
        found = difference(kpi, rest, sums)
        if found is not None:
            tests[key] = found
    adjusted = dict(zip(tests, holm([d.p_value for d in tests.values()], alpha=alpha), strict=True))
    segments = []
    for key, label, sums in groups:
        if sums.n < min_group:
            segments.append(Segment(key, label, sums.n, None, None, None, TOO_FEW))
            continue
        found = tests.get(key)
        if found is None:
            verdict, p = NOT_TESTED, None
        else:
            p, significant = adjusted[key]
            verdict = (HIGHER if found.difference > 0 else LOWER) if significant else SAME
        segments.append(Segment(key, label, sums.n, estimate(kpi, sums), found, p, verdict))
    return SegmentComparison(kpi, estimate(kpi, everyone), segments, alpha, min_group, min_tested)
