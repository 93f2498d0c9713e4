"""Members limited to units (issue 14): every read, page, API answer, export and report
holds their units' rows and totals only; another unit is "not found" like a foreign id.

The fixture, by hand (customer survey, overall grade, all in May 2026):

    unit    measurements (grade, channel)                      limited member
    front   8 phone, 6 phone, 7 e-mail, 10 phone (not folded)  lead (front + back)
    back    9 e-mail, 5 phone                                  lead
    north   4 phone                                            viewer (north)
    none    3 counter                                          nobody limited

So the lead sees 6 measurements with a mean grade of 45 / 6 = 7.5 (phone 8, 6, 10, 5:
n 4, 7.25; e-mail 7, 9: n 2, 8.0), the north viewer 1 with 4.0, and the organisation
has 8 with 52 / 8 = 6.5. The fourth front measurement is recorded after the rollups were
folded, so the rollup cells and the not-yet-folded tail are both read.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.urls import reverse
from openpyxl import load_workbook

from klantpeil.accounts.models import Membership
from klantpeil.accounts.services import add_member, issue_api_token, set_member_units
from klantpeil.analytics.selectors import (
    channel_kpis,
    counts_per_channel_and_month,
    monthly_grades,
    survey_summary,
)
from klantpeil.collection.models import Answer, Measurement
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core import tenancy
from klantpeil.core.tenancy import TenantModel, tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, Unit
from klantpeil.reports.models import ReportRun
from klantpeil.reports.services import make, request_report
from klantpeil.rollups import services as rollups
from klantpeil.rollups.models import AnswerRollup

pytestmark = pytest.mark.django_db

PERIOD = "2026-Q2"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ROWS = [  # unit, grade, channel, external id
    ("front", 8, "phone", "front-1"),
    ("front", 6, "phone", "front-2"),
    ("front", 7, "email", "front-3"),
    ("back", 9, "email", "back-1"),
    ("back", 5, "phone", "back-2"),
    ("north", 4, "phone", "north-1"),
    (None, 3, "counter", "nounit-1"),
]
LATE = ("front", 10, "phone", "front-4")  # recorded after the fold
LEAD_IDS = {"front-1", "front-2", "front-3", "front-4", "back-1", "back-2"}


def _record(unit, grade, kind, external_id, day):
    record_measurement(
        version=latest_version(key="customer-survey"),
        answers={
            **CUSTOMER_SURVEY_ANSWERS,
            "overall_grade": grade,
            "comment": f"words of {external_id}",
            **({"ivr_menu": 7} if kind == "phone" else {}),
        },
        occurred_at=datetime(2026, 5, day, 10, tzinfo=UTC),
        source="api",
        channel=Channel.objects.get(kind=kind),
        unit=Unit.objects.get(code=unit) if unit else None,
        external_id=external_id,
    )


@pytest.fixture
def world(make_org, make_member, client):
    alpha, beta = make_org("alphaorg"), make_org("betaorg")
    with tenant(alpha):
        Unit.objects.create(code="back", name="Back office")
        Unit.objects.create(code="north", name="North desk")
        for day, row in enumerate(ROWS, start=2):
            _record(*row, day)
    with tenant(beta):
        _record("front", 1, "phone", "beta-1", 2)
    rollups.refresh()
    with tenant(alpha):
        _record(*LATE, 20)
    users = {
        "lead": make_member("lead@alpha.example", alpha, "manager"),
        "viewer": make_member("viewer@alpha.example", alpha, "viewer"),
        "analyst": make_member("analyst@alpha.example", alpha, "analyst"),
    }
    memberships = {m.user.email.split("@")[0]: m for m in Membership.objects.all()}
    set_member_units(membership=memberships["lead"], unit_codes=["front", "back"])
    set_member_units(membership=memberships["viewer"], unit_codes=["north"])
    with tenant(alpha):
        units = dict(Unit.objects.values_list("code", "pk"))
        ids = dict(Measurement.objects.values_list("external_id", "pk"))
    return {
        "alpha": alpha,
        "units": units,
        "ids": ids,
        "users": users,
        "memberships": memberships,
        "client": client,
    }


def _as(world, who):
    client = world["client"]
    client.logout()
    client.force_login(world["users"][who])
    return client


def _page(name, **kwargs):
    return reverse(name, kwargs={"org": "alphaorg", **kwargs})


# --- the one place ------------------------------------------------------------------


def test_every_tenant_model_says_how_its_rows_belong_to_units():
    """A new tenant table must choose: a path to its unit, or WHOLE_ORGANISATION /
    HIDDEN_FROM_UNITS; otherwise a limited member's query raises (fail closed)."""
    choices = {}
    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        scope = model.unit_scope
        assert scope is not None, f"{model.__name__}: set unit_scope"
        if scope not in (tenancy.WHOLE_ORGANISATION, tenancy.HIDDEN_FROM_UNITS):
            try:  # the path must lead somewhere (compiles to SQL)
                str(model.unscoped_all_tenants.filter(**{f"{scope}__in": [1]}).query)
            except FieldError as exc:
                pytest.fail(f"{model.__name__}.unit_scope {scope!r}: {exc}")
        choices[model.__name__] = scope
    assert choices["Measurement"] == "unit"
    assert choices["AnswerRollup"] == "unit_key"
    assert choices["SocialPost"] == tenancy.HIDDEN_FROM_UNITS


