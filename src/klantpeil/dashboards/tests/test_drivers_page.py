"""The manager's 'what to improve first' page on generated data with known effects."""

from datetime import date

import pytest
from django.utils import timezone

from klantpeil.demo.generate import generate
from klantpeil.organisations.models import Organisation


@pytest.fixture
def manager_on_demo(make_member, client):
    generate(seed=2, today=timezone.localdate(), scale=0.08)
    org = Organisation.objects.get(slug="gemeente-wadderveen")
    client.force_login(make_member("m@wadderveen.example", org, "manager"))
    return client, org


@pytest.mark.django_db
def test_reliability_and_empathy_weigh_most_and_the_page_says_what_to_improve(manager_on_demo):
    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/drivers/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    report = response.context["report"]
    assert report.analysis.n >= 50
    by_share = sorted(report.analysis.drivers, key=lambda d: -d.share)
    assert {by_share[0].name, by_share[1].name} == {"reliability", "empathy"}
    assert "ivr_menu" not in {d.name for d in report.analysis.drivers}  # not asked off the phone
    page = response.content.decode()
    assert "Improve first:" in page
    assert sum(d.share for d in report.analysis.drivers) == pytest.approx(1.0)


@pytest.mark.django_db
def test_too_few_responses_are_said_plainly(manager_on_demo):
    client, org = manager_on_demo
    response = client.get(
        f"/app/{org.slug}/drivers/?channel=letter&period={date.today().year - 5}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.context["report"] is None
    assert "Too few complete customer-survey responses" in response.content.decode()


@pytest.mark.django_db
def test_a_bad_period_is_explained(manager_on_demo):
    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/drivers/?period=Q3", HTTP_ACCEPT_LANGUAGE="en")
    assert "use a month (2026-09)" in response.content.decode()


@pytest.mark.django_db
def test_waiting_time_comes_out_as_the_dissatisfier_built_into_the_demo(manager_on_demo):
    client, org = manager_on_demo
    report = client.get(f"/app/{org.slug}/drivers/").context["report"]
    waiting = report.asymmetry["waiting_time"]
    assert waiting.kind == "dissatisfier"
    assert waiting.penalty > 2 * waiting.reward
