"""No input gives the API a server error (issue 21): extreme dates, offsets, numbers and
wrong JSON types get a 422 in the error shape that names the field and the value; a
422 lists every problem of every item; the documented 10,000-item batch is accepted
and anything larger is a 413."""

from __future__ import annotations

import json

import pytest

from klantpeil.accounts.services import issue_api_token
from klantpeil.api.auth import BATCH_BODY_LIMIT
from klantpeil.collection.ingest import MAX_BATCH
from klantpeil.collection.models import Invitation, Measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant

WHEN = "2026-09-14T10:30:00+02:00"
READ_ROUTES = ("/measurements", "/kpis", "/drivers", "/benchmarks/grade")


@pytest.fixture
def api(make_org, client):
    org = make_org("alpha")
    secret = issue_api_token(organisation=org, name="CRM").secret

    def call(method, path, body=None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", **extra}
        if body is None:
            return getattr(client, method)(f"/api/v1{path}", **headers)
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return getattr(client, method)(
            f"/api/v1{path}", data, content_type="application/json", **headers
        )

    call.org = org
    return call


def _item(**overrides) -> dict:
    return {
        "instrument": "customer-survey",
        "occurred_at": WHEN,
        "channel": "email",
        "unit": "front",
        "answers": dict(CUSTOMER_SURVEY_ANSWERS),
        **overrides,
    }


@pytest.mark.parametrize(
    ("query", "field", "message", "value"),
    [
        ("until=9999-12-31", "until", "must be a day from 1900-01-01 to 2999-12-31", "9999-12-31"),
        ("since=0001-01-01", "since", "must be a day from 1900-01-01 to 2999-12-31", "0001-01-01"),
        ("period=0001", "period", "year 1 is outside the supported years 2000–2099", "0001"),
        ("period=1000", "period", "year 1000 is outside the supported years 2000–2099", "1000"),
        (
            "offset=123456789012345678901",
            "offset",
            "Input should be less than or equal to 2147483647",
            "123456789012345678901",
        ),
        (
            "since=2026-02-01&until=2026-01-31",
            "until",
            "lies before since (2026-02-01)",
            "2026-01-31",
        ),
        ("limit=0", "limit", "Input should be greater than or equal to 1", "0"),
    ],
)
def test_every_read_route_refuses_out_of_range_filters_with_a_422(
    api, query, field, message, value
):
    for route in READ_ROUTES:
        response = api("get", f"{route}?{query}")
        assert response.status_code == 422, (route, response.content[:300])
        body = response.json()
        assert (body["status"], body["code"], body["field"]) == (422, "invalid", field)
        [error] = body["errors"]
        # The message names the problem (and for a period, the forms it could take).
        assert message in error["message"], (route, error["message"])
        assert {**error, "message": message} == {
            "field": field,
            "index": None,
            "message": message,
            "value": value,
        }, route


def test_the_widest_supported_filters_answer(api):
    api("post", "/measurements", {"measurements": [_item()]})
    for route in ("/measurements", "/kpis"):
        response = api("get", f"{route}?since=1900-01-01&until=2999-12-31&offset=2147483647")
        assert response.status_code == 200, route
    assert api("get", "/measurements?period=2099-Q4").json()["count"] == 0
    assert api("get", "/measurements?since=1900-01-01&until=2999-12-31").json()["count"] == 1


def test_a_422_lists_every_problem_of_every_item(api):
    """Items 0, 3 and 7 each have two different problems: type errors (found by the
    schema) and problems that need the organisation's data (found by the ingest) alike."""
    items = [_item(external_id=f"e{i}") for i in range(10)]
    # 0: a channel the organisation does not have, and a language that does not exist.
    items[0].update(channel="fax", language="de")
    # 3: a date that is no date, and a grade off the scale.
    items[3].update(occurred_at="yesterday", answers={**CUSTOMER_SURVEY_ANSWERS, "nps": 11})
    # 7: a comment given as an object, and a unit given as a number.
    items[7].update(unit=5, answers={**CUSTOMER_SURVEY_ANSWERS, "comment": {"text": "hi"}})
    response = api("post", "/measurements", {"measurements": items})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "6 problem(s) found; nothing was written."
    assert body["errors"] == [
        {
            "field": "channel",
            "index": 0,
            "message": "unknown channel; known: counter, email, phone",
            "value": "fax",
        },
        {"field": "language", "index": 0, "message": "must be nl or en", "value": "de"},
        {
            "field": "occurred_at",
            "index": 3,
            "message": "Input should be a valid datetime or date, input is too short",
            "value": "yesterday",
        },
        {"field": "answers.nps", "index": 3, "message": "must be between 0 and 10", "value": 11},
        {"field": "unit", "index": 7, "message": "Input should be a valid string", "value": 5},
        {
            "field": "answers.comment",
            "index": 7,
            "message": "enter text",
            "value": '{"text": "hi"}',
        },
    ]
    assert Measurement.unscoped_all_tenants.count() == 0


def test_an_invitation_batch_lists_every_problem_of_every_item(api):
    events = [{"channel": "phone", "occurred_at": WHEN} for _ in range(4)]
    events[1] = {"channel": ["phone"], "occurred_at": "0001-01-01T00:00:00+14:00"}
    events[2] = "not an object"
    events[3] = {"channel": "fax", "occurred_at": WHEN, "language": "fr"}
    response = api("post", "/invitations", {"invitations": events})
    assert response.status_code == 422
    assert [(e["index"], e["field"], e["message"]) for e in response.json()["errors"]] == [
        (1, "channel", "Input should be a valid string"),
        (1, "occurred_at", "must be a moment from 1900-01-01 to 2999-12-31"),
        (2, "", "must be an object"),
        (3, "channel", "unknown channel; known: counter, email, phone"),
        (3, "language", "must be nl or en"),
    ]
    with tenant(api.org):
        assert Invitation.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message", "value"),
    [
        (
            {"answers": {**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 10**400}},
            "answers.overall_grade",
            "must be between 1 and 10",
            str(10**400)[:199] + "…",
        ),
        (
            {"answers": {**CUSTOMER_SURVEY_ANSWERS, "comment": {"a": 1}}},
            "answers.comment",
            "enter text",
            '{"a": 1}',
        ),
        (
            {"occurred_at": "0001-01-01T00:00:00+14:00"},
            "occurred_at",
            "must be a moment from 1900-01-01 to 2999-12-31",
            "0001-01-01T00:00:00+14:00",
        ),
        (
            {"occurred_at": "9999-12-31T23:59:59-12:00"},
            "occurred_at",
            "must be a moment from 1900-01-01 to 2999-12-31",
            "9999-12-31T23:59:59-12:00",
        ),
        (
            {"answers": ["overall_grade", 8]},
            "answers",
            "Input should be a valid dictionary",
            '["overall_grade", 8]',
        ),
        (
            {"instrument": {"key": "customer-survey"}},
            "instrument",
            "Input should be a valid string",
            '{"key": "customer-survey"}',
        ),
    ],
)
def test_extreme_values_in_a_measurement_get_a_422(api, overrides, field, message, value):
    response = api("post", "/measurements", {"measurements": [_item(**overrides)]})
    assert response.status_code == 422, response.content[:300]
    assert response.json()["errors"] == [
        {"field": field, "index": 0, "message": message, "value": value}
    ]


