"""Units as a tree: figures of a unit include its sub-units, a unit-limited role covers
them, moving and renaming keep a unit's history, and the tree never gets a cycle."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from klantpeil.analytics.segments import segment_comparison
from klantpeil.analytics.selectors import channel_kpis, survey_summary
from klantpeil.collection.models import Measurement
from klantpeil.collection.selectors import MeasurementFilter, filtered_measurements
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import current_units, tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, Unit
from klantpeil.organisations.selectors import descendant_ids, unit_tree
from klantpeil.organisations.services import (
    UnitError,
    UnitRow,
    import_units,
    save_unit,
)
from klantpeil.rollups import services as rollups

pytestmark = pytest.mark.django_db

WINDOW = MeasurementFilter(since=date(2026, 10, 1), until=date(2026, 10, 31))


def _tree(org) -> dict[str, Unit]:
    """Publiekszaken › Burgerzaken › Balie Centrum, beside the fixture's Front office."""
    with tenant(org):
        pz = save_unit(unit=None, code="publiekszaken", name="Publiekszaken")
        bz = save_unit(unit=None, code="burgerzaken", name="Burgerzaken", parent="publiekszaken")
        bc = save_unit(unit=None, code="balie-centrum", name="Balie Centrum", parent="burgerzaken")
        return {"pz": pz, "bz": bz, "bc": bc, "front": Unit.objects.get(code="front")}


def _grade(org, unit: Unit, grade: int, day: int = 12) -> Measurement:
    with tenant(org):
        return record_measurement(
            version=latest_version(key="customer-survey"),
            answers={**CUSTOMER_SURVEY_ANSWERS, "ivr_menu": 7, "overall_grade": grade},
            source="api",
            channel=Channel.objects.get(kind="phone"),
            unit=unit,
            occurred_at=datetime(2026, 10, day, 10, tzinfo=UTC),
        )


@pytest.fixture
def org(make_org):
    return make_org("wadderveen")


@pytest.fixture
def graded(org):
    """Balie Centrum 6 and 9, Burgerzaken itself 6, Front office 10 and 4."""
    units = _tree(org)
    for unit, grade in ((units["bc"], 6), (units["bc"], 9), (units["bz"], 6)):
        _grade(org, unit, grade)
    _grade(org, units["front"], 10)
    _grade(org, units["front"], 4)
    return units


def _overall(org, unit: str | None, *, from_rollups: bool) -> tuple[int, float | None]:
    filters = MeasurementFilter(since=WINDOW.since, until=WINDOW.until, unit=unit)
    with tenant(org):
        if from_rollups:
            grade = survey_summary(filters, None).overall.grade
        else:
            (phone,) = [c for c in channel_kpis(filters, from_rollups=False) if c.kind == "phone"]
            grade = phone.grade
    return grade.n, grade.value


@pytest.mark.parametrize("from_rollups", [False, True])
def test_figures_of_a_unit_include_its_sub_units(org, graded, from_rollups):
    if from_rollups:
        rollups.rebuild_all()
    # By hand: Balie Centrum (6 + 9) / 2 = 7.5; Burgerzaken adds its own 6: 21 / 3 = 7.0;
    # Publiekszaken has no measurements of its own, so the same 7.0; all: 35 / 5 = 7.0.
    assert _overall(org, "balie-centrum", from_rollups=from_rollups) == (2, 7.5)
    assert _overall(org, "burgerzaken", from_rollups=from_rollups) == (3, 7.0)
    assert _overall(org, "publiekszaken", from_rollups=from_rollups) == (3, 7.0)
    assert _overall(org, "front", from_rollups=from_rollups) == (2, 7.0)
    assert _overall(org, None, from_rollups=from_rollups) == (5, 7.0)
    with tenant(org):
        shown = filtered_measurements(MeasurementFilter(unit="publiekszaken"))
        assert shown.count() == 3


def test_descendant_ids_is_one_query(org, graded, django_assert_num_queries):
    with tenant(org), django_assert_num_queries(1):
        ids = descendant_ids("publiekszaken")
    assert ids == {graded["pz"].pk, graded["bz"].pk, graded["bc"].pk}
    with tenant(org):
        assert descendant_ids("nobody") == frozenset()
        assert descendant_ids(graded["bc"]) == {graded["bc"].pk}


def test_a_unit_limited_member_sees_the_sub_units_too(org, graded):
    with tenant(org, [graded["bz"].pk]):
        assert current_units() == {graded["bz"].pk, graded["bc"].pk}
        assert set(Unit.objects.values_list("code", flat=True)) == {"burgerzaken", "balie-centrum"}
        assert Measurement.objects.count() == 3
        # "All my units": Burgerzaken with Balie Centrum, 21 / 3.
        grade = survey_summary(WINDOW, None).overall.grade
        assert (grade.n, grade.value) == (3, 7.0)
        # A unit above the scope is not theirs, like any other unit.
        assert descendant_ids("publiekszaken") == frozenset()
        assert [n.breadcrumb for n in unit_tree().nodes()] == [
            "Burgerzaken",
            "Burgerzaken › Balie Centrum",
        ]


def test_moving_and_renaming_keep_the_history(org, graded):
    with tenant(org):
        moved = save_unit(
            unit=graded["bc"], code="balie-centrum", name="Balie Stadhuis", parent="front"
        )
        assert Measurement.objects.filter(unit=moved).count() == 2
    # Now Front office holds 10, 4 and Balie's 6, 9: 29 / 4 = 7.25; Burgerzaken only 6.
    assert _overall(org, "front", from_rollups=False) == (4, 7.25)
    assert _overall(org, "burgerzaken", from_rollups=False) == (1, 6.0)
    rollups.rebuild_all()
    assert _overall(org, "front", from_rollups=True) == (4, 7.25)
    with tenant(org):
        assert [n.breadcrumb for n in unit_tree().nodes()] == [
            "Front office",
            "Front office › Balie Stadhuis",
            "Publiekszaken",
            "Publiekszaken › Burgerzaken",
        ]