def test_a_model_without_a_unit_scope_refuses_a_limited_reader(world, monkeypatch):
    monkeypatch.setattr(Channel, "unit_scope", None)
    north = [world["units"]["north"]]
    with tenant(world["alpha"], units=north), pytest.raises(tenancy.TenantScopeError):
        list(Channel.objects.all())
    with tenant(world["alpha"]):
        assert Channel.objects.count() == 3  # the whole organisation is not limited


def test_the_managers_keep_other_units_out(world):
    units = world["units"]
    with tenant(world["alpha"], units=[units["front"], units["back"]]):
        assert Measurement.objects.count() == 6
        assert set(Measurement.objects.values_list("external_id", flat=True)) == LEAD_IDS
        assert Answer.objects.filter(question__key="overall_grade").count() == 6
        assert sorted(Unit.objects.values_list("code", flat=True)) == ["back", "front"]
        # Never the organisation's all-units cells, never another unit's cells.
        assert not AnswerRollup.objects.filter(unit_key=rollups.ALL_UNITS).exists()
        assert set(AnswerRollup.objects.values_list("unit_key", flat=True)) == {
            units["front"],
            units["back"],
        }
        with pytest.raises(Measurement.DoesNotExist):
            Measurement.objects.get(pk=world["ids"]["north-1"])
        # A task or service entered inside works for the whole organisation.
        with tenant(world["alpha"]):
            assert Measurement.objects.count() == 8
        assert Measurement.objects.count() == 6
    assert tenancy.current_units() is None


def test_kpis_counts_and_trend_are_the_limited_members_units_totals(world):
    units, q2 = world["units"], MeasurementFilter(period=PERIOD)
    with tenant(world["alpha"], units=[units["front"], units["back"]]):
        overall = survey_summary(q2, None).overall.grade
        assert (overall.n, overall.value) == (6, pytest.approx(7.5))
        channels = {k.kind: (k.grade.n, k.grade.value) for k in channel_kpis(q2)}
        assert channels == {"phone": (4, pytest.approx(7.25)), "email": (2, pytest.approx(8.0))}
        # The same from the raw answers: rollup cells plus tail agree with the raw read.
        raw = {k.kind: (k.grade.n, k.grade.value) for k in channel_kpis(q2, from_rollups=False)}
        assert raw == channels
        _months, rows = counts_per_channel_and_month(since=date(2026, 5, 1))
        assert {r["kind"]: r["total"] for r in rows} == {"phone": 4, "email": 2}
        trend = monthly_grades(since=date(2026, 5, 1), until=date(2026, 5, 31))
        assert sum(p.grade.n for p in trend) == 6
        # One of their units by its code: that unit alone.
        front = survey_summary(MeasurementFilter(period=PERIOD, unit="front"), None)
        assert (front.overall.grade.n, front.overall.grade.value) == (4, pytest.approx(7.75))
        # Another unit's code finds nothing at all, exactly like a code nobody has.
        for code in ("north", "nowhere"):
            other = survey_summary(MeasurementFilter(period=PERIOD, unit=code), None)
            assert other.overall.grade.n == 0 and other.channels == []
    with tenant(world["alpha"], units=[units["north"]]):
        overall = survey_summary(q2, None).overall.grade
        assert (overall.n, overall.value) == (1, pytest.approx(4.0))
    with tenant(world["alpha"]):
        overall = survey_summary(q2, None).overall.grade
        assert (overall.n, overall.value) == (8, pytest.approx(6.5))


# --- pages ----------------------------------------------------------------------------


