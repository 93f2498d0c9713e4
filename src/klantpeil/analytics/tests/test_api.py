"""KPIs, drivers and benchmarks through the API, scoped to the token's organisation."""

import pytest
from django.utils import timezone

from klantpeil.accounts.services import issue_api_token
from klantpeil.demo.generate import generate
from klantpeil.organisations.models import Organisation


@pytest.fixture(scope="module")
def _demo_data(module_transaction, django_db_blocker):
    """Generated once for the module (conftest.py: module_transaction), not per test."""
    with django_db_blocker.unblock():
        generate(seed=4, today=timezone.localdate(), scale=0.12)


@pytest.fixture
def call(_demo_data, db, client):
    org = Organisation.objects.get(slug="gemeente-wadderveen")
    secret = issue_api_token(organisation=org, name="bi").secret

    def get(path):
        return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {secret}")

    return get


def test_kpis_per_channel_with_intervals(call):
    body = call("/kpis").json()
    by_channel = {row["channel"]: row for row in body}
    assert {"phone", "email", "counter"} <= set(by_channel)
    grade = by_channel["counter"]["grade"]
    assert grade["ci_low"] < grade["value"] < grade["ci_high"] and grade["n"] > 0
    assert by_channel["counter"]["grade"]["value"] > by_channel["email"]["grade"]["value"]
    only_phone = call("/kpis?channel=phone").json()
    assert [row["channel"] for row in only_phone] == ["phone"]


def test_drivers_and_benchmark(call):
    drivers = call("/drivers").json()
    assert drivers["method"] == "shapley" and drivers["n"] >= 50
    assert sum(d["share"] for d in drivers["drivers"]) == pytest.approx(1.0)
    waiting = next(d for d in drivers["drivers"] if d["name"] == "waiting_time")
    assert waiting["effect"] in {"dissatisfier", "hybrid"}
    bench = call("/benchmarks/grade").json()
    # Changed by issue 20: no mean, no percentile rank; shifted edges and the own band.
    assert bench["shown"] and bench["organisations"] == 5 and bench["suppressed_by"] is None
    assert set(bench["sector"]) == {"q1", "median", "q3"}
    assert bench["band"] in {"bottom", "second", "third", "top"}
    assert "mean" not in bench and "percentile_rank" not in bench
    assert bench["rules"]["min_responses"] == 30 and bench["rules"]["min_organisations"] == 5


def test_benchmark_requests_off_the_grid_are_refused_naming_the_field(call):
    assert call("/benchmarks/grade?since=2026-01-01").json()["field"] == "since"
    assert call("/benchmarks/grade?until=2026-01-01").json()["field"] == "until"
    unit = call("/benchmarks/grade?unit=x")
    assert (unit.status_code, unit.json()["field"]) == (422, "unit")
    channel = call("/benchmarks/grade?channel=fax")
    assert (channel.status_code, channel.json()["field"]) == (422, "channel")
    running = call(f"/benchmarks/grade?period={timezone.localdate().year + 1}")
    assert (running.status_code, running.json()["code"]) == (422, "off_grid")


def test_errors_say_what_is_wrong(call):
    bad = call("/kpis?period=Q3")
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    few = call("/drivers?channel=letter&period=2001")
    assert few.status_code == 422 and few.json()["code"] == "too_few_responses"


def test_driver_shares_come_with_their_bootstrap_interval(call):
    for driver in call("/drivers").json()["drivers"]:
        assert driver["share_ci_low"] < driver["share"] < driver["share_ci_high"]


def test_drivers_answer_for_every_channel_and_quarter_even_without_high_or_low_scores(call):
    # A small selection can have no driver scores of 9 or more (or 5 or less): the
    # penalty or reward is then null, not a server error (found on e-mail, 2026-Q3).
    for channel in ("", "phone", "email", "chat", "counter", "letter"):
        for period in ("2026-Q1", "2026-Q2", "2026-Q3", "2026"):
            response = call(f"/drivers?period={period}&channel={channel}")
            assert response.status_code in (200, 422), (channel, period, response.content)
            if response.status_code == 200:
                for driver in response.json()["drivers"]:
                    for side in ("penalty", "reward"):
                        assert driver[side] is None or isinstance(driver[side], float)
