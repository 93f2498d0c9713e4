"""Checks on the standard instruments as shipped JSON, without Django or a database."""

import json
import re
from pathlib import Path

import pytest

STANDARD = Path(__file__).resolve().parent.parent / "standard"
FILES = sorted(STANDARD.glob("*.json"))

METHODS = {
    "customer_survey",
    "mystery_contact",
    "contact_evaluation",
    "employee_survey",
    "social_post",
}
CHANNELS = {"phone", "email", "chat", "social", "counter", "letter", "messaging", "web"}
TYPES = {
    "grade",
    "nps",
    "ces",
    "likert",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "number",
    "duration",
    "timestamp",
    "text",
}
CHOICE_TYPES = {"single_choice", "multiple_choice"}
DRIVERS = {
    "reliability",
    "empathy",
    "customer_focus",
    "customer_knowledge",
    "waiting_time",
    "accessibility",
    "ivr_menu",
}
QUESTION_KEYS = {
    "key",
    "type",
    "label",
    "help",
    "required",
    "driver",
    "indicator",
    "choices",
    "min",
    "max",
    "channels",
    "show_if",
}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

MYSTERY_PHONE_KEYS = [
    "connected",
    "seconds_to_answer",
    "ivr_options",
    "transferred",
    "ended_at",
    "callback_promised",
    "callback_hours",
    "answer_correct",
    "empathy",
    "exp_listening",
    "exp_understanding",
    "exp_initiative",
    "exp_clarity",
    "exp_friendliness",
    "overall_grade",
    "comment",
]
MYSTERY_EMAIL_KEYS = [
    "sent_at",
    "answered_at",
    "answer_correct",
    "complete",
    "tone",
    "spelling_errors",
    "overall_grade",
    "comment",
]


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Overrides the root conftest's Django-only fixture: this file runs without Django."""
    yield


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _by_key(key):
    return next(d for d in map(_load, FILES) if d["key"] == key)


def _assert_bilingual(text, where):
    assert isinstance(text, dict) and set(text) == {"nl", "en"}, where
    assert all(isinstance(v, str) and v.strip() for v in text.values()), where


