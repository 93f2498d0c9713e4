"""Agreement statistics reproduce their published worked examples, stay defined only
where they mean something, and agree with the reference implementation."""

from __future__ import annotations

import math
import random

import pytest

from klantpeil.metrics.agreement import (
    LEVELS,
    Agreement,
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

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories;
# row i: how many raters put subject i in categories 1..5.
FLEISS_TABLE = [
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


def _fleiss_ratings():
    return [
        [c for c, count in enumerate(row, start=1) for _ in range(count)] for row in FLEISS_TABLE
    ]


def _wikipedia_cohen():
    # 50 proposals: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    return a, b


def _random_data(rng: random.Random, raters: int, units: int, categories: int, missing: float):
    truth = [rng.randint(1, categories) for _ in range(units)]
    return [
        [
            None
            if rng.random() < missing
            else (t if rng.random() < 0.7 else rng.randint(1, categories))
            for t in truth
        ]
        for _ in range(raters)
    ]


# --- Krippendorff's alpha -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorffs_worked_example(level, published):
    result = krippendorff_alpha(KRIPPENDORFF, level)
    assert result.statistic == "krippendorff_alpha"
    assert round(result.value, 3) == published
    assert (result.units, result.raters) == (11, 4)
    # 40 pairable values, 32 of them matched within their unit (Σ o_cc).
    assert result.observed == pytest.approx(32 / 40)
    assert result.expected == pytest.approx(344 / 1560)  # Σ n_c(n_c − 1) / n(n − 1)
    assert (result.ci_low, result.ci_high) == (None, None)


def test_the_nominal_example_to_the_last_digit():
    # α = 1 − (n − 1)(n − Σ o_cc) / (n(n − 1) − Σ n_c(n_c − 1)) = 1 − 39·8 / (1560 − 344).
    assert krippendorff_alpha(KRIPPENDORFF).value == pytest.approx(1 - 312 / 1216, abs=1e-15)


def test_missing_values_may_be_nan_and_nominal_values_may_be_text():
    with_nan = [[math.nan if v is None else float(v) for v in row] for row in KRIPPENDORFF]
    for level in LEVELS:
        assert krippendorff_alpha(with_nan, level) == krippendorff_alpha(KRIPPENDORFF, level)
    words = [[None if v is None else "abcde"[v - 1] for v in row] for row in KRIPPENDORFF]
    assert krippendorff_alpha(words).value == krippendorff_alpha(KRIPPENDORFF).value


def test_alpha_keeps_what_its_level_says_it_should():
    def transform(f):
        return [[None if v is None else f(v) for v in row] for row in KRIPPENDORFF]

    def value(data, level):
        return krippendorff_alpha(data, level).value

    # Nominal: only which values are equal matters; ordinal: only their order;
    # interval: only differences up to a common scale.
    assert value(transform(lambda v: 10 - v), "nominal") == pytest.approx(0.743421, abs=1e-6)
    assert value(transform(lambda v: v**3 + 100), "ordinal") == pytest.approx(
        value(KRIPPENDORFF, "ordinal")
    )
    assert value(transform(lambda v: 2.5 * v - 7), "interval") == pytest.approx(
        value(KRIPPENDORFF, "interval")
    )
    assert value(transform(lambda v: v**3), "interval") != pytest.approx(
        value(KRIPPENDORFF, "interval")
    )


def test_the_order_of_raters_and_units_does_not_matter():
    rng = random.Random(4)
    columns = list(range(12))
    rng.shuffle(columns)
    shuffled = [[row[u] for u in columns] for row in reversed(KRIPPENDORFF)]
    for level in LEVELS:
        assert krippendorff_alpha(shuffled, level).value == pytest.approx(
            krippendorff_alpha(KRIPPENDORFF, level).value
        )


def test_alpha_matches_the_krippendorff_package_on_random_data_with_missing_values():
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    rng = random.Random(2011)
    compared = 0
    for _case in range(120):
        data = _random_data(
            rng, rng.randint(2, 6), rng.randint(3, 40), rng.randint(2, 6), missing=0.3
        )
        array = np.array([[np.nan if v is None else v for v in row] for row in data], float)
        for level in LEVELS:
            ours = krippendorff_alpha(data, level).value
            if ours is None:
                continue  # undefined: the package divides by zero there
            theirs = krippendorff.alpha(reliability_data=array, level_of_measurement=level)
            assert ours == pytest.approx(theirs, abs=1e-12)
            compared += 1
    assert compared > 300


def test_free_numbers_with_many_distinct_values_are_fine_on_the_interval_level():
    rng = random.Random(1)
    truth = [rng.gauss(0, 1) for _ in range(300)]
    data = [[t + rng.gauss(0, 0.3) for t in truth] for _ in range(3)]
    result = krippendorff_alpha(data, "interval", bootstrap=200, seed=2)
    # Variance 1 against error variance 0.09: α ≈ 1 / 1.09 ≈ 0.92.
    assert 0.88 < result.value < 0.95
    assert result.ci_low < result.value < result.ci_high


def test_perfect_agreement_is_one_at_every_level():
    data = [[1, 2, 3, None, 5], [1, 2, 3, 4, 5], [None, 2, 3, 4, 5]]
    for level in LEVELS:
        result = krippendorff_alpha(data, level)
        assert result.value == 1.0
        assert result.observed == 1.0


def test_systematic_disagreement_is_below_zero():
    assert krippendorff_alpha([["a", "b", "a", "b"], ["b", "a", "b", "a"]]).value < 0


# --- undefined cases ------------------------------------------------------------------------


def test_no_variation_at_all_is_undefined_not_a_division_by_zero():
    for level in LEVELS:
        same = krippendorff_alpha([[1, 1, 1], [1, 1, None], [1, None, 1]], level)
        assert same.value is None
        assert (same.units, same.raters, same.observed) == (3, 3, 1.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]).value is None
    assert fleiss_kappa([["x", "x"], ["x", "x"]]).value is None
    assert verdict(None) == "undefined"


def test_a_single_rater_or_nothing_pairable_is_undefined():
    single = krippendorff_alpha([[1, 2, 3]])
    assert (single.value, single.units, single.raters, single.observed) == (None, 0, 1, None)
    apart = krippendorff_alpha([[1, None], [None, 2]])  # never the same unit
    assert (apart.value, apart.units, apart.raters) == (None, 0, 2)
    assert krippendorff_alpha([]) == Agreement("krippendorff_alpha", None, 0, 0, None)
    assert krippendorff_alpha([[None, None], [None, None]]).value is None
    assert fleiss_kappa([["a"], ["b"]]).value is None
    assert fleiss_kappa([]).value is None
    assert cohen_kappa([], []).value is None
    assert cohen_kappa([None, "a"], ["b", None]).units == 0


def test_an_undefined_value_has_no_interval():
    result = krippendorff_alpha([[1, 1, 1], [1, 1, 1]], bootstrap=100)
    assert (result.value, result.ci_low, result.ci_high) == (None, None, None)


# --- Cohen's and Fleiss' kappa --------------------------------------------------------------


def test_wikipedias_cohen_kappa_example():
    result = cohen_kappa(*_wikipedia_cohen())
    assert result.statistic == "cohen_kappa"
    assert result.value == pytest.approx(0.4)
    assert result.observed == pytest.approx(0.7)
    assert result.expected == pytest.approx(0.5)
    assert (result.units, result.raters) == (50, 2)


def test_cohen_kappa_leaves_out_units_a_rater_skipped():
    a, b = _wikipedia_cohen()
    result = cohen_kappa([*a, None, "yes", math.nan], [*b, "no", None, "no"])
    assert result.units == 50
    assert result.value == pytest.approx(0.4)
    with pytest.raises(ValueError, match=r"same units \(3 and 2 given\)"):
        cohen_kappa(["a", "b", "c"], ["a", "b"])


def test_wikipedias_fleiss_kappa_example():
    result = fleiss_kappa(_fleiss_ratings())
    assert result.statistic == "fleiss_kappa"
    assert round(result.value, 3) == 0.210
    assert round(result.observed, 3) == 0.378  # P̄
    assert round(result.expected, 3) == 0.213  # P̄_e
    assert (result.units, result.raters) == (10, 14)


def test_fleiss_kappa_needs_complete_equal_sized_units():
    with pytest.raises(ValueError, match="same number of ratings for every unit, got 2, 3"):
        fleiss_kappa([["a", "b"], ["a", "b", "c"]])
    with pytest.raises(ValueError, match="missing ratings; use Krippendorff's alpha"):
        fleiss_kappa([["a", None], ["a", "b"]])


# --- bootstrap intervals --------------------------------------------------------------------


def test_bootstrap_intervals_are_seeded_and_hold_the_estimate():
    for statistic in (
        lambda **kw: krippendorff_alpha(KRIPPENDORFF, "interval", **kw),
        lambda **kw: cohen_kappa(*_wikipedia_cohen(), **kw),
        lambda **kw: fleiss_kappa(_fleiss_ratings(), **kw),
    ):
        result = statistic(bootstrap=500, seed=1)
        assert -1 <= result.ci_low <= result.value <= result.ci_high <= 1
        assert statistic(bootstrap=500, seed=1) == result
        assert statistic(bootstrap=500, seed=2).ci_low != result.ci_low
        assert statistic(bootstrap=500, seed=1).value == statistic().value
    with pytest.raises(ValueError, match="number of resamples"):
        krippendorff_alpha(KRIPPENDORFF, bootstrap=-1)


def test_the_interval_narrows_with_more_units():
    rng = random.Random(8)
    small = krippendorff_alpha(_random_data(rng, 3, 20, 4, 0.1), bootstrap=400, seed=1)
    large = krippendorff_alpha(_random_data(rng, 3, 400, 4, 0.1), bootstrap=400, seed=1)
    assert large.ci_high - large.ci_low < (small.ci_high - small.ci_low) / 2


# --- per item and verdicts ------------------------------------------------------------------


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


def test_item_agreement_handles_missing_scores_and_levels():
    # The worked example as nested scores: rater r's value for contact u, absent = missing.
    by_contact = {
        f"c{u:02d}": {f"r{r}": row[u] for r, row in enumerate(KRIPPENDORFF) if row[u] is not None}
        for u in range(12)
    }
    scores = {"grade": by_contact, "waiting": by_contact, "greeting": by_contact}
    result = item_agreement(scores, {"grade": "ordinal", "waiting": "interval"})
    assert round(result["grade"].value, 3) == 0.815
    assert round(result["waiting"].value, 3) == 0.849
    assert round(result["greeting"].value, 3) == 0.743
    assert (result["grade"].units, result["grade"].raters) == (11, 4)
    assert item_agreement({}) == {}
    with_interval = item_agreement(scores, bootstrap=100, seed=5)["greeting"]
    assert with_interval.ci_low < with_interval.value < with_interval.ci_high


def test_item_agreement_refuses_text_on_a_numeric_level():
    scores = {"grade": {"c1": {"ann": 3, "bob": "good"}, "c2": {"ann": 4, "bob": 4}}}
    with pytest.raises(ValueError, match="the ordinal level needs numeric values, got 'good'"):
        item_agreement(scores, {"grade": "ordinal"})
    with pytest.raises(ValueError, match="unknown level 'ratio'"):
        item_agreement(scores, {"grade": "ratio"})
    with pytest.raises(ValueError, match="a value \\(or None\\) for every unit"):
        krippendorff_alpha([[1, 2], [1]])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "good"),
        (0.8, "good"),
        (0.7999, "tentative"),
        (0.667, "tentative"),
        (0.6669, "poor"),
        (-0.2, "poor"),
        (None, "undefined"),
        (math.nan, "undefined"),
    ],
)
def test_verdict_uses_krippendorffs_thresholds(value, expected):
    assert verdict(value) == expected
