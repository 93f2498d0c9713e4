import copy

import pytest

from klantpeil.instruments.models import Instrument, InstrumentVersion
from klantpeil.instruments.services import (
    publish_version,
    standard_definitions,
    sync_standard_instruments,
)

SEVEN_DRIVERS = {
    "reliability",
    "empathy",
    "customer_focus",
    "customer_knowledge",
    "waiting_time",
    "accessibility",
    "ivr_menu",
}


def _keys(key):
    version = InstrumentVersion.objects.filter(instrument__key=key).order_by("-number").first()
    return [q.key for q in version.questions.all()], version


@pytest.mark.django_db
def test_migrate_loads_every_standard_instrument():
    keys = set(
        Instrument.unscoped_all_tenants.filter(organisation=None).values_list("key", flat=True)
    )
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


@pytest.mark.django_db
def test_the_customer_survey_measures_the_seven_drivers_in_both_languages():
    _, version = _keys("customer-survey")
    questions = list(version.questions.all())
    assert {q.driver for q in questions if q.driver} == SEVEN_DRIVERS
    assert {"overall_grade", "nps", "ces", "solved_first_contact", "channel_reason", "comment"} <= {
        q.key for q in questions
    }
    assert all(q.label_nl and q.label_en and q.label_nl != q.label_en for q in questions)
    ivr = next(q for q in questions if q.driver == "ivr_menu")
    assert ivr.channels == ["phone"]


@pytest.mark.django_db
def test_mystery_protocols_have_the_predefined_measurement_points():
    phone, _ = _keys("mystery-phone")
    assert phone[:9] == [
        "connected",
        "seconds_to_answer",
        "ivr_options",
        "transferred",
        "ended_at",
        "callback_promised",
        "callback_hours",
        "answer_correct",
        "empathy",
    ]
    assert len([k for k in phone if k.startswith("exp_")]) == 5
    email, _ = _keys("mystery-email")
    assert {
        "sent_at",
        "answered_at",
        "answer_correct",
        "complete",
        "tone",
        "spelling_errors",
    } <= set(email)


@pytest.mark.django_db
def test_syncing_again_publishes_nothing_new():
    before = InstrumentVersion.objects.count()
    sync_standard_instruments()
    assert InstrumentVersion.objects.count() == before


@pytest.mark.django_db
def test_changed_content_becomes_a_new_version_and_the_old_one_stays():
    definition = copy.deepcopy(
        next(d for d in standard_definitions() if d["key"] == "customer-survey")
    )
    instrument = Instrument.unscoped_all_tenants.get(organisation=None, key="customer-survey")
    first = instrument.versions.get()
    definition["questions"][0]["label"]["en"] = "Your grade for this contact"
    second = publish_version(instrument=instrument, definition=definition)
    assert (first.number, second.number) == (1, 2)
    assert instrument.versions.count() == 2
    assert first.questions.get(key="overall_grade").label_en != "Your grade for this contact"
    with pytest.raises(ValueError, match="never changes"):
        first.save()
