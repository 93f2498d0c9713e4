"""API round trips as an integrator makes them, with a real token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from klantpeil.accounts.models import ApiToken
from klantpeil.accounts.services import issue_api_token, revoke_api_token
from klantpeil.collection.models import Measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.privacy.models import AuditEvent

WHEN = "2026-09-14T10:30:00+02:00"
ANSWERS = {
    **CUSTOMER_SURVEY_ANSWERS,
    "solved_first_contact": "ja",
    "channel_reason": "fastest",
    "comment": "Prima geholpen",
}


@pytest.fixture
def api(make_org, client):
    org = make_org("alpha")
    secret = issue_api_token(organisation=org, name="CRM").secret

    def call(method, path, body=None, token=secret):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        fn = getattr(client, method)
        if body is None:
            return fn(f"/api/v1{path}", **headers)
        return fn(f"/api/v1{path}", body, content_type="application/json", **headers)

    call.org = org
    call.secret = secret
    call.client = client
    return call


def _item(**overrides):
    return {
        "instrument": "customer-survey",
        "occurred_at": WHEN,
        "channel": "email",
        "unit": "front",
        "answers": dict(ANSWERS),
        **overrides,
    }


def test_requests_without_a_valid_token_get_401_in_the_error_format(api):
    for token in (None, "kp_nope_nope", api.secret + "x"):
        response = api("get", "/instruments", token=token)
        assert response.status_code == 401
        assert response.json() == {
            "status": 401,
            "code": "unauthenticated",
            "message": "A valid API token is required (Authorization: Bearer …).",
            "field": None,
            "errors": [],
        }


def test_revoked_and_expired_tokens_stop_working(api):
    token = ApiToken.unscoped_all_tenants.get()
    assert api("get", "/units").status_code == 200
    revoke_api_token(token=token)
    assert api("get", "/units").status_code == 401
    fresh = issue_api_token(organisation=api.org, name="short")
    ApiToken.unscoped_all_tenants.filter(pk=fresh.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert api("get", "/units", token=fresh.secret).status_code == 401


def test_only_a_hash_of_the_token_is_stored(api):
    token = ApiToken.unscoped_all_tenants.get()
    assert api.secret not in (token.key_hash, token.prefix)
    assert len(token.key_hash) == 64


def test_instruments_units_and_channels(api):
    keys = {i["key"] for i in api("get", "/instruments").json()}
    assert {"customer-survey", "mystery-phone"} <= keys
    detail = api("get", "/instruments/customer-survey").json()
    assert detail["questions"][0]["key"] == "overall_grade"
    assert detail["questions"][0]["label"]["en"]
    assert api("get", "/units").json() == [
        {"code": "front", "name": "Front office", "parent": None}
    ]
    assert {c["kind"] for c in api("get", "/channels").json()} == {"phone", "email", "counter"}
    missing = api("get", "/instruments/nope")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_bulk_measurements_round_trip_and_a_retry_stores_nothing_twice(api):
    batch = {
        "measurements": [
            _item(external_id="crm-1"),
            _item(external_id="crm-2", channel="phone", answers={**ANSWERS, "ivr_menu": 4}),
        ]
    }
    first = api("post", "/measurements", batch)
    assert first.status_code == 201, first.json()
    assert first.json()["created"] == 2
    ids = [item["id"] for item in first.json()["items"]]
    again = api("post", "/measurements", batch)
    assert again.status_code == 200
    assert again.json() == {
        "created": 0,
        "existing": 2,
        "items": [
            {"index": 0, "id": ids[0], "created": False},
            {"index": 1, "id": ids[1], "created": False},
        ],
    }
    assert Measurement.unscoped_all_tenants.count() == 2
    one = api("get", f"/measurements/{ids[0]}").json()
    assert one["answers"]["overall_grade"] == 8
    assert one["answers"]["solved_first_contact"] is True
    assert one["channel"] == "email" and one["unit"] == "front" and one["source"] == "api"
    assert one["occurred_at"].startswith("2026-09-14T08:30:00")


def test_a_bad_batch_names_every_problem_and_writes_nothing(api):
    batch = {
        "measurements": [
            _item(),
            _item(channel="fax", answers={**ANSWERS, "overall_grade": 11}),
            _item(instrument="nope"),
        ]
    }
    response = api("post", "/measurements", batch)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    problems = {(e["index"], e["field"]) for e in body["errors"]}
    assert problems == {(1, "channel"), (1, "answers.overall_grade"), (2, "instrument")}
    grade = next(e for e in body["errors"] if e["field"] == "answers.overall_grade")
    assert grade["message"] == "must be between 1 and 10" and grade["value"] == 11
    assert Measurement.unscoped_all_tenants.count() == 0


def test_schema_errors_use_the_same_format(api):
    # Issue 21: an item's type errors are named like its other problems (field and index),
    # no longer as "measurements.0.occurred_at".
    response = api("post", "/measurements", {"measurements": [{"instrument": "customer-survey"}]})
    assert response.status_code == 422
    problems = {(e["index"], e["field"], e["message"]) for e in response.json()["errors"]}
    assert problems == {(0, "occurred_at", "is required"), (0, "answers", "is required")}


def test_list_filters_and_pagination(api):
    api(
        "post",
        "/measurements",
        {
            "measurements": [
                _item(),
                _item(),
                _item(channel="counter"),
                _item(occurred_at="2026-05-01T10:00:00+02:00"),
            ]
        },
    )
    assert api("get", "/measurements").json()["count"] == 4
    assert api("get", "/measurements?channel=counter").json()["count"] == 1
    assert api("get", "/measurements?period=2026-Q3").json()["count"] == 3
    assert api("get", "/measurements?period=2026-05").json()["count"] == 1
    assert api("get", "/measurements?since=2026-09-14&until=2026-09-14").json()["count"] == 3
    page = api("get", "/measurements?limit=2&offset=2").json()
    assert (page["count"], len(page["items"])) == (4, 2)
    bad = api("get", "/measurements?period=Q3")
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    # Found by fuzzing: a bare number was read as a timestamp (0 = 1 January 1970).
    for day in ("0", "1700000000", "14-09-2026"):
        bad = api("get", f"/measurements?since={day}")
        assert bad.status_code == 422 and bad.json()["field"] == "since", day
    # Also found by fuzzing: a filter given twice silently meant the last one.
    twice = api("get", "/measurements?period=2026-Q3&period=2026-05")
    assert twice.status_code == 422 and twice.json()["field"] == "period"
    assert twice.json()["message"] == "A parameter may be given only once."


def test_another_organisations_measurements_do_not_exist(api, make_org):
    beta = make_org("beta")
    beta_secret = issue_api_token(organisation=beta, name="other").secret
    created = api("post", "/measurements", {"measurements": [_item()]}).json()["items"][0]["id"]
    assert api("get", f"/measurements/{created}", token=beta_secret).status_code == 404
    assert api("get", "/measurements", token=beta_secret).json()["count"] == 0


def test_openapi_document_and_offline_docs(api, client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/measurements" in spec.json()["paths"]
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()


def test_invitations_in_a_batch_return_unguessable_single_use_links(api):
    events = [{"channel": "phone", "occurred_at": WHEN, "language": "en", "email": "a@b.nl"}] * 3
    response = api("post", "/invitations", {"invitations": events})
    assert response.status_code == 201, response.json()
    links = [item["url"] for item in response.json()]
    assert len(set(links)) == 3
    token = links[0].rsplit("/", 1)[1]
    assert len(token) >= 32  # 192 random bits, URL-safe base64
    bad = api("post", "/invitations", {"invitations": [{"channel": "fax", "occurred_at": WHEN}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"


def test_datetimes_without_time_zone_are_refused(api):
    response = api(
        "post", "/measurements", {"measurements": [_item(occurred_at="2026-09-14T10:30:00")]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "occurred_at"
    assert datetime(2026, 9, 14, tzinfo=UTC)  # keep the import honest


def test_text_no_database_can_store_is_refused_not_a_server_error(api):
    # Found by fuzzing on PostgreSQL (NUL) and on both (unpaired surrogates): once 500s.
    for path in ("/measurements?instrument=%00", "/kpis?channel=a%00"):
        response = api("get", path)
        assert response.status_code == 422, path
        assert response.json()["message"] == (
            "text may not contain NUL characters or unpaired surrogates"
        )
    assert api("get", "/instruments/customer%00survey").status_code == 404
    for text in ("\\u0000", "\\udab0"):
        body = (
            '{"measurements": [{"instrument": "customer-survey", "occurred_at": '
            f'"2026-09-14T10:30:00+02:00", "external_id": "x{text}", "answers": {{}}}}]}}'
        )
        response = api.client.post(
            "/api/v1/measurements",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api.secret}",
        )
        assert response.status_code == 400, text
        assert response.json()["code"] == "error"
    assert Measurement.unscoped_all_tenants.count() == 0
    # The audit log still records what was asked, with the unstorable character marked.
    asked = AuditEvent.objects.filter(path="/api/v1/measurements", status=422).first()
    assert asked.detail["query"] == {"instrument": "\ufffd"}