def test_the_overview_counts_only_their_units(world):
    counts = {}
    for who in ("lead", "viewer", "analyst"):
        body = _as(world, who).get(_page("app:overview"), {"period": PERIOD}, **EN)
        assert body.status_code == 200
        text = body.content.decode()
        counts[who] = text
    assert "6 customer measurements in 2026-Q2." in counts["lead"]
    assert "1 customer measurement in 2026-Q2." in counts["viewer"]
    assert "8 customer measurements in 2026-Q2." in counts["analyst"]
    assert "8 customer measurements" not in counts["lead"]


def test_the_unit_filter_offers_their_units_only(world):
    text = _as(world, "lead").get(_page("app:overview"), **EN).content.decode()
    assert 'value="front"' in text and 'value="back"' in text
    assert 'value="north"' not in text and "North desk" not in text
    assert "All my units" in text and "All units" not in text
    text = _as(world, "analyst").get(_page("app:overview"), **EN).content.decode()
    assert 'value="north"' in text and "All units" in text


def _comparable(html: str, code: str) -> str:
    """A page without its one-time CSRF token and with the unit code asked for blanked."""
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", html).replace(code, "CODE")


@pytest.mark.parametrize(
    "route", ["app:overview", "app:drivers", "app:employees", "app:measurements"]
)
def test_another_unit_is_the_same_error_as_a_unit_nobody_has(world, route):
    client = _as(world, "lead")
    other = client.get(_page(route), {"unit": "north"}, **EN)
    nobody = client.get(_page(route), {"unit": "nowhere"}, **EN)
    assert other.status_code == nobody.status_code
    text = other.content.decode()
    assert "North desk" not in text and "north-1" not in text
    assert _comparable(text, "north") == _comparable(nobody.content.decode(), "nowhere")


def test_another_units_measurement_is_not_found(world):
    client = _as(world, "lead")
    ids = world["ids"]
    assert client.get(_page("app:measurement", pk=ids["front-1"])).status_code == 200
    other = client.get(_page("app:measurement", pk=ids["north-1"]))
    nobody = client.get(_page("app:measurement", pk=999_999_999))
    unit_less = client.get(_page("app:measurement", pk=ids["nounit-1"]))
    assert other.status_code == nobody.status_code == unit_less.status_code == 404
    assert other.content == nobody.content


def test_comments_are_their_units_comments(world):
    from klantpeil.textanalysis.services import annotate_comments_of_all_organisations

    assert annotate_comments_of_all_organisations() == 9  # alpha's eight, beta's one
    text = _as(world, "lead").get(_page("app:text:comments"), {"period": PERIOD}).content
    every = ("front-1", "front-4", "back-2", "north-1", "nounit-1")
    shown = {i for i in every if f"words of {i}".encode() in text}
    assert shown == {"front-1", "front-4", "back-2"}


def test_no_sector_comparison_for_a_limited_member(world):
    text = _as(world, "lead").get(_page("app:benchmark"), **EN).content.decode()
    assert "not shown for a single unit" in text


def test_a_limited_manager_manages_no_data(world):
    client = _as(world, "lead")
    for route in ("app:import", "app:tokens", "app:fieldwork:study-new", "privacy:forget"):
        assert client.get(_page(route)).status_code == 403, route
    assert _as(world, "analyst").get(_page("app:tokens")).status_code == 200


# --- API --------------------------------------------------------------------------------


@pytest.fixture
def lead_token(world):
    return issue_api_token(
        organisation=world["alpha"], name="lead", created_by=world["users"]["lead"], scope="read"
    ).secret


def test_a_token_reads_its_makers_units(world, lead_token, client):
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {lead_token}"}
    page = client.get("/api/v1/measurements", {"limit": 100}, **bearer).json()
    assert page["count"] == 6
    assert {m["external_id"] for m in page["items"]} == LEAD_IDS
    for code in ("north", "nowhere"):
        assert client.get("/api/v1/measurements", {"unit": code}, **bearer).json()["count"] == 0
    other = client.get(f"/api/v1/measurements/{world['ids']['north-1']}", **bearer)
    nobody = client.get("/api/v1/measurements/999999999", **bearer)
    assert other.status_code == nobody.status_code == 404 and other.content == nobody.content
    assert sorted(u["code"] for u in client.get("/api/v1/units", **bearer).json()) == [
        "back",
        "front",
    ]
    kpis = client.get("/api/v1/kpis", {"period": PERIOD}, **bearer).json()
    assert {k["channel"]: k["grade"]["n"] for k in kpis} == {"phone": 4, "email": 2}
    other = client.get("/api/v1/kpis", {"unit": "north"}, **bearer)
    nobody = client.get("/api/v1/kpis", {"unit": "nowhere"}, **bearer)
    assert other.status_code == nobody.status_code == 422
    assert other.json()["message"].replace("north", "X") == nobody.json()["message"].replace(
        "nowhere", "X"
    )
    benchmark = client.get("/api/v1/benchmarks/grade", **bearer)
    assert benchmark.status_code == 422 and benchmark.json()["code"] == "off_grid"
    # A token of a member who is not limited reads the whole organisation.
    whole = issue_api_token(organisation=world["alpha"], name="w", scope="read").secret
    page = client.get("/api/v1/measurements", HTTP_AUTHORIZATION=f"Bearer {whole}").json()
    assert page["count"] == 8


