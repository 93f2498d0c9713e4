"""Every reachability KPI against a hand count on a small set of calls."""

import pytest

from klantpeil.metrics.reachability import (
    MysteryCall,
    Norms,
    ReachabilityCounts,
    counts_from_calls,
    parse_yes_no,
    reachability_kpis,
)

CALLS = [
    # 1: answered in 10 s by the right person, correct answer, empathy.
    MysteryCall(True, 10, 3, False, "right_person", False, None, True, True),
    # 2: answered in 20 s, put through, back at the operator, callback promised, came after 5 h.
    MysteryCall(True, 20, 3, True, "operator", True, 5.0, None, False),
    # 3: answered in 15 s, put through to voicemail.
    MysteryCall(True, 15, 0, True, "voicemail", False, None, None, True),
    # 4: not connected.
    MysteryCall(False, None, None, None, "disconnected", None, None, None, None),
    # 5: answered in 40 s, put through to a colleague, wrong answer, no empathy.
    MysteryCall(True, 40, 2, True, "colleague", False, None, False, False),
    # 6: answered in 5 s, operator, callback promised but never came, correct answer.
    MysteryCall(True, 5, 0, False, "operator", True, None, True, True),
]


def test_every_kpi_equals_the_hand_count():
    kpis = reachability_kpis(counts_from_calls(CALLS))
    # connected 5 of 6; within 15 s: calls 1, 3, 6 of 5 connected.
    assert (kpis["technically_reachable_rate"].successes, kpis["technically_reachable_rate"].n) == (
        5,
        6,
    )
    assert (kpis["answered_within_norm_rate"].successes, kpis["answered_within_norm_rate"].n) == (
        3,
        5,
    )
    # transferred: calls 2, 3, 5 → operator 1, voicemail 1.
    assert (kpis["back_to_operator_rate"].successes, kpis["back_to_operator_rate"].n) == (1, 3)
    assert (kpis["voicemail_rate"].successes, kpis["voicemail_rate"].n) == (1, 3)
    # callbacks promised: 2 (came in 5 h) and 6 (never): 1 of 2.
    assert (kpis["callback_within_24h_rate"].successes, kpis["callback_within_24h_rate"].n) == (
        1,
        2,
    )
    # helped: 1 right person, 2 callback in time, 3 voicemail, 5 colleague → 4 of 6.
    assert (kpis["helped_rate"].successes, kpis["helped_rate"].n) == (4, 6)
    # answers given: 1 (right), 5 (wrong), 6 (right) → 2 of 3.
    assert (kpis["correct_answer_rate"].successes, kpis["correct_answer_rate"].n) == (2, 3)
    # empathy among connected: 1, 3, 6 → 3 of 5.
    assert (kpis["empathy_rate"].successes, kpis["empathy_rate"].n) == (3, 5)
    assert kpis["helped_rate"].value == pytest.approx(4 / 6)
    assert kpis["helped_rate"].meets_norm is False and kpis["helped_rate"].norm == 0.90


def test_norms_are_configuration():
    strict = Norms(answer_seconds=10, callback_hours=4)
    kpis = reachability_kpis(counts_from_calls(CALLS, strict), strict)
    assert kpis["answered_within_norm_rate"].successes == 2  # 10 s and 5 s
    assert kpis["callback_within_24h_rate"].successes == 0  # 5 h is too late for 4 h
    assert kpis["helped_rate"].successes == 3


def test_empty_denominators_give_no_value_and_no_crash():
    kpis = reachability_kpis(ReachabilityCounts())
    assert all(k.value is None and k.n == 0 and k.ci_low is None for k in kpis.values())


def test_counts_add_up_like_rollups():
    together = counts_from_calls(CALLS[:3]) + counts_from_calls(CALLS[3:])
    assert together == counts_from_calls(CALLS)


def test_wilson_interval_on_a_kpi():
    kpi = reachability_kpis(counts_from_calls(CALLS))["technically_reachable_rate"]
    assert (kpi.ci_low, kpi.ci_high) == pytest.approx((0.4365, 0.9699), abs=1e-4)


@pytest.mark.parametrize(
    ("text", "value"),
    [("ja", True), ("NEE", False), ("1", True), ("false", False), ("", None), (None, None)],
)
def test_yes_no_in_dutch_and_english(text, value):
    assert parse_yes_no(text) is value


def test_a_word_that_is_not_yes_or_no_is_an_error():
    with pytest.raises(ValueError, match="'misschien' is not yes or no"):
        parse_yes_no("misschien")


def test_email_kpis_in_business_hours():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from klantpeil.metrics.business_hours import Calendar
    from klantpeil.metrics.reachability import MysteryEmail, email_kpis

    ams = ZoneInfo("Europe/Amsterdam")

    def at(*args):
        return datetime(*args, tzinfo=ams).astimezone(UTC)

    emails = [
        # Mon 9:00 → Mon 11:00: 2 business hours, correct, complete.
        MysteryEmail(at(2026, 3, 9, 9), at(2026, 3, 9, 11), True, True, 4),
        # Fri 16:00 → Tue 10:00: 1 + 8.5 + 1.5 = 11 h, wrong, incomplete.
        MysteryEmail(at(2026, 3, 13, 16), at(2026, 3, 17, 10), False, False, 3),
        # Mon 9:00 → Thu 9:00: 3 × 8.5 = 25.5 h: too late.
        MysteryEmail(at(2026, 3, 9, 9), at(2026, 3, 12, 9), True, False, 5),
        # Never answered: a fail.
        MysteryEmail(at(2026, 3, 10, 9)),
    ]
    kpis = email_kpis(emails, Calendar(), norm_hours=16)
    within = kpis["answered_within_norm_rate"]
    assert (within.successes, within.n) == (2, 4)
    median = kpis["median_business_hours"]
    assert (median.value, median.n, median.ci_low, median.is_share) == (11.0, 3, None, False)
    assert median.as_dict() == {"value": 11.0, "n": 3}  # the JSON the CLI printed before
    assert (kpis["correct_rate"].successes, kpis["correct_rate"].n) == (2, 3)
    assert (kpis["complete_rate"].successes, kpis["complete_rate"].n) == (1, 3)
    assert kpis["mean_tone"].as_dict() == {"value": 4.0, "n": 3}


def test_a_reachability_kpi_is_an_estimate_whose_json_kept_its_shape():
    from klantpeil.metrics.reachability import proportion_kpi
    from klantpeil.metrics.stats import Estimate, from_dict

    kpi = proportion_kpi(139, 141, 0.99)
    assert isinstance(kpi, Estimate) and kpi.is_share and kpi.meets_norm is False
    # The keys and their order `klantpeil analyse kpis --format json` printed before the
    # reachability Kpi type became an Estimate.
    assert list(kpi.as_dict()) == [
        "value",
        "n",
        "successes",
        "ci_low",
        "ci_high",
        "norm",
        "meets_norm",
    ]
    assert kpi.as_dict()["value"] == 139 / 141
    assert from_dict(kpi.as_dict()) == kpi
    assert proportion_kpi(0, 0, 0.99).as_dict() == {
        "value": None,
        "n": 0,
        "successes": 0,
        "ci_low": None,
        "ci_high": None,
        "norm": 0.99,
    }
    assert "norm" not in proportion_kpi(1, 4).as_dict()
