"""Agreement statistics reproduce their published worked examples."""

from __future__ import annotations

import pytest

from klantpeil.analytics.agreement import (
    cohen_kappa,
    fleiss_kappa,
    item_agreement,
    krippendorff_alpha,
    scores_from_rows,
    verdict,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# four observers, twelve units, missing values; unit 12 has one value (not pairable).
_ = None
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]


@pytest.mark.parametrize(
    ("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorffs_worked_example(level, expected):
    result = krippendorff_alpha(KRIPPENDORFF, level)
    assert round(result.value, 3) == expected
    assert (result.units, result.raters) == (11, 4)


def test_wikipedias_cohen_kappa_example():
    # 50 proposals: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → p_o = 0.7, p_e = 0.5.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    result = cohen_kappa(a, b)
    assert result.value == pytest.approx(0.4)
    assert result.observed == pytest.approx(0.7)


def test_wikipedias_fleiss_kappa_example():
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    ratings = [[c for c, count in enumerate(row, start=1) for _ in range(count)] for row in table]
    result = fleiss_kappa(ratings)
    assert round(result.value, 3) == 0.210
    assert round(result.observed, 3) == 0.378
    assert (result.units, result.raters) == (10, 14)


def test_no_variation_at_all_is_undefined_not_a_division_by_zero():
    assert krippendorff_alpha([[1, 1, 1], [1, 1, 1]]).value is None
    assert krippendorff_alpha([[1, 2, 3]]).value is None  # a single rater pairs nothing
    assert cohen_kappa(["a", "a"], ["a", "a"]).value is None
    assert fleiss_kappa([["x", "x"], ["x", "x"]]).value is None
    assert verdict(None) == "undefined"


def test_perfect_agreement_is_one_and_the_interval_holds_the_estimate():
    data = [[1, 0, 1, 1, 0, 1, 0, 0], [1, 0, 1, 1, 0, 1, 0, 0], [1, 0, 1, 1, 0, 1, 0, 1]]
    result = krippendorff_alpha(data, bootstrap=200, seed=1)
    assert 0.6 < result.value < 1
    assert result.ci_low <= result.value <= result.ci_high <= 1
    assert krippendorff_alpha(data[:2]).value == 1.0


def test_per_item_agreement_from_long_rows_shows_which_point_needs_a_sharper_definition():
    rows = []
    for contact in range(1, 9):
        for rater in ("ann", "bob", "cas"):
            rows.append(
                {
                    "contact": contact,
                    "rater": rater,
                    "connected": contact % 4 != 0,  # everyone agrees
                    # Empathy depends on who listened: bob is stricter on half the calls.
                    "empathy": (contact % 2 == 0) if rater != "bob" else (contact % 3 == 0),
                }
            )
    result = item_agreement(scores_from_rows(rows, "contact", "rater"))
    assert result["connected"].value == 1.0 and verdict(result["connected"].value) == "good"
    assert result["empathy"].value < 0.667 and verdict(result["empathy"].value) == "poor"
    assert result["empathy"].units == 8
