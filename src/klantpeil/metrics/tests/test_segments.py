"""Segments against the rest of the organisation, Holm-corrected, with the minimum group."""

import pytest

from klantpeil.metrics.kpis import Sums
from klantpeil.metrics.segments import (
    HIGHER,
    LOWER,
    NOT_TESTED,
    SAME,
    TOO_FEW,
    compare_segments,
)
from klantpeil.metrics.significance import mean_difference


def grades(*pairs: tuple[int, int]) -> Sums:
    """Sums of grades given as (grade, how many)."""
    counts = [0] * 11
    for grade, times in pairs:
        counts[grade] += times
    n = sum(t for _, t in pairs)
    total = sum(g * t for g, t in pairs)
    return Sums(n, float(total), float(sum(g * g * t for g, t in pairs)), tuple(counts))


A = grades((8, 20), (9, 20))  # n 40, mean 8.5
B = grades((6, 20), (7, 20))  # n 40, mean 6.5
C = grades((7, 5), (8, 5))  # n 10: shown, not tested
D = grades((7, 3))  # n 3: below the minimum group
E = grades((7, 20), (8, 20))  # n 40, mean 7.5: the middle


def test_each_segment_against_the_rest_with_holm():
    result = compare_segments("grade", [("a", "A", A), ("b", "B", B), ("c", "C", C), ("d", "D", D)])
    a, b, c, d = result.segments
    # The overall figure is everyone: (340 + 260 + 75 + 21) / 93.
    assert result.overall.value == pytest.approx(696 / 93, abs=1e-12)
    assert result.overall.n == 93
    # A against B + C + D (n 53), B against A + C + D: Welch from the sums.
    raw_a = mean_difference(
        (53, 260 + 75 + 21.0, B.squares + C.squares + D.squares), (40, 340.0, A.squares)
    )
    raw_b = mean_difference(
        (53, 340 + 75 + 21.0, A.squares + C.squares + D.squares), (40, 260.0, B.squares)
    )
    assert a.difference.difference == pytest.approx(8.5 - 356 / 53, abs=1e-12)
    assert a.difference.p_value == raw_a.p_value
    # Two tests: the smaller p doubled, the larger one raised to at least that.
    low, high = sorted([raw_a.p_value, raw_b.p_value])
    expected = {raw_a.p_value: None, raw_b.p_value: None}
    expected[low] = min(1.0, 2 * low)
    expected[high] = max(expected[low], min(1.0, high))
    assert a.p_adjusted == pytest.approx(expected[raw_a.p_value], rel=1e-12)
    assert b.p_adjusted == pytest.approx(expected[raw_b.p_value], rel=1e-12)
    assert (a.verdict, b.verdict) == (HIGHER, LOWER)
    # C: n 10 < 30, shown with its interval but not tested; D: n 3 < 5, nothing shown.
    assert c.verdict == NOT_TESTED and c.estimate.value == 7.5 and c.p_adjusted is None
    assert d.verdict == TOO_FEW and d.estimate is None and d.difference is None and d.n == 3
    assert result.tested == 2


def test_a_segment_like_the_rest_is_no_difference():
    result = compare_segments("grade", [("a", "A", A), ("b", "B", B), ("e", "E", E)])
    # E (7.5) against A + B (7.5): difference 0, p = 1, adjusted 1.
    e = result.segments[2]
    assert e.difference.difference == pytest.approx(0.0, abs=1e-12)
    assert e.p_adjusted == pytest.approx(1.0)
    assert e.verdict == SAME


def test_nps_and_first_contact_resolution_in_points():
    promoters = Sums(40, 0, 0, (0,) * 9 + (20, 20))  # NPS +100
    detractors = Sums(40, 0, 0, (20, 20) + (0,) * 9)  # NPS −100
    result = compare_segments("nps", [("p", "P", promoters), ("d", "D", detractors)])
    assert result.segments[0].estimate.value == 100.0
    assert result.segments[0].difference.difference == pytest.approx(200.0)
    # fcr: answer 1 = solved. 30 of 40 against 10 of 40: +50 points.
    yes = Sums(40, 30, 30, (10, 30) + (0,) * 9)
    no = Sums(40, 10, 10, (30, 10) + (0,) * 9)
    fcr = compare_segments("fcr", [("y", "Y", yes), ("n", "N", no)])
    assert fcr.segments[0].estimate.value == 0.75
    assert fcr.segments[0].difference.difference == pytest.approx(50.0)
    assert fcr.overall.value == 0.5


def test_one_segment_has_no_rest_to_differ_from():
    result = compare_segments("grade", [("a", "A", A)])
    assert result.segments[0].verdict == NOT_TESTED
    with pytest.raises(ValueError, match="unknown KPI"):
        compare_segments("csat", [])
