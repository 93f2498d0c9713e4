"""GET /api/v1/distribution/funnel: the same counts as the page, for the token's
organisation only, and errors that name the field."""

from __future__ import annotations

import pytest

from klantpeil.accounts.services import issue_api_token
from klantpeil.distribution.tests.test_funnel import EXPECTED, hand_built  # noqa: F401


@pytest.fixture
def call(hand_built, client):  # noqa: F811
    secret = issue_api_token(organisation=hand_built, name="bi").secret

    def get(query: str):
        return client.get(
            f"/api/v1/distribution/funnel{query}", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )

    return get


def test_the_funnel_over_the_api(call):
    body = call("?period=2026-10&instrument=customer-survey").json()
    assert body["counts"] == EXPECTED
    assert (body["period"], body["since"], body["until"]) == ("2026-10", "2026-10-01", "2026-10-31")
    steps = {s["step"]: s for s in body["steps"]}
    assert [s["step"] for s in body["steps"]][:5] == [
        "made",
        "sent",
        "opened",
        "started",
        "completed",
    ]
    assert steps["completed"]["share_of_made"] == pytest.approx(0.2)
    assert steps["started"]["share_of_previous"] == pytest.approx(0.75)
    assert steps["bounced"]["share_of_previous"] is None and not steps["bounced"]["main"]
    assert call("?period=2026-10").json()["counts"]["made"] == 12


def test_bad_input_names_the_field(call):
    period = call("?period=2026-13")
    assert period.status_code == 422 and period.json()["field"] == "period"
    instrument = call("?instrument=nope")
    assert instrument.status_code == 422 and instrument.json()["field"] == "instrument"


def test_without_a_token_nothing(client, db):
    assert client.get("/api/v1/distribution/funnel").status_code == 401
