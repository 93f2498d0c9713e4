from datetime import UTC, datetime

import pytest

from klantpeil.collection.models import AppendOnlyError, Correction, Measurement
from klantpeil.collection.services import MeasurementError, correct_measurement, record_measurement
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.services import publish_version
from klantpeil.organisations.models import Channel

DEFINITION = {
    "key": "mini",
    "method": "customer_survey",
    "questions": [
        {"key": "grade", "type": "grade", "label": {"nl": "Cijfer", "en": "Grade"}},
        {"key": "nps", "type": "nps", "label": {"nl": "Aanbevelen", "en": "Recommend"}},
        {"key": "solved", "type": "yes_no", "label": {"nl": "Opgelost", "en": "Solved"}},
        {
            "key": "menu",
            "type": "grade",
            "channels": ["phone"],
            "label": {"nl": "Keuzemenu", "en": "Menu"},
        },
        {
            "key": "why",
            "type": "single_choice",
            "required": False,
            "label": {"nl": "Waarom", "en": "Why"},
            "choices": [
                {"key": "fast", "label": {"nl": "Snel", "en": "Fast"}},
                {"key": "other", "label": {"nl": "Anders", "en": "Other"}},
            ],
        },
        {
            "key": "hours",
            "type": "number",
            "min": 0,
            "label": {"nl": "Uren", "en": "Hours"},
            "show_if": {"question": "solved", "equals": False},
        },
        {"key": "comment", "type": "text", "required": False, "label": {"nl": "Opm", "en": "Note"}},
    ],
}
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def setup(make_org):
    org = make_org("alpha")
    with tenant(org):
        instrument = Instrument.objects.create(
            key="mini", method="customer_survey", name_nl="Mini", name_en="Mini"
        )
        version = publish_version(instrument=instrument, definition=DEFINITION)
        yield org, version, {c.kind: c for c in Channel.objects.all()}


def test_valid_answers_become_one_measurement_with_typed_answers(setup):
    org, version, channels = setup
    m = record_measurement(
        version=version,
        answers={"grade": "8", "nps": 10, "solved": "ja", "why": "fast", "comment": " Top "},
        occurred_at=WHEN,
        source="api",
        channel=channels["email"],
    )
    stored = {a.question.key: a.value for a in m.answers.select_related("question")}
    assert stored == {"grade": 8.0, "nps": 10.0, "solved": 1.0, "why": "fast", "comment": "Top"}
    assert m.method == "customer_survey"
    assert m.organisation_id == org.pk


def test_every_problem_is_reported_and_nothing_is_written(setup):
    _, version, channels = setup
    with pytest.raises(MeasurementError) as caught:
        record_measurement(
            version=version,
            answers={"grade": "11", "nps": "7,5", "solved": "nee", "why": "bored", "x": 1},
            occurred_at=WHEN,
            source="api",
            channel=channels["phone"],
        )
    assert caught.value.errors == {
        "x": "is not a question of this instrument",
        "grade": "must be between 1 and 10",
        "nps": "must be a whole number",
        "why": "must be one of fast, other",
        "menu": "is required",  # asked on the phone
        "hours": "is required",  # asked because the question was not solved
    }
    assert Measurement.objects.count() == 0


def test_channel_and_condition_skip_questions_that_are_not_asked(setup):
    _, version, channels = setup
    m = record_measurement(
        version=version,
        answers={"grade": 6, "nps": 3, "solved": True},
        occurred_at=WHEN,
        source="api",
        channel=channels["counter"],
    )
    assert m.answers.count() == 3


def test_measurements_are_append_only(setup):
    _, version, channels = setup
    m = record_measurement(
        version=version,
        answers={"grade": 6, "nps": 3, "solved": 1},
        occurred_at=WHEN,
        source="api",
        channel=channels["email"],
    )
    m.source = "import"
    with pytest.raises(AppendOnlyError):
        m.save()
    answer = m.answers.first()
    answer.number = 10
    with pytest.raises(AppendOnlyError):
        answer.save()


def test_a_correction_keeps_the_original_and_records_why(setup, make_member):
    org, version, channels = setup
    analyst = make_member("analyst@example.org", org, "analyst")
    original = record_measurement(
        version=version,
        answers={"grade": 2, "nps": 3, "solved": 1},
        occurred_at=WHEN,
        source="import",
        channel=channels["email"],
    )
    fixed = correct_measurement(
        measurement=original,
        answers={"grade": 9, "nps": 3, "solved": 1},
        reason="Typed 2 for 9 in the paper form",
        user=analyst,
    )
    original.refresh_from_db()
    assert original.superseded_at is not None
    assert list(Measurement.objects.current()) == [fixed]
    assert {a.number for a in original.answers.all()} == {2.0, 3.0, 1.0}
    correction = Correction.objects.get()
    assert (correction.original, correction.replacement) == (original, fixed)
    assert correction.corrected_by == analyst
    with pytest.raises(MeasurementError):
        correct_measurement(
            measurement=original, answers={"grade": 8, "nps": 3, "solved": 1}, reason="again"
        )


def test_a_correction_needs_a_reason(setup):
    _, version, channels = setup
    m = record_measurement(
        version=version,
        answers={"grade": 2, "nps": 3, "solved": 1},
        occurred_at=WHEN,
        source="import",
        channel=channels["email"],
    )
    with pytest.raises(MeasurementError):
        correct_measurement(measurement=m, answers={"grade": 9, "nps": 3, "solved": 1}, reason=" ")
    assert Measurement.objects.count() == 1
