"""How a figure and its interval are written: ±, bounds, "too few responses", the mark."""

import pytest
from django.utils import translation

from klantpeil.dashboards.templatetags.klantpeil import estimate
from klantpeil.metrics.stats import GRADE_SCALE, mean_ci, nps, proportion


def test_a_symmetric_interval_is_written_as_plus_minus():
    # 100 grades, mean 7.4, s = 1.5 → t(0.975, 99)·1.5/10 = 0.298 → "7.4 ± 0.3".
    e = mean_ci(100, 740, 1.5**2 * 99 + 740**2 / 100, scale=GRADE_SCALE)
    assert estimate(e, 1) == "7.4 <small>± 0.3</small>"
    with translation.override("nl"):
        assert estimate(e, 1) == "7,4 <small>± 0,3</small>"


def test_a_margin_that_rounds_to_nothing_gets_one_more_digit():
    # 6,000 grades with s = 1.6: margin 0.040, not "± 0.0".
    e = mean_ci(6000, 6.8 * 6000, 1.6**2 * 5999 + (6.8 * 6000) ** 2 / 6000, scale=GRADE_SCALE)
    assert estimate(e, 1) == "6.8 <small>± 0.04</small>"


def test_a_limited_nps_interval_is_written_as_its_bounds_not_plus_minus():
    # 1 promoter, 11 detractors (Wald): NPS −83.3, SE = √((1 − 0.6944)/12) = 0.1596,
    # −83.3 ± 31.3 = −114.6 to −52.1, limited to −100: "±" would claim −114 or −60.
    e = nps(1, 0, 11)
    assert estimate(e, 0) == (
        '-83 <small>(-100 to -52)</small> <abbr class="small-n" '
        'title="fewer than 30 responses: read with care">*</abbr>'
    )
    with translation.override("nl"):
        assert "(-100 tot -52)" in estimate(e, 0)


def test_a_figure_with_a_too_wide_interval_says_too_few_responses():
    e = mean_ci(2, 13, 109, scale=GRADE_SCALE)  # grades 3 and 10
    assert estimate(e, 1) == '<span class="too-few">too few responses</span> <small>(n = 2)</small>'
    with translation.override("nl"):
        assert "te weinig reacties" in estimate(e, 1)
    assert "too few" in estimate(mean_ci(1, 8, 64, scale=GRADE_SCALE), 1)


@pytest.mark.parametrize(("successes", "n"), [(0, 0)])
def test_nothing_to_show_is_a_dash(successes, n):
    assert estimate(proportion(successes, n), 1) == "–"
    assert estimate(None, 1) == "–"


def test_an_interval_off_centre_by_less_than_the_digits_shown_reads_plus_minus():
    # Adjusted Wald at n = 2,000: 600 promoters, 900 passives, 500 detractors → NPS +5,
    # SE = √((0.55 − 0.05²)/2003) = 0.0165, half-width 3.2 points; the centre sits a
    # hundredth of a point lower, so both sides read 3 at whole points.
    e = nps(600, 900, 500, method="adjusted_wald")
    assert not e.symmetric
    assert estimate(e, 0) == "5 <small>± 3</small>"