def test_a_limited_writer_writes_within_their_units(world, client):
    secret = issue_api_token(
        organisation=world["alpha"], name="lead-w", created_by=world["users"]["lead"]
    ).secret
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    item = {
        "instrument": "customer-survey",
        "occurred_at": "2026-03-02T10:00:00+01:00",
        "channel": "email",
        "answers": dict(CUSTOMER_SURVEY_ANSWERS),
    }
    before = Measurement.unscoped_all_tenants.count()

    def post(path, body):
        return client.post(path, body, content_type="application/json", **bearer)

    for unit in (None, "north"):  # no unit would be the whole organisation's; north not theirs
        body = {"measurements": [{**item, **({"unit": unit} if unit else {})}]}
        refused = post("/api/v1/measurements", body)
        assert refused.status_code == 422, unit
        [error] = refused.json()["errors"]
        assert (error["index"], error["field"]) == (0, "unit")
    invitation = {"channel": "email", "occurred_at": item["occurred_at"]}
    refused = post("/api/v1/invitations", {"invitations": [invitation]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "unit"
    assert "back, front" in refused.json()["errors"][0]["message"]
    assert Measurement.unscoped_all_tenants.count() == before
    assert (
        post("/api/v1/measurements", {"measurements": [{**item, "unit": "front"}]}).status_code
        == 201
    )


# --- exports and reports -------------------------------------------------------------


def _export_ids(response, fmt):
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    else:
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text[:200] else ","))
    header, body = rows[0], rows[1:]
    column = list(header).index("external_id")
    return [row[column] for row in body]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("who", "expected"), [("lead", LEAD_IDS), ("viewer", {"north-1"}), ("analyst", None)]
)
def test_an_export_holds_exactly_their_units_rows(world, fmt, who, expected):
    response = _as(world, who).get(
        _page("app:export"), {"instrument": "customer-survey", "format": fmt, "period": PERIOD}
    )
    assert response.status_code == 200
    ids = _export_ids(response, fmt)
    if expected is None:  # the whole organisation
        assert len(ids) == 8
    else:
        assert len(ids) == len(expected) and set(ids) == expected


def _report(world, who, fmt, lang="en"):
    with tenant(world["alpha"]):
        run = request_report(period=PERIOD, fmt=fmt, lang=lang, user=world["users"][who])
    assert make(run_id=run.pk) == ReportRun.Status.DONE
    return ReportRun.unscoped_all_tenants.get(pk=run.pk)


