"""The overall survey KPIs weighted to the contact volumes an organisation entered."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from klantpeil.analytics import weighted
from klantpeil.analytics.weighted import weighted_overview
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, ChannelVolume, Unit

OCTOBER = date(2026, 10, 1)


def _answer(kind: str, grade: int, nps: int, ces: int, solved: bool, day: int = 15) -> None:
    record_measurement(
        version=latest_version(key="customer-survey"),
        answers={
            **CUSTOMER_SURVEY_ANSWERS,
            "overall_grade": grade,
            "nps": nps,
            "ces": ces,
            "solved_first_contact": solved,
            **({"ivr_menu": 7} if kind == "phone" else {}),
        },
        unit=Unit.objects.get(code="front"),
        source="api",
        channel=Channel.objects.get(kind=kind),
        occurred_at=datetime(2026, 10, day, 10, tzinfo=UTC),
    )


def _volume(kind: str, month: date, contacts: int) -> None:
    ChannelVolume.objects.create(
        channel=Channel.objects.get(kind=kind), month=month, contacts=contacts
    )


@pytest.fixture
def org(make_org):
    """Phone: 4 responses, grades 7, 9, 7, 9 (8.0), NPS 9, CES 6, all solved.
    E-mail: 12 responses, grades 5 and 7 (6.0), NPS half 9 half 3, CES 4, half solved."""
    organisation = make_org("weighted")
    with tenant(organisation):
        for grade in (7, 9, 7, 9):
            _answer("phone", grade, 9, 6, True)
        for i in range(12):
            _answer("email", 5 if i % 2 else 7, 9 if i % 2 else 3, 4, bool(i % 2))
    return organisation


def test_weighted_and_unweighted_side_by_side_by_hand(org):
    with tenant(org):
        _volume("phone", OCTOBER, 700)
        _volume("email", OCTOBER, 300)
        overview = weighted_overview(MeasurementFilter(period="2026-10"))
    assert overview.status == weighted.WEIGHTED and overview.weighted
    grade = overview.figures["grade"]
    # Unweighted (4·8 + 12·6) / 16 = 6.5; weighted 0.7·8 + 0.3·6 = 7.4.
    assert grade.unweighted.value == pytest.approx(6.5) and grade.unweighted.n == 16
    assert grade.weighted.estimate.value == pytest.approx(7.4)
    # w = 0.7/(4/16) = 2.8 and 0.3/(12/16) = 0.4: n_eff = 16² / (4·2.8² + 12·0.4²) = 100/13.
    assert grade.weighted.effective_n == pytest.approx(100 / 13)
    assert grade.weighted.estimate.n == 16 and grade.weighted.estimate.small_sample
    # NPS: phone 100, e-mail 0 → 70 weighted; unweighted (10 − 6)/16 = 25.
    assert overview.figures["nps"].weighted.estimate.value == pytest.approx(70.0)
    assert overview.figures["nps"].unweighted.value == pytest.approx(25.0)
    # CES: 0.7·6 + 0.3·4 = 5.4 against (24 + 48)/16 = 4.5.
    assert overview.figures["ces"].weighted.estimate.value == pytest.approx(5.4)
    assert overview.figures["ces"].unweighted.value == pytest.approx(4.5)
    # Solved in one contact: 0.7·1 + 0.3·0.5 = 0.85 against 10/16 = 0.625.
    assert overview.figures["fcr"].weighted.estimate.value == pytest.approx(0.85)
    assert overview.figures["fcr"].unweighted.value == pytest.approx(0.625)
    shares = {c.kind: (c.responses, c.contacts, c.weight) for c in overview.channels}
    assert shares == {
        "phone": (4, 700, pytest.approx(2.8)),
        "email": (12, 300, pytest.approx(0.4)),
    }
    assert overview.months == [OCTOBER] and overview.reason == ""


def test_a_month_without_volumes_means_unweighted_only_and_says_which(org):
    with tenant(org):
        _volume("phone", OCTOBER, 700)
        _volume("email", OCTOBER, 300)
        record_measurement(
            version=latest_version(key="customer-survey"),
            answers=CUSTOMER_SURVEY_ANSWERS,
            source="api",
            channel=Channel.objects.get(kind="email"),
            occurred_at=datetime(2026, 9, 10, 10, tzinfo=UTC),
        )
        _volume("phone", date(2026, 9, 1), 650)  # e-mail's September is missing
        overview = weighted_overview(MeasurementFilter(since=date(2026, 9, 1)))
        assert overview.status == weighted.MISSING_VOLUMES
        assert [(g.cell, g.months) for g in overview.gaps] == [("email", [date(2026, 9, 1)])]
        assert all(f.weighted is None for f in overview.figures.values())
        assert overview.figures["grade"].unweighted.n == 17
        assert overview.reason == (
            "Not weighted: contact volumes are missing for E-mail (2026-09). "
            "Enter them to see the weighted figures."
        )
        # October alone is complete: weighted again.
        assert weighted_overview(MeasurementFilter(period="2026-10")).weighted


def test_no_volumes_zero_contacts_unit_and_channel_filters_give_unweighted_only(org):
    with tenant(org):
        october = MeasurementFilter(period="2026-10")
        assert weighted_overview(october).status == weighted.NO_VOLUMES
        _volume("phone", OCTOBER, 700)
        _volume("email", OCTOBER, 0)
        zero = weighted_overview(october)
        assert (zero.status, zero.zero_contacts) == (weighted.NO_CONTACTS, ["email"])
        assert zero.figures["grade"].weighted is None
        phone = MeasurementFilter(period="2026-10", channel="phone")
        assert weighted_overview(phone).status == weighted.ONE_CHANNEL
        unit = MeasurementFilter(period="2026-10", unit="front")
        assert weighted_overview(unit).status == weighted.UNIT
        assert weighted_overview(MeasurementFilter(period="2025-10")).status == (
            weighted.NO_RESPONSES
        )


def test_another_organisations_volumes_are_never_used(org, make_org):
    other = make_org("other")
    with tenant(other):
        _volume("phone", OCTOBER, 700)
        _volume("email", OCTOBER, 300)
    with tenant(org):
        overview = weighted_overview(MeasurementFilter(period="2026-10"))
    assert overview.status == weighted.NO_VOLUMES
    assert overview.figures["grade"].weighted is None
