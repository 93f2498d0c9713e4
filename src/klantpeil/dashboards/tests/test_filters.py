"""Issue 20: filters never fail silently, one window for every figure, like-for-like
changes, employee surveys outside the customer totals, honest trend points."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import formats, timezone, translation

from klantpeil.accounts.services import issue_api_token
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.dashboards import charts
from klantpeil.dashboards.filters import compare
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.selectors import latest_version
from klantpeil.instruments.services import publish_version
from klantpeil.metrics.periods import last_twelve_months, parse_period
from klantpeil.organisations.models import Channel, Unit
from klantpeil.rollups import services as rollups

pytestmark = pytest.mark.django_db

EMPLOYEE_GRADE = {
    "key": "staff",
    "method": "employee_survey",
    "questions": [{"key": "g", "type": "grade", "label": {"nl": "Cijfer", "en": "Grade"}}],
}


def survey(org, kind, when, grades, unit=None):
    """Customer-survey responses with these overall grades on ``when`` (UTC noon)."""
    with tenant(org):
        version = latest_version(key="customer-survey")
        channel = Channel.objects.get(kind=kind)
        place = Unit.objects.get(code=unit) if unit else None
        phone = {"ivr_menu": 7} if kind == "phone" else {}  # asked on the phone only
        for grade in grades:
            record_measurement(
                version=version,
                answers={**CUSTOMER_SURVEY_ANSWERS, **phone, "overall_grade": grade},
                occurred_at=datetime(when.year, when.month, when.day, 12, tzinfo=UTC),
                source="api",
                channel=channel,
                unit=place,
            )


def employees(org, when, n):
    with tenant(org):
        instrument, _ = Instrument.objects.get_or_create(
            key="staff",
            organisation=org,
            defaults={"method": "employee_survey", "name_nl": "M", "name_en": "E"},
        )
        version = publish_version(instrument=instrument, definition=EMPLOYEE_GRADE)
        for _ in range(n):
            record_measurement(
                version=version,
                answers={"g": 7},
                occurred_at=datetime(when.year, when.month, when.day, 12, tzinfo=UTC),
                source="api",
            )


@pytest.fixture
def member(make_org, make_member, client):
    org = make_org("wadderveen")
    client.force_login(make_member("manager@wadderveen.example", org))
    return client, org


def overview(client, org, query=""):
    return client.get(f"/app/{org.slug}/{query}", HTTP_ACCEPT_LANGUAGE="en")


def figures_of(response) -> dict:
    ctx = response.context
    return {
        "total": ctx["total"],
        "rows": {row["kind"]: row["counts"] for row in ctx["rows"]},
        "months": ctx["months"],
        "trend": [(p.month, p.kind, p.grade.n, p.grade.value) for p in ctx["trend"]],
        "kpis": [(k.kind, k.grade.n, k.grade.value) for k in ctx["kpis"]],
    }


@pytest.mark.parametrize("folded", [False, True], ids=["unfolded", "from-rollups"])
def test_every_element_of_the_overview_honours_period_channel_and_unit(member, folded):
    client, org = member
    survey(org, "phone", date(2024, 9, 10), [8, 8, 8], unit="front")
    survey(org, "email", date(2024, 9, 11), [6, 7])
    survey(org, "phone", date(2024, 10, 5), [9])
    employees(org, date(2024, 9, 12), 4)  # never counted among customer measurements
    if folded:
        rollups.refresh()
    sep = date(2024, 9, 1)
    assert figures_of(overview(client, org, "?period=september+2024")) == {
        "total": 5,
        "rows": {"phone": [3], "email": [2]},
        "months": [sep],
        "trend": [(sep, "phone", 3, 8.0), (sep, "email", 2, 6.5)],
        "kpis": [("phone", 3, 8.0), ("email", 2, 6.5)],
    }
    assert figures_of(overview(client, org, "?period=sep+2024&channel=email")) == {
        "total": 2,
        "rows": {"email": [2]},
        "months": [sep],
        "trend": [(sep, "email", 2, 6.5)],
        "kpis": [("email", 2, 6.5)],
    }
    assert figures_of(overview(client, org, "?period=Q3+2024&unit=front")) == {
        "total": 3,
        "rows": {"phone": [3]},
        "months": [sep],
        "trend": [(sep, "phone", 3, 8.0)],
        "kpis": [("phone", 3, 8.0)],
    }
    both = overview(client, org, "?period=2024-09-01..2024-10-31")
    assert figures_of(both)["rows"] == {"phone": [3, 1], "email": [2, 0]}
    page = both.content.decode()
    assert "6 customer measurements in 2024-09-01..2024-10-31." in page
    assert "Shown:</strong>\n2024-09-01..2024-10-31 (1 Sep 2024 – 31 Oct 2024)" in page
    assert "employee survey" not in page.lower().replace("employee surveys are not counted", "")


def test_the_last_twelve_months_are_one_window_for_every_figure(member):
    client, org = member
    today = timezone.localdate()
    window = last_twelve_months(today)
    # Five answers a group: the minimum group (metrics.disclosure.MIN_GROUP) for a figure.
    survey(org, "phone", window.start, [7] * 5)  # the first day of the window: counted
    survey(org, "phone", window.start - timedelta(days=2), [3] * 5)  # before it: never
    survey(org, "email", today, [5] * 5)  # the running month: counted, marked "so far"
    employees(org, today, 6)
    response = overview(client, org)
    figures = figures_of(response)
    assert figures["total"] == 10
    assert figures["kpis"] == [("phone", 5, 7.0), ("email", 5, 5.0)]
    assert [(m, k) for m, k, _n, _v in figures["trend"]] == [
        (window.start, "phone"),
        (today.replace(day=1), "email"),
    ]
    with translation.override("en"):
        first = formats.date_format(window.start, "j M Y")
        last = formats.date_format(today.replace(day=1) - timedelta(days=1), "j M Y")
        month = formats.date_format(today, "F")
    page = response.content.decode()
    assert f"the last twelve months: {first} – {last} and {month} so far" in page
    assert "10 measurements in the last twelve months." in page
    # The running month is a hollow point with "so far", never joined into the line.
    assert response.context["trend_rows"][-1][1] == "running"
    spec = response.context["trend_spec"]
    running = [p for p in spec["data"]["values"] if p["channel"] == "E-mail"]
    assert running[0]["line"] is None and running[0]["joined"] is False
    assert running[0]["note"] == "so far: the month is not over"


PAGES = ["", "drivers/", "reachability/", "benchmark/", "employees/", "comments/", "social/"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("period=Q5+2026", "period", "Period: “Q5 2026” is not a period: quarter 5 does not exist"),
        ("period=2026-03-31..2026-01-15", "period", "the range ends (15 Jan 2026) before it"),
        ("period=31-02-2026+t/m+31-03-2026", "period", "31-02-2026 is not a date that exists"),
        ("period=1999", "period", "year 1999 is outside the supported years 2000–2099"),
        ("period=last+summer", "period", "“last summer” is not a period; use a month (2026-09"),
        ("channel=fax", "channel", "Channel: fax is not a channel."),
        ("channel=chat", "channel", "Channel: this organisation has no chat channel."),
        ("unit=nowhere", "unit", "Unit: this organisation has no unit with the code nowhere."),
    ],
)
def test_a_bad_filter_is_an_error_beside_its_field_and_no_figures(
    member, page, query, field, message
):
    client, org = member
    offered = {"benchmark/": (), "employees/": (), "social/": (), "reachability/": ("unit",)}
    if field != "period" and field not in offered.get(page, ("channel", "unit")):
        # A filter the page does not offer is refused too, never silently ignored.
        message = f"This page cannot be filtered by {field}."
    survey(org, "phone", timezone.localdate(), [8])
    response = client.get(f"/app/{org.slug}/{page}?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200  # the page again, with its errors
    html = response.content.decode()
    assert message in html
    assert f'id="filter-{field}-error"' in html
    if "cannot be filtered" not in message:  # the field is on the page: marked invalid
        assert 'aria-invalid="true"' in html
    for figure in ("kpis", "rows", "trend_spec", "report", "link", "months"):
        assert not response.context.get(figure)


def test_htmx_gets_the_error_so_it_is_swapped_in(member):
    client, org = member
    response = client.get(f"/app/{org.slug}/?period=Q5+2026", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-describedby="filter-period-error filter-period-hint" aria-invalid="true"' in (
        response.content.decode()
    )


def test_the_analysts_view_refuses_a_bad_period_too(make_org, make_member, client):
    first, second = make_org("alpha"), make_org("beta")
    make_member("analist@example.org", first, "analyst")
    client.force_login(make_member("analist@example.org", second, "analyst"))
    bad = client.get("/app/?period=2026-13", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200
    assert "month 13 does not exist (1 to 12)" in bad.content.decode()
    assert "rows" not in bad.context
    good = client.get("/app/?period=sep+2026", HTTP_ACCEPT_LANGUAGE="en")
    assert good.status_code == 200 and len(good.context["rows"]) == 2
    # No data at all: no change, and the row says why.
    assert good.context["rows"][0].no_change == (
        "No comparison: there are no measurements in this period yet."
    )


def test_dutch_errors_in_dutch(member):
    client, org = member
    response = client.get(f"/app/{org.slug}/?period=Q5+2026", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Periode: ‘Q5 2026’ is geen periode: kwartaal 5 bestaat niet" in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("period", "today", "first_day", "expected"),
    [
        # the issue's case: 2025 holds December only, so no change against it
        (
            "2026",
            date(2027, 1, 10),
            date(2025, 12, 1),
            "No comparison: 2025 holds data for 1 Dec 2025 – 31 Dec 2025 only, "
            "not for the whole period.",
        ),
        # running: the same days of 2025, which hold nothing before 6 December
        (
            "2026",
            date(2026, 12, 6),
            date(2025, 12, 6),
            "No comparison: 1 Jan 2025 – 6 Dec 2025 holds data for 6 Dec 2025 only, "
            "not for the whole period.",
        ),
        (
            "2026-Q1",
            date(2026, 12, 6),
            date(2026, 2, 1),
            "No comparison: there are no measurements before 1 Feb 2026.",
        ),
        ("2027", date(2026, 12, 6), date(2020, 1, 1), "No comparison: this period has not begun."),
        (
            "2026",
            date(2026, 12, 6),
            None,
            "No comparison: there are no measurements in this period yet.",
        ),
    ],
)
def test_no_comparison_when_the_earlier_span_is_not_covered(period, today, first_day, expected):
    with translation.override("en"):
        comparison = compare(parse_period(period), today, first_day)
    assert (comparison.current, comparison.previous, comparison.reason) == (None, None, expected)


@pytest.mark.parametrize(
    ("period", "today", "default", "now", "before"),
    [
        (
            "2026",
            date(2027, 1, 10),
            False,
            ("2026-01-01", "2026-12-31"),
            ("2025-01-01", "2025-12-31"),
        ),
        (
            "2026",
            date(2026, 12, 6),
            False,
            ("2026-01-01", "2026-12-06"),
            ("2025-01-01", "2025-12-06"),
        ),
        (
            "2026-12",
            date(2026, 12, 6),
            False,
            ("2026-12-01", "2026-12-06"),
            ("2026-11-01", "2026-11-06"),
        ),
        ("", date(2026, 12, 6), True, ("2025-12-01", "2026-11-30"), ("2024-12-01", "2025-11-30")),
    ],
)
def test_changes_compare_the_same_months_and_days(period, today, default, now, before):
    window = parse_period(period) if period else last_twelve_months(today)
    comparison = compare(window, today, date(2020, 1, 1), {"channel": "email"}, default=default)
    assert comparison.reason == ""
    spans = [
        (f.since.isoformat(), f.until.isoformat(), f.channel)
        for f in (comparison.current, comparison.previous)
    ]
    assert spans == [(*now, "email"), (*before, "email")]


def test_a_year_report_makes_no_change_against_a_year_that_holds_december_only(make_org):
    from klantpeil.reports.content import gather

    org = make_org("wadderveen")
    survey(org, "email", date(2025, 12, 10), [8] * 40)
    survey(org, "email", date(2026, 3, 10), [5] * 20 + [6] * 20)
    with tenant(org):
        data = gather(parse_period("2026"), lang="en")
    assert data.changes == {}
    assert not any("significantly" in line for line in data.summary)
    assert any(line.startswith("No comparison: ") for line in data.summary)


def test_a_year_report_still_compares_when_the_year_before_is_covered(make_org):
    from klantpeil.reports.content import gather

    org = make_org("wadderveen")
    survey(org, "phone", date(2025, 1, 1), [7])  # data from the first day of 2025 on
    survey(org, "email", date(2025, 6, 10), [8] * 30 + [9] * 10)
    survey(org, "email", date(2026, 3, 10), [5] * 20 + [6] * 20)
    with tenant(org):
        data = gather(parse_period("2026"), lang="en")
    assert data.changes["email"]["grade"].difference == pytest.approx(5.5 - 8.25)
    assert any(line.startswith("E-mail fell significantly against ") for line in data.summary)
    assert data.no_comparison == ""


@pytest.mark.parametrize(
    ("month", "n", "today", "first", "last", "status"),
    [
        (date(2026, 12, 1), 500, date(2026, 12, 6), None, None, "running"),
        (date(2026, 11, 1), 500, date(2026, 12, 6), None, None, ""),
        (date(2026, 11, 1), 29, date(2026, 12, 6), None, None, "small"),
        (date(2026, 11, 1), 30, date(2026, 12, 6), None, None, ""),
        (date(2026, 1, 1), 500, date(2026, 12, 6), date(2026, 1, 15), None, "partial"),
        (date(2026, 3, 1), 500, date(2026, 12, 6), None, date(2026, 3, 30), "partial"),
        (date(2026, 3, 1), 500, date(2026, 12, 6), date(2026, 3, 1), date(2026, 3, 31), ""),
    ],
)
def test_which_months_are_joined_into_a_trend_line(month, n, today, first, last, status):
    assert charts.month_status(month, n, today=today, first=first, last=last) == status


def test_the_trend_draws_unjoined_months_as_hollow_points_off_the_line():
    points = [
        {"month": "2026-11-01", "channel": "Web", "grade": 7.0, "n": 40, "status": ""},
        {"month": "2026-12-01", "channel": "Web", "grade": 3.0, "n": 1, "status": "running"},
    ]
    spec = charts.grade_trend(points, titles=dict.fromkeys(("channel", "grade", "low", "high"), ""))
    assert [(p["line"], p["joined"]) for p in spec["data"]["values"]] == [
        (7.0, True),
        (None, False),
    ]
    line, filled, hollow = spec["layer"][1:]
    assert line["encoding"]["y"]["field"] == "line"
    assert filled["transform"] == [{"filter": {"field": "joined", "equal": True}}]
    assert (hollow["transform"], hollow["mark"]["filled"]) == (
        [{"filter": {"field": "joined", "equal": False}}],
        False,
    )


def test_the_api_defaults_to_the_last_twelve_months_and_checks_its_filters(make_org, client):
    org = make_org("wadderveen")
    window = last_twelve_months(timezone.localdate())
    # Five answers a group: the minimum group (metrics.disclosure.MIN_GROUP) for a figure.
    survey(org, "phone", window.start, [8] * 5)
    survey(org, "phone", window.start - timedelta(days=1), [2] * 5)
    survey(org, "phone", date(2001, 5, 1), [1] * 5)
    secret = issue_api_token(organisation=org, name="bi").secret

    def get(path):
        return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {secret}")

    grade = get("/kpis").json()[0]["grade"]
    assert (grade["n"], grade["value"]) == (5, 8.0)
    every = get("/kpis?since=2000-01-01").json()[0]["grade"]
    assert every["n"] == 15
    assert get("/kpis?period=may+2001").json()[0]["grade"]["value"] == 1.0
    for query, field in (
        ("period=Q5+2026", "period"),
        ("channel=fax", "channel"),
        ("unit=x", "unit"),
    ):
        answer = get(f"/kpis?{query}")
        assert (answer.status_code, answer.json()["field"]) == (422, field)
    description = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/kpis"]["get"]
    assert (
        "Without period, since or until the figures cover the last twelve months"
        in (description["description"])
    )
