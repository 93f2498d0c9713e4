"""Scale conversions, against values computed by hand from their documented formulas."""

import pytest

from klantpeil.metrics import scales


@pytest.mark.parametrize(
    ("conversion", "pairs"),
    [
        # 1 + (x − 1) · 9 / 4
        ("linear-1-5-to-1-10", [(1, 1), (2, 3.25), (3, 5.5), (4, 7.75), (5, 10)]),
        # 1 + (x − 1) · 9 / 6
        ("linear-1-7-to-1-10", [(1, 1), (2, 2.5), (3, 4), (4, 5.5), (5, 7), (6, 8.5), (7, 10)]),
        # 1 + x · 9 / 10
        ("linear-0-10-to-1-10", [(0, 1), (1, 1.9), (5, 5.5), (8, 8.2), (10, 10)]),
        # 1 + (x − 1) · 9 / 2
        ("linear-1-3-to-1-10", [(1, 1), (2, 5.5), (3, 10)]),
        ("top2box-1-5", [(1, 0), (2, 0), (3, 0), (4, 1), (5, 1)]),
        ("identity", [(0, 0), (7, 7), (10, 10)]),
    ],
)
def test_conversions_give_the_hand_computed_values(conversion, pairs):
    for x, expected in pairs:
        assert scales.convert(conversion, x) == pytest.approx(expected, abs=1e-12)


def test_stored_whole_answers_round_half_up():
    stored = [scales.to_whole(scales.convert("linear-1-5-to-1-10", x)) for x in range(1, 6)]
    assert stored == [1, 3, 6, 8, 10]
    stored = [scales.to_whole(scales.convert("linear-1-7-to-1-10", x)) for x in range(1, 8)]
    assert stored == [1, 3, 4, 6, 7, 9, 10]
    assert [scales.to_whole(x) for x in (0.5, 1.5, 2.5, 6.5, 6.49)] == [1, 2, 3, 7, 6]


def test_a_value_outside_the_source_scale_is_refused():
    with pytest.raises(ValueError, match="outside the source scale 1–5"):
        scales.convert("linear-1-5-to-1-10", 6)
    with pytest.raises(ValueError, match="outside the source scale 0–10"):
        scales.convert("linear-0-10-to-1-10", -1)
    with pytest.raises(ValueError, match="unknown scale conversion 'linear-2-9'"):
        scales.convert("linear-2-9", 3)


def test_nps_groups_sentiment_and_yes_no():
    assert [scales.nps_group(x) for x in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    assert [scales.sentiment(x) for x in (1, 2, 3)] == ["negative", "neutral", "positive"]
    assert [scales.yes_no(w) for w in ("Yes", "ja", " J ", "TRUE", "1")] == [1, 1, 1, 1, 1]
    assert [scales.yes_no(w) for w in ("No", "Nee", "n", "false", "0")] == [0, 0, 0, 0, 0]
    with pytest.raises(ValueError):
        scales.yes_no("misschien")
    with pytest.raises(ValueError):
        scales.nps_group(11)


def test_the_guess_follows_the_observed_values():
    assert scales.guess_conversion([1, 2, 5, 4], (1, 10)) == "linear-1-5-to-1-10"
    assert scales.guess_conversion([1, 7, 6], (1, 10)) == "linear-1-7-to-1-10"
    assert scales.guess_conversion([0, 7, 10], (1, 10)) == "linear-0-10-to-1-10"
    assert scales.guess_conversion([1, 8, 10], (1, 10)) == "identity"
    assert scales.guess_conversion([0, 10, 9], (0, 10)) == "identity"
    assert scales.guess_conversion([1, 5, 4], (0, 1)) == "top2box-1-5"
    assert scales.guess_conversion([], (1, 10)) == "identity"


def test_every_conversion_is_documented_in_the_module():
    for conversion_id in scales.CONVERSIONS:
        assert f"``{conversion_id}``" in scales.__doc__ or conversion_id in scales.__doc__
