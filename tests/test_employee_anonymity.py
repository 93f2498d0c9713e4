"""Employees' anonymity on every route: one employee's answers and comment never appear.

An intruder (a viewer or analyst of the organisation, or its API token) knows that one
employee answered the employee survey in the back office in March, with a comment. A
search term from the comment, the unit and the month each narrow the data down to that
one employee. The test sends them, alone and together, to every page of the app (read
from the URL configuration, so a new page is covered without anyone remembering it),
every GET operation of the API (from the OpenAPI document), the exports of the app and
the CLI, and a PDF and an XLSX report of that month, and looks for the employee's
comment, their measurement and their answers in every answer. Groups of five or more
still show where they are meant to: the employees page's unit × quarter aggregates.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from klantpeil.accounts.services import issue_api_token
from klantpeil.cli import main
from klantpeil.collection.models import Measurement
from klantpeil.collection.selectors import MIN_ANONYMOUS_GROUP, MeasurementFilter, whole_quarters
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Unit
from klantpeil.reports import services as report_services
from klantpeil.reports.models import ReportRun
from klantpeil.rollups import services as rollups
from klantpeil.textanalysis.services import annotate_comments
from tests.test_tenant_isolation import _routes, _sample_objects, _url

SECRET_WORD = "zebrapad"  # a word only the one employee wrote
SECRET_COMMENT = f"Mijn leidinggevende Pietersen kijkt nooit naar het {SECRET_WORD}-rooster"
SECRET_ID = "EMP-ALONE-7"
VISIBLE_COMMENT = "De wachttijd aan de telefoon was veel te lang, slecht geregeld"
GROUP_COMMENT = "Werkdruk in de groep is hoog"
# Keys only the employee survey asks: an answer of an employee shows up as one of them.
EMPLOYEE_KEYS = ("employee_grade", "enps", "manager_support", "workload", "collaboration")
LIKERT = ("has_information", "manager_support", "autonomy", "workload", "pride", "collaboration")

NARROWING = [
    {"q": SECRET_WORD},
    {"unit": "back"},
    {"period": "2026-03"},
    {
        "q": SECRET_WORD,
        "unit": "back",
        "period": "2026-03",
        "instrument": "employee-survey",
        "method": "employee_survey",
    },
]


def _employee(grade: int, unit: str, when: str, comment: str = "", external_id: str = ""):
    answers = {"employee_grade": grade, "enps": 2, **dict.fromkeys(LIKERT, 2)}
    if comment:
        answers["comment"] = comment
    return {
        "instrument": "employee-survey",
        "occurred_at": when,
        "unit": unit,
        "external_id": external_id,
        "answers": answers,
    }


def _customer(grade: int, unit: str, when: str, comment: str = ""):
    answers = {**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade}
    if comment:
        answers["comment"] = comment
    return {
        "instrument": "customer-survey",
        "occurred_at": when,
        "channel": "email",
        "unit": unit,
        "answers": answers,
    }


@pytest.fixture
def world(make_org, make_member, client):
    alpha = make_org("alpha")
    Unit.unscoped_all_tenants.create(organisation=alpha, code="back", name="Back office")
    analyst = make_member("analyst@alpha.example", alpha, "analyst")
    shopper = make_member("shopper@alpha.example", alpha, "shopper")
    objects = _sample_objects(alpha, shopper)
    token = issue_api_token(organisation=alpha, name="intruder").secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    # Through the API, as an integrator (or the attacker) would post them.
    batch = [
        _employee(3, "back", "2026-03-10T09:00:00+01:00", SECRET_COMMENT, SECRET_ID),
        # A group of six employees in the front office in the second quarter.
        *[
            _employee(6 + i % 3, "front", f"2026-05-{i + 4:02d}T09:00:00+02:00", GROUP_COMMENT)
            for i in range(5)
        ],
        _employee(8, "front", "2026-06-09T09:00:00+02:00", GROUP_COMMENT),
        _customer(3, "back", "2026-03-11T10:00:00+01:00", VISIBLE_COMMENT),
        *[_customer(7 + i % 2, "front", f"2026-05-{i + 4:02d}T10:00:00+02:00") for i in range(6)],
    ]
    posted = client.post(
        "/api/v1/measurements",
        json.dumps({"measurements": batch}),
        content_type="application/json",
        **headers,
    )
    assert posted.status_code == 201, posted.content
    with tenant(alpha):
        assert annotate_comments(method="lexicon") == 1 + 6 + 1
    rollups.refresh()
    secret = Measurement.unscoped_all_tenants.get(external_id=SECRET_ID)
    client.force_login(analyst)
    return {
        "org": alpha,
        "client": client,
        "headers": headers,
        "objects": objects,
        "secret": secret,
    }


def _assert_hidden(text: str, where: str, secret_pk: int) -> None:
    # Not the search word itself: pages rightly echo what was searched for.
    assert "Pietersen" not in text, where
    assert "kijkt nooit naar" not in text, where
    assert SECRET_ID not in text, where
    assert GROUP_COMMENT not in text, where  # employee comments are never listed, any group
    assert f"/measurements/{secret_pk}/" not in text, where


def _xlsx_text(body: bytes) -> str:
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )


def _body_text(response) -> str:
    if response.get("Content-Type", "").startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    ):
        return _xlsx_text(response.content)
    if response.get("Content-Type", "") == "application/pdf":
        return _pdf_text(response.content)
    if response.get("Content-Type", "").startswith("image/png"):
        return ""  # pixels; the PNG's texts come from the same data as the PDF
    return response.content.decode("utf-8", "replace")


def _pdf_text(body: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(
        ["pdftotext", "-", "-"], input=body, capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8", "replace")


def _made_report(org, fmt: str) -> ReportRun:
    with tenant(org):
        run = report_services.request_report(period="2026-03", fmt=fmt, lang="nl")
    report_services.make(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    return run


def test_no_route_shows_one_employee(world):
    client, secret = world["client"], world["secret"]
    pdf = _made_report(world["org"], "pdf")
    xlsx = _made_report(world["org"], "xlsx")
    # The report sees comments: the unhappy customer's words are in the PDF's sample.
    assert "wachttijd aan de telefoon" in _pdf_text(bytes(pdf.content))
    routes = [
        (name, params)
        for name, route, params in _routes()
        if route.startswith("app/<slug:org>/") or route.startswith("<slug:org>/")
    ]
    names = {name for name, _ in routes}
    assert {"app:text:comments", "app:measurements", "app:export", "app:employees"} <= names
    checked = 0
    for name, params in routes:
        samples = [{**world["objects"]}]
        if "pk" in params and name in ("app:measurement",):
            samples.append({**world["objects"], "pk": secret.pk})
        if name.startswith("app:reports:"):
            samples = [{**world["objects"], "report": run.pk} for run in (pdf, xlsx)]
        for values in samples:
            url = _url(name, params, values)
            queries = NARROWING
            if name == "app:export":
                queries = [
                    {**q, "instrument": instrument, "format": fmt}
                    for q in NARROWING
                    for instrument in ("customer-survey", "employee-survey")
                    for fmt in ("csv", "xlsx")
                ]
            if name.endswith("infographic"):
                queries = NARROWING[-1:]  # mystery calls drawn (a second each): all at once
            for query in queries:
                response = client.get(url, query)
                if response.status_code == 405:
                    continue  # a POST-only action: it shows nothing
                _assert_hidden(_body_text(response), f"{name} {query}", secret.pk)
                checked += 1
    assert checked > 80
    # The measurement page of the employee's response does not exist for anyone.
    detail = reverse("app:measurement", kwargs={"org": "alpha", "pk": secret.pk})
    assert client.get(detail).status_code == 404


def test_the_comments_page_lists_customers_and_never_an_employee(world):
    client = world["client"]
    # Search, unit, month, all three: the customer's comment where it matches, never more.
    for query, expected in zip(NARROWING, (0, 1, 1, 0), strict=True):
        page = client.get("/app/alpha/comments/", query)
        assert page.status_code == 200
        assert page.context["total"] == expected, query
        assert {r.annotation.measurement.method for r in page.context["rows"]} <= {
            "customer_survey"
        }
        # The mood trend counts customers' comments only.
        assert sum(p.n for p in page.context["trend"]) == expected, query
    alone = client.get("/app/alpha/comments/", {"q": SECRET_WORD})
    assert (alone.context["total"], alone.context["trend"]) == (0, [])
    march = client.get("/app/alpha/comments/", {"unit": "back", "period": "2026-03"})
    assert march.context["total"] == 1  # the customer's, which is meant to be there
    assert [r.annotation.answer.text for r in march.context["rows"]] == [VISIBLE_COMMENT]
    everything = client.get("/app/alpha/comments/", {"period": "2026"})
    assert everything.context["total"] == 1  # six group comments are employees' too


def test_the_api_and_the_cli_export_never_serve_one_employee(world, tmp_path, capsys):
    client, headers, secret = world["client"], world["headers"], world["secret"]
    client.logout()
    spec = client.get("/api/v1/openapi.json").json()
    reads = [path for path, operations in spec["paths"].items() if "get" in operations]
    assert {"/api/v1/measurements", "/api/v1/measurements/{measurement_id}", "/api/v1/kpis"} <= set(
        reads
    )
    checked = 0
    for path in reads:
        url = path.replace("{measurement_id}", str(secret.pk)).replace("{key}", "customer-survey")
        for query in NARROWING:
            response = client.get(url, query, **headers)
            text = response.content.decode()
            _assert_hidden(text, f"{path} {query}", secret.pk)
            assert not any(f'"{key}"' in text for key in EMPLOYEE_KEYS), (path, query)
            checked += 1
    assert checked == len(NARROWING) * len(reads)
    assert client.get(f"/api/v1/measurements/{secret.pk}", **headers).status_code == 404
    listed = client.get("/api/v1/measurements", {"unit": "back"}, **headers).json()
    assert [item["instrument"] for item in listed["items"]] == ["customer-survey"]

    for instrument in ("customer-survey", "employee-survey"):
        out = tmp_path / f"{instrument}.csv"
        code = main(
            [
                *("export", "--org", "alpha", "--instrument", instrument),
                *("--unit", "back", "--period", "2026-03", "--output", str(out)),
            ]
        )
        if instrument == "employee-survey":
            assert code == 2 and not out.exists()
            assert "anonymous" in capsys.readouterr().err
        else:
            assert code == 0
            text = out.read_text(encoding="utf-8-sig")
            _assert_hidden(text, instrument, secret.pk)
            assert "wachttijd aan de telefoon" in text  # the customer's row is there


def test_groups_of_five_or_more_still_show_on_the_employees_page(world):
    client = world["client"]
    assert MIN_ANONYMOUS_GROUP == 5
    year = client.get("/app/alpha/employees/", {"period": "2026"})
    link = year.context["link"]
    assert [(p.unit, p.quarter, p.employee.n) for p in link.pairs] == [
        ("Front office", "2026-Q2", 6)
    ]
    assert link.pairs[0].employee.value == pytest.approx((6 + 7 + 8) * 2 / 6)
    assert link.hidden == 1  # the back office's one employee in the first quarter
    # The employees page offers no unit filter: a unit asked for is refused, not applied,
    # and nothing is shown (issue 20: filters never fail silently).
    alone = client.get("/app/alpha/employees/", {"unit": "back", "period": "2026-03"})
    assert "link" not in alone.context
    assert alone.context["filters"].errors["unit"]  # said beside the field, in Dutch here


def test_employee_cells_are_whole_quarters_so_no_two_views_differ_by_one_person(world):
    """Five employees answered in May and one in June. Were May a cell of its own, the
    June employee's grade would be 6 × (quarter mean) − 5 × (May mean)."""
    client = world["client"]
    shown = set()
    for query in ({"period": "2026-Q2"}, {"period": "2026-05"}, {"period": "2026-06"}, {}):
        link = client.get("/app/alpha/employees/", query).context["link"]
        cells = [(p.unit, p.quarter, p.employee.n, round(p.employee.value, 9)) for p in link.pairs]
        shown.add(tuple(c for c in cells if c[1] == "2026-Q2"))
    assert shown == {(("Front office", "2026-Q2", 6, 7.0),)}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (MeasurementFilter(period="2026-05"), (date(2026, 4, 1), date(2026, 6, 30))),
        (MeasurementFilter(period="2026"), (date(2026, 1, 1), date(2026, 12, 31))),
        (
            MeasurementFilter(since=date(2025, 12, 6), until=date(2026, 2, 1)),
            (date(2025, 10, 1), date(2026, 3, 31)),
        ),
        (MeasurementFilter(since=date(2025, 12, 6)), (date(2025, 10, 1), None)),
        (
            MeasurementFilter(period="2026-Q3", until=date(2026, 7, 15), unit="front"),
            (date(2026, 7, 1), date(2026, 9, 30)),
        ),
    ],
)
def test_whole_quarters_widens_any_range_to_the_quarters_it_touches(given, expected):
    widened = whole_quarters(given)
    assert (widened.since, widened.until, widened.period) == (*expected, None)
    assert widened.unit == given.unit
