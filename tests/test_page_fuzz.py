"""Every page's query string and every form, fuzzed: no value gives a server error, and a
period the product cannot read is said so in the page (issue 21: ``?period=1000`` was a
500 on every dashboard page and the infographic, a study seed of 2^63 on the planning
form).

The pages are read from the URL configuration (as the authorisation matrix does), so a
new page is fuzzed without anyone remembering it. Each page is opened by a member who
may open it (the analyst, or the shopper for the shopper's own screens) with query
strings drawn from the parameters the pages read and values at and beyond every edge:
years 1, 1000 and 9999, 21-digit and 400-digit numbers, text no database stores, empty
and repeated parameters. Bounded and reproducible (derandomised, ``PAGE_EXAMPLES`` per
page); ``python bench/fuzz.py`` runs the long version against a served demo.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from klantpeil.collection.ingest import ingest_measurements
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.metrics.periods import parse_period
from tests.test_authorization_matrix import PAGE_POLICY
from tests.test_tenant_isolation import _routes, _sample_objects, _url

PAGE_EXAMPLES = int(os.environ.get("KLANTPEIL_PAGE_FUZZ_EXAMPLES", "12"))
FORM_EXAMPLES = int(os.environ.get("KLANTPEIL_FORM_FUZZ_EXAMPLES", "8"))
# Every page of an organisation, and the analyst's list of organisations.
PAGE_NAMES = [name for name, _route, params in _routes() if "org" in params or name == "app:home"]

# Every query parameter a page reads (dashboards' filter bar, the comments' filters and
# search, pagination, the infographics' language and download), and one none reads.
PARAMETERS = (
    "period",
    "channel",
    "unit",
    "since",
    "until",
    "page",
    "q",
    "sort",
    "sentiment",
    "driver",
    "language",
    "lang",
    "download",
    "instrument",
    "format",
    "done",
    "unknown",
)
# Pages that show the shared filter bar or their own period field: a period they cannot
# read must be named in the page (role="alert"), not silently dropped.
PERIOD_PAGES = {
    "app:home",
    "app:overview",
    "app:drivers",
    "app:reachability",
    "app:employees",
    "app:benchmark",
    "app:text:comments",
    "app:text:social",
}
# The infographics answer an image: a period they cannot read is a 404, not a picture.
IMAGE_PAGES = {"app:reachability-infographic"}
# Pages that draw a picture per request get fewer examples (each costs a rendering).
SLOW_PAGES = IMAGE_PAGES | {"app:fieldwork:study-infographic"}

HUGE = "1" + "0" * 400
YEARS = st.sampled_from(
    ["0001", "0999", "1000", "1899", "1999", "2000", "2026", "2099", "2100", "9999"]
)
PERIODS = st.one_of(
    YEARS,
    st.builds(
        "{}-{}".format, YEARS, st.sampled_from(["01", "12", "13", "00", "Q1", "Q4", "Q5", "q3"])
    ),
    st.sampled_from(["", " ", "2026-Q3", "Q3 2026", "september 2026", "2026-09-31", HUGE]),
)
VALUES = st.one_of(
    PERIODS,
    st.sampled_from([HUGE, "9" * 21, "-1", "0", "1e400", "NaN", "-0", "2147483648", "1.5"]),
    st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "phone", "email", "front"]),
    st.sampled_from(["x" * 2_000, "\x00", "a\x00b", "\udab0", "%", "' OR 1=1 --", "<script>"]),
    st.text(max_size=12),
)


@pytest.fixture
def pages(make_org, make_member, client):
    org = make_org("alpha")
    users = {
        "analyst": make_member("analyst@alpha.example", org, "analyst"),
        "shopper": make_member("shopper@alpha.example", org, "shopper"),
    }
    objects = _sample_objects(org, users["shopper"])
    # A second organisation, so /app/ shows the analyst's organisations, not a redirect.
    users["analyst"] = make_member("analyst@alpha.example", make_org("beta"), "analyst")
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    with tenant(org):  # something behind the figures, comments and the search
        ingest_measurements(
            items=[
                {
                    "instrument": "customer-survey",
                    "occurred_at": start + timedelta(days=i),
                    "channel": ("phone", "email", "counter")[i % 3],
                    "unit": "front",
                    "answers": {
                        **CUSTOMER_SURVEY_ANSWERS,
                        "ivr_menu": 6,
                        "comment": "Snel geholpen maar de wachttijd was lang",
                    },
                }
                for i in range(12)
            ],
            source="api",
        )
    routes = {}
    for name, _route, params in _routes():
        if name not in PAGE_NAMES:
            continue
        allowed = PAGE_POLICY.get(name, frozenset({"analyst"}))
        role = "analyst" if "analyst" in allowed else "shopper"
        url = _url(name, params, objects) if params else _url(name, [], {})
        routes[name] = (url, users[role])
    return client, routes


def _is_period(text: str) -> bool:
    try:
        parse_period(text)
    except ValueError:
        return False
    return True


def _open(client, url: str, query: list[tuple[str, str]]):
    full = f"{url}?{urlencode(query)}" if query else url
    response = client.get(full)
    if response.status_code == 405:  # a page that only takes a POST
        response = client.post(full)
    return response


def test_every_page_route_is_fuzzed(pages):
    _client, routes = pages
    names = set(routes)
    assert names >= PERIOD_PAGES | IMAGE_PAGES
    assert {"app:measurements", "app:fieldwork:study", "app:reports:reports"} <= names


def test_a_period_a_page_cannot_read_is_said_so_beside_the_filter(pages):
    client, routes = pages
    for name in sorted(PERIOD_PAGES | IMAGE_PAGES):
        url, user = routes[name]
        client.force_login(user)
        for period in ("1000", "0001", "9999", "2026-13", "nonsense"):
            response = _open(client, url, [("period", period)])
            if name in IMAGE_PAGES:
                assert response.status_code == 404, (name, period)
                continue
            assert response.status_code == 200, (name, period, response.status_code)
            body = response.content.decode()
            assert 'role="alert"' in body, (name, period)
            if period in ("1000", "0001", "9999"):
                year = int(period)
                # Dutch or English, whichever the page speaks.
                assert f"{year} is outside the supported years" in body or (
                    f"jaar {year} valt buiten" in body
                ), (name, period)
        if name in IMAGE_PAGES:
            continue
        # The first supported period has none before it to compare with: still a page.
        for period in ("2000", "2000-01", "2000-Q1", "2099", "2099-12"):
            response = _open(client, url, [("period", period)])
            assert response.status_code == 200, (name, period, response.status_code)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_no_query_string_gives_a_server_error(pages, name):
    client, routes = pages
    url, user = routes[name]
    client.force_login(user)

    @settings(
        max_examples=PAGE_EXAMPLES // 4 if name in SLOW_PAGES else PAGE_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        query=st.lists(
            st.tuples(st.sampled_from(PARAMETERS), VALUES) | st.tuples(st.just("period"), PERIODS),
            max_size=4,
        )
    )
    def check(query):
        response = _open(client, url, query)
        assert response.status_code < 500, (name, query, response.status_code)
        periods = [value for key, value in query if key == "period"]
        # The page reads the last "period" (as Django's QueryDict does).
        unreadable = periods and periods[-1].strip() and not _is_period(periods[-1])
        if name in PERIOD_PAGES and unreadable and response.status_code == 200:
            assert 'role="alert"' in response.content.decode(), (name, query)

    check()


FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"[^>]*>", re.I)
# Values a form field may be sent: the query values (but an unpaired surrogate, which
# no browser can encode in a form), and numbers and days at every edge.
FORM_VALUES = st.one_of(
    VALUES.filter(lambda value: "\udab0" not in value),
    st.sampled_from(["2147483648", str(2**63), "0001-01-01T00:00", "9999-12-31T23:59"]),
)


def _form_fields(html: str) -> list[str]:
    """The names of a page's POST forms' fields, without the CSRF token and file inputs."""
    names: list[str] = []
    for form in FORM.findall(html):
        for tag in re.finditer(r"<(?:input|select|textarea)\b[^>]*>", form, re.I):
            found = FIELD.match(tag.group(0))
            if found and 'type="file"' not in tag.group(0) and found[1] != "csrfmiddlewaretoken":
                names.append(found[1])
    return sorted(set(names))


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_no_form_post_gives_a_server_error(pages, name):
    """Every form on every page, posted with drawn values in any of its fields: a form
    error or a redirect, never a server error."""
    client, routes = pages
    url, user = routes[name]
    client.force_login(user)
    page = client.get(url)
    fields = _form_fields(page.content.decode(errors="replace")) if page.status_code == 200 else []
    if not fields:
        pytest.skip(f"{name} has no form")

    @settings(
        max_examples=FORM_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.dictionaries(st.sampled_from(fields), FORM_VALUES, min_size=1))
    def check(data):
        response = client.post(url, data)
        assert response.status_code < 500, (name, data, response.status_code)

    check()


def test_the_study_form_with_extreme_values_in_a_valid_plan_gives_no_server_error(pages):
    """A valid plan with one to three fields drawn extreme, so the values reach the
    planning and the database (the generic form fuzz rarely gets past "required")."""
    client, routes = pages
    url, user = routes["app:fieldwork:study-new"]
    client.force_login(user)
    shopper = routes["app:fieldwork:assignment"][1]
    valid = {
        "name": "Fuzz",
        "protocol": "mystery-phone",
        "starts_on": "2027-01-04",
        "ends_on": "2027-01-29",
        "contacts": "5",
        "targets": "Desk; 020 123 4567",
        "scenarios": "Question?; Answer.",
        "shoppers": [str(shopper.pk)],
        "seed": "1",
    }
    days = st.sampled_from(["0001-01-01", "1899-12-31", "1900-01-01", "2999-12-31", "9999-12-31"])
    numbers = st.sampled_from([str(2**63), str(2**31), str(2**31 - 1), HUGE, "-1", "0", "1e400"])
    extremes = {"starts_on": days, "ends_on": days, "seed": numbers, "contacts": numbers}
    field_values = st.sampled_from(sorted(valid)).flatmap(
        lambda field: st.tuples(st.just(field), extremes.get(field, FORM_VALUES))
    )

    @settings(
        max_examples=FORM_EXAMPLES * 2,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(changes=st.lists(field_values, min_size=1, max_size=3).map(dict))
    @example(changes={"seed": str(2**63)})  # issue 21
    @example(changes={"seed": str(2**31)})  # PostgreSQL's integer column ends at 2^31 - 1
    @example(changes={"starts_on": "0001-01-01", "ends_on": "0001-01-31"})
    def check(changes):
        response = client.post(url, {**valid, **changes})
        assert response.status_code in (200, 302), (changes, response.status_code)

    check()


@pytest.mark.parametrize("parameter", ["channel", "unit", "q", "period", "page", "language"])
def test_text_no_database_stores_gives_no_server_error(pages, parameter):
    # Found by bench/fuzz.py on PostgreSQL, which refuses a NUL character even in a query.
    client, routes = pages
    for name in PAGE_NAMES:
        url, user = routes[name]
        client.force_login(user)
        for value in ("a\x00b", "\x00"):
            response = _open(client, url, [(parameter, value)])
            assert response.status_code < 500, (name, parameter, response.status_code)