def test_unit_segments_compare_top_level_units_or_the_units_below_the_filter(org, graded):
    with tenant(org):
        top = segment_comparison(WINDOW, dimension="unit", kpi="grade")
        assert {s.key: s.n for s in top.segments} == {"publiekszaken": 3, "front": 2}
        below = segment_comparison(
            MeasurementFilter(since=WINDOW.since, until=WINDOW.until, unit="burgerzaken"),
            dimension="unit",
            kpi="grade",
        )
        assert {(s.key, s.label, s.n) for s in below.segments} == {
            ("burgerzaken", "Burgerzaken itself", 1),
            ("balie-centrum", "Balie Centrum", 2),
        }


def test_a_unit_cannot_become_its_own_ancestor(org, graded):
    with tenant(org):
        for parent in ("publiekszaken", "burgerzaken", "balie-centrum"):
            with pytest.raises(UnitError) as caught:
                save_unit(unit=graded["pz"], code="publiekszaken", name="Renamed", parent=parent)
            assert [p.field for p in caught.value.problems] == ["parent"]
        assert "Publiekszaken cannot be part of Balie Centrum" in str(caught.value)
        fresh = Unit.objects.get(pk=graded["pz"].pk)
        assert (fresh.name, fresh.parent_id) == ("Publiekszaken", None)  # nothing half-saved


def test_a_duplicate_code_or_unknown_parent_names_the_field(org, graded):
    with tenant(org):
        with pytest.raises(UnitError) as caught:
            save_unit(unit=None, code="front", name="Second front", parent="nowhere")
        assert {p.field: p.message for p in caught.value.problems} == {
            "code": "The code “front” is already used by the unit Front office.",
            "parent": "There is no unit with the code “nowhere”.",
        }
        with pytest.raises(UnitError) as caught:
            save_unit(unit=graded["bc"], code="front", name="Renamed")
        assert [p.field for p in caught.value.problems] == ["code"]
        with pytest.raises(UnitError) as caught:
            save_unit(unit=None, code="met spatie", name="")
        assert [p.field for p in caught.value.problems] == ["code", "name"]
        assert Unit.objects.get(pk=graded["bc"].pk).name == "Balie Centrum"
        assert Unit.objects.count() == 4


def test_another_organisations_unit_is_no_parent(org, make_org):
    other = make_org("elders")
    with tenant(other):
        save_unit(unit=None, code="alleen-elders", name="Elders")
    with tenant(org), pytest.raises(UnitError) as caught:
        save_unit(unit=None, code="nieuw", name="Nieuw", parent="alleen-elders")
    assert [p.field for p in caught.value.problems] == ["parent"]


def test_import_creates_updates_and_accepts_parents_after_children(org):
    rows = [
        UnitRow(2, "balie-centrum", "Balie Centrum", "burgerzaken"),
        UnitRow(3, "burgerzaken", "Burgerzaken", "publiekszaken"),
        UnitRow(4, "publiekszaken", "Publiekszaken", ""),
        UnitRow(5, "wijk-noord", "Wijkteam Noord", "front"),  # an existing parent
    ]
    with tenant(org):
        first = import_units(rows)
        assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
        again = import_units(
            [*rows[:3], UnitRow(5, "wijk-noord", "Wijkteam Noord-Oost", "publiekszaken")]
        )
        assert (again.created, again.updated, again.unchanged) == (0, 1, 3)
        assert [n.breadcrumb for n in unit_tree().nodes()] == [
            "Front office",
            "Publiekszaken",
            "Publiekszaken › Burgerzaken",
            "Publiekszaken › Burgerzaken › Balie Centrum",
            "Publiekszaken › Wijkteam Noord-Oost",
        ]


def test_a_bad_import_names_row_and_column_and_writes_nothing(org):
    with tenant(org):
        import_units([UnitRow(1, "a", "A", "")])
        with pytest.raises(UnitError) as caught:
            import_units(
                [
                    UnitRow(1, "a", "A", "c"),  # a › c › b › a: a cycle
                    UnitRow(2, "b", "B", "a"),
                    UnitRow(3, "c", "C", "b"),
                    UnitRow(4, "b", "B again", ""),
                    UnitRow(5, "d", "", "nowhere"),
                    UnitRow(6, "e e", "E", ""),
                ]
            )
        found = [(p.row, p.field) for p in caught.value.problems]
        assert found == [
            (1, "parent"),
            (2, "parent"),
            (3, "parent"),
            (4, "code"),
            (5, "name"),
            (5, "parent"),
            (6, "code"),
        ]
        assert caught.value.problems[3].message == "The code “b” is already on row 2."
        assert list(Unit.objects.values_list("code", "parent")) == [("a", None), ("front", None)]


def test_the_back_office_check_refuses_a_cycle_and_another_organisations_parent(
    org, graded, make_org
):
    from django.core.exceptions import ValidationError

    other = make_org("elders")
    foreign = Unit.unscoped_all_tenants.get(organisation=other, code="front")
    top = Unit.unscoped_all_tenants.get(pk=graded["pz"].pk)
    top.parent = Unit.unscoped_all_tenants.get(pk=graded["bc"].pk)
    with tenant(org), pytest.raises(ValidationError) as caught:
        top.full_clean()
    assert list(caught.value.message_dict) == ["parent"]
    top.parent = foreign
    with tenant(org), pytest.raises(ValidationError) as caught:
        top.full_clean()
    assert caught.value.message_dict == {"parent": ["Choose a unit of the same organisation."]}