def test_the_standard_instruments_ship():
    keys = {_load(path)["key"] for path in FILES}
    assert keys == {
        "customer-survey",
        "customer-survey-history",
        "complaint-survey",
        "mystery-phone",
        "mystery-email",
        "mystery-chat",
        "mystery-social",
        "mystery-counter",
        "employee-survey",
    }
    assert all(path.stem == _load(path)["key"] for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_instrument_follows_the_schema(path):
    definition = _load(path)
    assert {"key", "method", "channels", "name", "description", "questions"} <= set(definition)
    assert definition["method"] in METHODS
    assert set(definition["channels"]) <= CHANNELS
    _assert_bilingual(definition["name"], "name")
    _assert_bilingual(definition["description"], "description")
    questions = definition["questions"]
    assert questions

    seen = {}
    differing = 0
    for q in questions:
        key = q["key"]
        assert SNAKE.match(key), key
        assert key not in seen, f"duplicate key {key}"
        assert set(q) <= QUESTION_KEYS, (key, set(q) - QUESTION_KEYS)
        assert q["type"] in TYPES, key
        _assert_bilingual(q["label"], key)
        differing += q["label"]["nl"].strip() != q["label"]["en"].strip()
        if "help" in q:
            _assert_bilingual(q["help"], key)
        assert isinstance(q.get("required", True), bool), key
        if q["type"] == "text":
            assert q.get("required") is False, f"{key}: text questions are optional"
        if q.get("driver") is not None:
            assert q["driver"] in DRIVERS, key
        if "indicator" in q:
            assert SNAKE.match(q["indicator"]), key
        assert set(q.get("channels", [])) <= CHANNELS, key
        if "min" in q or "max" in q:
            assert q["type"] in {"number", "duration"}, key
            if "min" in q and "max" in q:
                assert q["min"] < q["max"], key

        if q["type"] in CHOICE_TYPES:
            choices = q.get("choices")
            assert choices, key
            choice_keys = [c["key"] for c in choices]
            assert len(choice_keys) == len(set(choice_keys)), key
            for choice in choices:
                assert SNAKE.match(choice["key"]), (key, choice["key"])
                _assert_bilingual(choice["label"], f"{key}.{choice['key']}")
        else:
            assert "choices" not in q, key

        if "show_if" in q:
            condition = q["show_if"]
            assert set(condition) == {"question", "equals"}, key
            earlier = seen.get(condition["question"])
            assert earlier is not None, f"{key}: show_if must refer to an earlier question"
            if earlier["type"] == "yes_no":
                assert isinstance(condition["equals"], bool), key
            else:
                assert earlier["type"] == "single_choice", key
                assert condition["equals"] in {c["key"] for c in earlier["choices"]}, key
        seen[key] = q

    # A few labels may be the same word in both languages, but not most of them.
    assert differing >= 0.8 * len(questions)


def test_customer_survey_covers_the_seven_drivers_and_the_kpis():
    questions = {q["key"]: q for q in _by_key("customer-survey")["questions"]}
    drivers = [q["driver"] for q in questions.values() if q.get("driver")]
    assert set(drivers) == DRIVERS
    assert len(drivers) <= 10
    assert all(questions[k]["type"] == "grade" for k, q in questions.items() if q.get("driver"))
    ivr = [q for q in questions.values() if q.get("driver") == "ivr_menu"]
    assert all(q.get("channels") == ["phone"] for q in ivr)
    expected = {
        "overall_grade": ("grade", "overall_grade"),
        "nps": ("nps", "nps"),
        "ces": ("ces", "ces"),
        "solved_first_contact": ("yes_no", "fcr"),
        "channel_reason": ("single_choice", "channel_reason"),
        "comment": ("text", "comment"),
    }
    for key, (type_, indicator) in expected.items():
        assert (questions[key]["type"], questions[key].get("indicator")) == (type_, indicator)
    assert {c["key"] for c in questions["channel_reason"]["choices"]} == {
        "fastest",
        "always_use",
        "only_option",
        "wanted_personal_contact",
        "needed_document",
        "outside_opening_hours",
        "other",
    }


def test_mystery_phone_has_exactly_the_measurement_points():
    definition = _by_key("mystery-phone")
    assert (definition["method"], definition["channels"]) == ("mystery_contact", ["phone"])
    questions = definition["questions"]
    assert [q["key"] for q in questions] == MYSTERY_PHONE_KEYS
    assert all(q.get("indicator") == q["key"] for q in questions)
    q = {q["key"]: q for q in questions}
    assert q["seconds_to_answer"]["type"] == "duration"
    assert (q["seconds_to_answer"]["min"], q["seconds_to_answer"]["max"]) == (0, 3600)
    assert q["seconds_to_answer"]["show_if"] == {"question": "connected", "equals": True}
    assert q["callback_hours"]["show_if"] == {"question": "callback_promised", "equals": True}
    assert q["callback_hours"].get("required") is False
    assert q["answer_correct"].get("required") is False
    assert [c["key"] for c in q["ended_at"]["choices"]] == [
        "right_person",
        "colleague",
        "operator",
        "voicemail",
        "disconnected",
    ]
    assert all(q[k]["type"] == "likert" for k in MYSTERY_PHONE_KEYS if k.startswith("exp_"))
    assert q["overall_grade"]["type"] == "grade"


def test_mystery_email_has_the_measurement_points():
    definition = _by_key("mystery-email")
    assert (definition["method"], definition["channels"]) == ("mystery_contact", ["email"])
    questions = definition["questions"]
    assert [q["key"] for q in questions] == MYSTERY_EMAIL_KEYS
    assert all(q.get("indicator") == q["key"] for q in questions)
    q = {q["key"]: q for q in questions}
    assert (q["sent_at"]["type"], q["answered_at"]["type"]) == ("timestamp", "timestamp")
    assert q["answered_at"].get("required") is False
    assert q["spelling_errors"]["min"] == 0


def test_employee_survey_is_addressed_with_je():
    definition = _by_key("employee-survey")
    assert definition["method"] == "employee_survey"
    indicators = {q.get("indicator") for q in definition["questions"]}
    assert {
        "employee_grade",
        "enps",
        "has_information",
        "manager_support",
        "autonomy",
        "workload",
        "pride",
        "collaboration",
    } <= indicators
    words = {
        w for q in definition["questions"] for w in re.findall(r"\w+", q["label"]["nl"].lower())
    }
    assert not words & {"u", "uw"}


def _questions(key: str) -> dict[str, dict]:
    shipped = json.loads((STANDARD / f"{key}.json").read_text(encoding="utf-8"))
    return {q["key"]: q for q in shipped["questions"]}


def test_the_phone_protocol_asks_every_measurement_point_of_a_mystery_call():
    """The protocol's questions and metrics.reachability's call fields are one list, in
    one order, with types that fit how the readers parse them."""
    from klantpeil.metrics.reachability import (
        CALL_FIELDS,
        CALL_NUMBERS,
        CALL_TEXT,
        CALL_YES_NO,
        ENDINGS,
    )

    questions = _questions("mystery-phone")
    assert [k for k in questions if k in CALL_FIELDS] == list(CALL_FIELDS)
    assert {k for k in CALL_FIELDS if questions[k]["type"] == "yes_no"} == CALL_YES_NO
    assert {questions[k]["type"] for k in CALL_NUMBERS} == {"number", "duration"}
    assert {questions[k]["type"] for k in CALL_TEXT} == {"single_choice"}
    assert tuple(c["key"] for c in questions["ended_at"]["choices"]) == ENDINGS


def test_the_customer_survey_asks_every_question_of_the_kpi_catalogue():
    from klantpeil.metrics.kpis import SURVEY_KPIS

    questions = _questions("customer-survey")
    types = {kpi.name: questions[kpi.question_key]["type"] for kpi in SURVEY_KPIS}
    assert types == {"grade": "grade", "nps": "nps", "ces": "ces", "fcr": "yes_no"}