def test_the_workbook_report_holds_their_units_figures(world):
    run = _report(world, "lead", "xlsx")
    book = load_workbook(io.BytesIO(bytes(run.content)))
    sheet = book["Channels"]
    header = [c.value for c in sheet[1]]
    n = header.index("n")
    rows = {r[0]: r[n] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows == {"Phone": 4, "E-mail": 2}
    trend = book["Trend"]
    assert sum(r[5] for r in trend.iter_rows(min_row=2, values_only=True)) == 6
    benchmark = [c for row in book["Benchmark"].iter_rows(values_only=True) for c in row if c]
    assert any("not shown for a single unit" in str(c) for c in benchmark)
    comments = {r[4] for r in book["Comments"].iter_rows(min_row=2, values_only=True)}
    assert comments <= {f"words of {i}" for i in LEAD_IDS}
    # The viewer of north: one response; the analyst: all eight.
    for who, expected in (("viewer", {"Phone": 1}), ("analyst", {"Phone": 5, "E-mail": 2})):
        sheet = load_workbook(io.BytesIO(bytes(_report(world, who, "xlsx").content)))["Channels"]
        rows = {r[0]: r[n] for r in sheet.iter_rows(min_row=2, values_only=True)}
        assert {k: v for k, v in rows.items() if k != "Counter"} == expected


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_pdf_report_holds_their_units_figures(world, tmp_path):
    texts = {}
    for who in ("lead", "analyst"):
        output = tmp_path / f"{who}.pdf"
        output.write_bytes(bytes(_report(world, who, "pdf", lang="nl").content))
        texts[who] = subprocess.run(
            ["pdftotext", "-layout", str(output), "-"], capture_output=True, text=True, check=True
        ).stdout
    assert "6 reacties" in texts["lead"] and "8 reacties" not in texts["lead"]
    assert "8 reacties" in texts["analyst"]
    assert "north-1" not in texts["lead"] and "nounit-1" not in texts["lead"]


def test_a_limited_member_sees_only_the_reports_they_asked_for(world):
    mine = _report(world, "lead", "xlsx")
    theirs = _report(world, "analyst", "xlsx")
    client = _as(world, "lead")
    listing = client.get(_page("app:reports:reports")).content.decode()
    assert _page("app:reports:report", pk=mine.pk) in listing
    assert _page("app:reports:report", pk=theirs.pk) not in listing
    assert client.get(_page("app:reports:download", pk=theirs.pk)).status_code == 404
    assert client.get(_page("app:reports:download", pk=mine.pk)).status_code == 200
    # A member of the whole organisation sees both.
    listing = _as(world, "analyst").get(_page("app:reports:reports")).content.decode()
    assert _page("app:reports:report", pk=mine.pk) in listing


# --- managing the limit ------------------------------------------------------------


def test_the_limit_is_set_and_cleared_with_unit_codes(world):
    membership = world["memberships"]["viewer"]
    with pytest.raises(ValueError, match="No unit 'elsewhere' in alphaorg"):
        set_member_units(membership=membership, unit_codes=["north", "elsewhere"])
    assert membership.unit_scope() == {world["units"]["north"]}  # unchanged
    _user, membership = add_member(
        email="viewer@alpha.example", organisation=world["alpha"], role="viewer", units=[]
    )
    assert membership.unit_scope() is None
    with pytest.raises(ValueError, match="Operators"):
        add_member(
            email="op@example.org",
            organisation=None,
            role="operator",
            password="pw",
            check_password=False,
            units=["front"],
        )


def test_the_command_line_limits_a_member(world, monkeypatch, capsys):
    from klantpeil.cli import main

    monkeypatch.setenv("KLANTPEIL_PASSWORD", "a-long-enough-password-1")
    args = ["createuser", "lead2@alpha.example", "--org", "alphaorg", "--role", "viewer"]
    assert main([*args, "--units", "front,back"]) == 0
    assert "limited to the units back, front" in capsys.readouterr().out
    membership = Membership.objects.get(user__email="lead2@alpha.example")
    assert membership.unit_scope() == {world["units"]["front"], world["units"]["back"]}
    assert main([*args, "--units", "front,nowhere"]) == 2
    assert "No unit 'nowhere'" in capsys.readouterr().err


def test_the_back_office_sets_the_units(world, admin_client):
    membership = world["memberships"]["viewer"]
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Alphaorg · North desk (north)" in page.content.decode()
    data = {
        "user": membership.user_id,
        "organisation": membership.organisation_id,
        "role": "viewer",
        "limited_units": [world["units"]["front"], world["units"]["back"]],
    }
    assert admin_client.post(url, data).status_code == 302
    assert membership.unit_scope() == {world["units"]["front"], world["units"]["back"]}
    beta_unit = Unit.unscoped_all_tenants.get(organisation__slug="betaorg", code="front")
    refused = admin_client.post(url, {**data, "limited_units": [beta_unit.pk]}, **EN)
    assert refused.status_code == 200
    assert "belong to another organisation" in refused.content.decode()


def test_a_report_made_within_wider_units_is_withdrawn_when_the_limit_narrows(world):
    # The lead asked for a report while limited to front and back, then was limited to
    # front only: the stored file holds back's figures, so it is no longer theirs to read.
    run = _report(world, "lead", "xlsx")
    assert sorted(run.units) == sorted([world["units"]["front"], world["units"]["back"]])
    client = _as(world, "lead")
    assert client.get(_page("app:reports:download", pk=run.pk)).status_code == 200
    lead = Membership.objects.get(user=world["users"]["lead"])
    set_member_units(membership=lead, unit_codes=["front"])
    assert client.get(_page("app:reports:download", pk=run.pk)).status_code == 404
    listing = client.get(_page("app:reports:reports")).content.decode()
    assert _page("app:reports:report", pk=run.pk) not in listing
    # Widened again, it is theirs again; a member of the whole organisation always sees it.
    set_member_units(membership=lead, unit_codes=["front", "back", "north"])
    assert client.get(_page("app:reports:download", pk=run.pk)).status_code == 200
    assert _report(world, "analyst", "xlsx").units is None
