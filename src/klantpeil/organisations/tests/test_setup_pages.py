"""The units and opening-hours pages as a manager uses them: the tree, add, rename,
move, and every refusal beside its field with nothing saved."""

from __future__ import annotations

import pytest

from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import ClosingDay, OpeningHours, Unit
from klantpeil.organisations.services import save_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client, make_org, make_member):
    org = make_org("alpha")
    client.force_login(make_member("m@alpha.example", org, "manager"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages compared are English
    return client, org


def _units(org) -> list[tuple[str, str, str | None]]:
    with tenant(org):
        return [
            (u.code, u.name, u.parent.code if u.parent else None)
            for u in Unit.objects.select_related("parent").order_by("code")
        ]


def test_add_move_and_rename_units_as_a_tree(manager):
    client, org = manager
    for code, name, parent in (
        ("publiekszaken", "Publiekszaken", ""),
        ("burgerzaken", "Burgerzaken", "publiekszaken"),
        ("balie-centrum", "Balie Centrum", "burgerzaken"),
    ):
        response = client.post("/app/alpha/units/", {"code": code, "name": name, "parent": parent})
        assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get("/app/alpha/units/").content.decode()
    assert "Publiekszaken › Burgerzaken › Balie Centrum" in page
    assert 'data-code="balie-centrum" data-depth="2"' in page
    # The filters of the dashboards show the tree, indented.
    overview = client.get("/app/alpha/").content.decode()
    assert '<option value="balie-centrum">\u00a0' * 1 in overview
    # Move Balie Centrum to the top and rename it.
    response = client.post(
        "/app/alpha/units/balie-centrum/",
        {"code": "balie-centrum", "name": "Balie Stadhuis", "parent": ""},
    )
    assert response.status_code == 302
    assert ("balie-centrum", "Balie Stadhuis", None) in _units(org)


def test_a_cycle_or_a_duplicate_code_is_refused_beside_its_field(manager):
    client, org = manager
    with tenant(org):
        save_unit(unit=None, code="top", name="Top")
        save_unit(unit=None, code="sub", name="Sub", parent="top")
    before = _units(org)
    response = client.post("/app/alpha/units/top/", {"code": "top", "name": "X", "parent": "sub"})
    assert response.status_code == 200
    # The form does not offer a sub-unit; a posted one is refused by the service.
    assert response.context["form"].errors == {
        "parent": [
            "Top cannot be part of Sub: a unit cannot be part of itself or of its own "
            "sub-unit (top › sub › top)."
        ]
    }
    response = client.post("/app/alpha/units/", {"code": "front", "name": "Again", "parent": ""})
    assert response.context["form"].errors == {
        "code": ["The code “front” is already used by the unit Front office."]
    }
    assert 'id="id_code_error"' in response.content.decode()
    assert _units(org) == before
    assert client.get("/app/alpha/units/nobody/").status_code == 404


def test_opening_hours_and_closing_days_pages(manager):
    client, org = manager
    page = client.get("/app/alpha/hours/email/").content.decode()
    assert 'value="08:30–17:00"' in page  # the standard office hours until saved
    response = client.post(
        "/app/alpha/hours/email/",
        {"day-0": "09:00-12:00, 11:30-17:00", "day-1": "9.00-17.00", "day-2": "later"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Monday: 11:30–17:00 overlaps 09:00–12:00." in content
    assert "“later” is not an interval like 09:00–12:30." in content
    with tenant(org):
        assert not OpeningHours.objects.exists()
    response = client.post(
        "/app/alpha/hours/email/", {"day-0": "09:00-12:00, 13:00-17:00", "day-4": "9:00-12:00"}
    )
    assert response.status_code == 302
    with tenant(org):
        assert OpeningHours.objects.count() == 3
    overview = client.get("/app/alpha/hours/").content.decode()
    assert "09:00–12:00, 13:00–17:00" in overview
    response = client.post("/app/alpha/hours/", {"day": "2026-12-24", "name": "Kerstavond"})
    assert response.status_code == 302
    response = client.post("/app/alpha/hours/", {"day": "2026-12-24", "name": ""})
    assert set(response.context["errors"]) == {"day", "name"}
    response = client.post("/app/alpha/hours/", {"day": "24-12-2026", "name": "x"})
    assert set(response.context["errors"]) == {"day"}
    with tenant(org):
        day = ClosingDay.objects.get()
    assert client.post("/app/alpha/hours/", {"remove": str(day.pk)}).status_code == 302
    with tenant(org):
        assert not ClosingDay.objects.exists()
    response = client.post("/app/alpha/hours/email/", {"standard": "1"})
    assert response.status_code == 302
    with tenant(org):
        assert not OpeningHours.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "shopper"])
def test_readers_may_not_change_the_set_up(client, make_org, make_member, role):
    org = make_org("alpha")
    client.force_login(make_member(f"{role}@alpha.example", org, role))
    for path in ("/app/alpha/units/", "/app/alpha/units/front/", "/app/alpha/hours/"):
        assert client.get(path).status_code == 403, path
