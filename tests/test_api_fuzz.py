"""Schemathesis against /api/v1/openapi.json: every operation, with a real token, gets
generated requests (valid and invalid) and must answer without a server error and as
its schema says (status codes, content type, body).

Dates and moments are drawn with extremes (years 1, 1000, 9999 and the edges of the
supported range, offsets such as +14:00, -12:00 and +05:45), and a second test sends
every operation extreme values the schema alone would never produce: 400-digit
numbers, huge offsets and limits, NaN and 1e400, objects and lists where text or a
number belongs, to every query parameter, every field of a batch item and every answer
of the customer survey (issue 21: each of these once gave a server error).

Bounded and reproducible: ``MAX_EXAMPLES`` per operation, derandomised. The
organisation has data behind every route (measurements of the customer survey in
every channel, enough for the driver analysis, and four peers in its sector so the
benchmark answers), so the successful answers are checked too, not only the errors.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantpeil.accounts.services import issue_api_token
from klantpeil.collection.ingest import ingest_measurements
from klantpeil.collection.models import Source
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant

# More for a deeper hunt: KLANTPEIL_FUZZ_EXAMPLES=500 pytest tests/test_api_fuzz.py
MAX_EXAMPLES = int(os.environ.get("KLANTPEIL_FUZZ_EXAMPLES", "25"))
# Schema-valid requests that the API rightly refuses with 422: the schema cannot say
# which answers an instrument requires, which channels an organisation has, or that
# the driver analysis needs 50 responses. Every 422 is still checked against the
# documented error format (response_schema_conformance).
NOT_CHECKED = [schemathesis.checks.positive_data_acceptance]
EXTREME_EXAMPLES = int(os.environ.get("KLANTPEIL_FUZZ_EXTREME_EXAMPLES", "30"))

# Years at and beyond every edge: the standard library's (1, 9999), the supported
# days (1900-2999) and periods (2000-2099).
YEARS = st.sampled_from(
    [1, 2, 999, 1000, 1899, 1900, 1999, 2000, 2026, 2099, 2100, 2999, 3000, 9999]
)
DATES = st.builds(
    "{:04d}-{:02d}-{:02d}".format, YEARS, st.integers(1, 12), st.integers(1, 28)
) | st.sampled_from(["0001-01-01", "9999-12-31", "1900-01-01", "2999-12-31"])
# Odd offsets: at the ends of what exists (+14:00, -12:00), not whole hours, a minute.
OFFSETS = st.sampled_from(["+14:00", "-12:00", "+05:45", "-00:01", "+23:59", "-23:59", "Z", ""])
MOMENTS = st.builds(
    "{}T{:02d}:{:02d}:00{}".format,
    DATES,
    st.sampled_from([0, 12, 23]),
    st.sampled_from([0, 59]),
    OFFSETS,
)
schemathesis.openapi.format("date", DATES)
schemathesis.openapi.format("date-time", MOMENTS)

HUGE = 10**400
# What no schema-driven generator sends: numbers beyond every type, non-finite numbers,
# and every JSON type where another one belongs.
EXTREME_JSON = st.one_of(
    st.sampled_from([HUGE, -HUGE, 2**63, 2**31, -(2**63), 1e308, -1e308, 1e-320, 0, -1]),
    st.sampled_from([str(HUGE), "1e400", "-1e400", "NaN", "Infinity", "7,5", "", " ", "0x10"]),
    st.sampled_from([{}, {"a": 1}, [], [1, 2], [[]], None, True, False]),
    st.sampled_from(["x" * 6_000, "😀" * 10, "\u202e", "2026-02-30", "2026-13-01"]),
    DATES,
    MOMENTS,
)
# As a query string carries them: text only.
EXTREME_QUERY = st.one_of(
    st.sampled_from([str(HUGE), "-" + str(HUGE), "9" * 21, str(2**63), "-1", "1e400", "NaN"]),
    st.sampled_from(["", "{}", "[]", "null", "true", "2026-Q5", "0000-Q1", "2026-00", "x" * 3_000]),
    DATES,
    MOMENTS,
    st.text(max_size=20),
)


def _responses(n: int, org_index: int) -> list[dict]:
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    items = []
    for i in range(n):
        answers = dict(CUSTOMER_SURVEY_ANSWERS)
        # Varied answers, so the driver analysis has variance to explain.
        for offset, key in enumerate(
            ("reliability_promise", "empathy_understanding", "waiting_time", "customer_focus")
        ):
            answers[key] = 1 + (i * (offset + 3) + org_index) % 10
        answers["overall_grade"] = 1 + (i * 7 + org_index) % 10
        channel = ("phone", "email", "counter")[i % 3]
        if channel == "phone":
            answers["ivr_menu"] = 6
        items.append(
            {
                "instrument": "customer-survey",
                "occurred_at": start + timedelta(hours=7 * i),
                "channel": channel,
                "unit": "front",
                "external_id": f"fuzz-{org_index}-{i}",
                "answers": answers,
            }
        )
    return items


@pytest.fixture
def token(make_org) -> str:
    orgs = [make_org(f"org-{i}") for i in range(5)]
    for index, org in enumerate(orgs):
        with tenant(org):
            ingest_measurements(items=_responses(60, index), source=Source.API)
    return issue_api_token(organisation=orgs[0], name="fuzz").secret


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Django's test client does the same: a request must not close the test's
    # connection (and with it the transaction every test runs in).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Read from the served document, as an integrator's tools read it.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# Unknown query parameters are ignored, as most APIs (and HTTP caches) expect.
schema.config.generation.update(allow_extra_parameters=False)
# More than the documented 10,000 items is refused as too large, as the README says.
schema.config.checks.negative_data_rejection.expected_statuses.append("413")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_without_server_errors_and_as_documented(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=NOT_CHECKED
    )


# The operations that take anything: a query, a path parameter or a body.
OPERATIONS = [
    op
    for op in (result.ok() for result in schema.get_all_operations())
    if op.query or op.path_parameters or op.method.upper() == "POST"
]
# The first test checks authentication; here every request carries the token.
EXTREME_NOT_CHECKED = [*NOT_CHECKED, schemathesis.checks.ignored_auth]
SURVEY_KEYS = [*sorted(CUSTOMER_SURVEY_ANSWERS), "comment", "channel_reason", "unknown_key"]
ITEM_FIELDS = ("instrument", "occurred_at", "channel", "unit", "language", "external_id")


def _valid_body(path: str) -> dict:
    if path.endswith("/invitations"):
        return {"invitations": [{"channel": "phone", "occurred_at": "2026-06-01T09:00:00+02:00"}]}
    [item] = _responses(1, 9)
    return {"measurements": [{**item, "occurred_at": item["occurred_at"].isoformat()}]}


@st.composite
def _extreme_request(draw, operation) -> dict:
    """A request to ``operation``: each query parameter extreme or left out, or a valid
    batch with extreme values in some of its fields and answers."""
    request: dict = {}
    if operation.query:
        names = [p.name for p in operation.query]
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        request["query"] = {name: draw(EXTREME_QUERY) for name in chosen}
    if operation.path_parameters:
        request["path_parameters"] = {
            p.name: draw(st.sampled_from([str(HUGE), "9" * 21, "-1", "0", "x%00", "1e400"]))
            for p in operation.path_parameters
        }
    if operation.method.upper() == "POST":
        body = _valid_body(operation.path)
        item = next(iter(body.values()))[0]
        fields = ITEM_FIELDS + tuple(f"answers.{key}" for key in SURVEY_KEYS)
        if operation.path.endswith("/invitations"):
            fields = ("channel", "occurred_at", "unit", "language", "email", "phone")
            fields += ("external_contact_id", "valid_days", "instrument")
        for field in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True)):
            value = draw(EXTREME_JSON)
            if field.startswith("answers."):
                item["answers"][field.removeprefix("answers.")] = value
            elif field in ("valid_days", "instrument") and "invitations" in body:
                body[field] = value
            else:
                item[field] = value
        if draw(st.booleans()):  # the whole item or batch of the wrong type as well
            key = next(iter(body))
            body[key] = draw(st.sampled_from([[item, draw(EXTREME_JSON)], [item] * 3]))
        request["body"] = body
        request["media_type"] = "application/json"
    return request


@pytest.mark.parametrize(
    "operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS]
)
def test_extreme_values_never_give_a_server_error(operation, token):
    """Every answer is below 500, and every refusal is in the documented error shape
    naming what was wrong."""

    @settings(
        max_examples=EXTREME_EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=_extreme_request(operation))
    def check(request):
        case = operation.Case(**request)
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (request, response.text[:500])
        if response.status_code >= 400:
            body = response.json()
            assert body["status"] == response.status_code, body
            assert body["code"] and body["message"], body
            for error in body["errors"]:
                assert set(error) == {"field", "index", "message", "value"}, error
        case.validate_response(response, excluded_checks=EXTREME_NOT_CHECKED)

    check()