def test_a_huge_number_written_as_json_text_or_exponent_is_refused(api):
    digits = "1" + "0" * 400
    for raw in (digits, f'"{digits}"', "1e400", "-1e400"):
        body = json.dumps({"measurements": [_item()]}).replace(
            '"overall_grade": 8', f'"overall_grade": {raw}'
        )
        response = api("post", "/measurements", body)
        assert response.status_code == 422, raw
        [error] = response.json()["errors"]
        assert error["field"] == "answers.overall_grade", raw
    assert Measurement.unscoped_all_tenants.count() == 0


def test_the_documented_batch_of_10000_is_accepted(api):
    items = [_item(external_id=f"bulk-{i:05d}") for i in range(MAX_BATCH)]
    body = json.dumps({"measurements": items})
    assert len(body) > 2_621_440  # more than Django's default limit, which failed it
    response = api("post", "/measurements", body)
    assert response.status_code == 201, response.content[:300]
    assert response.json()["created"] == MAX_BATCH
    assert Measurement.unscoped_all_tenants.count() == MAX_BATCH


def test_more_than_10000_items_is_a_413_with_the_error_body(api):
    items = [_item(external_id=f"x{i}") for i in range(MAX_BATCH + 1)]
    response = api("post", "/measurements", {"measurements": items})
    assert response.status_code == 413
    assert response.json() == {
        "status": 413,
        "code": "too_many_items",
        "message": "At most 10,000 measurements per request.",
        "field": "measurements",
        "errors": [
            {
                "field": "measurements",
                "index": None,
                "message": "At most 10,000 measurements per request.",
                "value": 10_001,
            }
        ],
    }
    assert Measurement.unscoped_all_tenants.count() == 0


def test_a_body_over_the_byte_limit_is_a_413_with_the_error_body(api):
    comment = "x" * 4_000
    item = _item(answers={**CUSTOMER_SURVEY_ANSWERS, "comment": comment})
    count = BATCH_BODY_LIMIT // len(json.dumps(item)) + 10
    body = json.dumps({"measurements": [item] * count})
    assert count <= MAX_BATCH and len(body) > BATCH_BODY_LIMIT
    response = api("post", "/measurements", body)
    assert response.status_code == 413
    assert response.json() == {
        "status": 413,
        "code": "too_large",
        "message": "The request body may be at most 20,000,000 bytes.",
        "field": None,
        "errors": [],
    }
    assert Measurement.unscoped_all_tenants.count() == 0


def test_a_body_without_its_wrapper_echoes_the_body_not_an_internal_object(api):
    response = api("post", "/measurements", {"occurred_at": "2026-09-01T10:00:00+02:00"})
    assert response.status_code == 422
    values = [e["value"] for e in response.json()["errors"]]
    assert not any("DjangoGetter" in str(v) for v in values), values
