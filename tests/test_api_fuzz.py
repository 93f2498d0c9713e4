"""Schemathesis against /api/v1/openapi.json: every operation, with a real token, gets
generated requests (valid and invalid) and must answer without a server error and as
its schema says (status codes, content type, body).

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
from hypothesis import HealthCheck, settings

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
