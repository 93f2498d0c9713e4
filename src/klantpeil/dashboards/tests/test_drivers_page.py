"""The manager's 'what to improve first' page on generated data with known effects."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import timezone
from scipy import stats

from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.organisations.models import Organisation


@pytest.fixture
def manager_on_demo(make_member, client):
    generate(seed=2, today=timezone.localdate(), scale=0.12)
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
    # Issue 20: the error names the field and the forms, and no figures are shown.
    page = response.content.decode()
    assert "Period: “Q3” is not a period; use a month (2026-09" in page
    assert "report" not in response.context


@pytest.mark.django_db
def test_waiting_time_comes_out_as_the_dissatisfier_built_into_the_demo(manager_on_demo):
    client, org = manager_on_demo
    report = client.get(f"/app/{org.slug}/drivers/").context["report"]
    waiting = report.asymmetry["waiting_time"]
    assert waiting.kind == "dissatisfier"
    assert waiting.penalty > 2 * waiting.reward


@pytest.mark.django_db
def test_overview_shows_kpis_per_channel_and_the_sector_position_without_naming_peers(
    manager_on_demo,
):
    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    kpis = {k.kind: k for k in response.context["kpis"]}
    assert kpis["counter"].grade.value > kpis["phone"].grade.value > kpis["email"].grade.value
    assert kpis["phone"].grade.ci_low < kpis["phone"].grade.value < kpis["phone"].grade.ci_high
    assert -100 <= kpis["phone"].nps.value <= 100 and kpis["phone"].nps.n > 0
    bench = response.context["benchmark"]
    assert bench.organisations == 5
    assert 0 <= bench.percentile_rank <= 100
    page = response.content.decode()
    assert "Your overall grade is" in page
    peers = Organisation.objects.filter(sector=org.sector).exclude(pk=org.pk)
    assert not any(peer.name in page for peer in peers)


@pytest.mark.django_db
def test_reachability_from_the_demos_mystery_calls_against_norms(manager_on_demo):
    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/reachability/", HTTP_ACCEPT_LANGUAGE="en")
    kpis = response.context["kpis"]
    assert kpis["technically_reachable_rate"].n == response.context["calls"] > 0
    assert 0.8 < kpis["technically_reachable_rate"].value < 1.0
    assert kpis["helped_rate"].norm == 0.90
    page = response.content.decode()
    assert "Answered within 15 seconds" in page and "Caller helped" in page
    picture = client.get(f"/app/{org.slug}/reachability/infographic.svg?lang=en")
    svg = picture.content.decode()
    assert picture["Content-Type"] == "image/svg+xml"
    assert "Gemeente Wadderveen: Telephone reachability" in svg
    assert f"n = {kpis['helped_rate'].n:,}" in svg and "norm 90%" in svg
    bad = client.get(f"/app/{org.slug}/reachability/infographic.svg?period=2026-Q9")
    assert bad.status_code == 404
    org.norms = {"answer_seconds": 25, "helped": 0.6}
    org.save()
    custom = client.get(f"/app/{org.slug}/reachability/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Answered within 25 seconds" in custom.content.decode()
    assert custom.context["kpis"]["helped_rate"].norm == 0.6
    assert (
        custom.context["kpis"]["answered_within_norm_rate"].successes
        >= kpis["answered_within_norm_rate"].successes
    )


@pytest.mark.django_db
def test_employee_results_link_to_customer_results_across_units(make_member, client):
    generate(seed=4, today=timezone.localdate(), scale=0.2)  # 6 employees per unit and wave
    org = Organisation.objects.get(slug="gemeente-wadderveen")
    client.force_login(make_member("m@wadderveen.example", org, "manager"))
    response = client.get(f"/app/{org.slug}/employees/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    link = response.context["link"]
    # The demo gives units a shared effect on employees and customers.
    assert link.correlation is not None and link.correlation.n == len(link.pairs) >= 8
    assert link.correlation.r > 0.3
    assert link.correlation.ci_low < link.correlation.r < link.correlation.ci_high
    assert all(p.employee.n >= 5 for p in link.pairs)
    assert "Correlation r = " in response.content.decode()


@pytest.mark.django_db
def test_the_overview_marks_only_significant_changes_against_the_previous_period(
    make_member, client
):
    generate(seed=2, today=date(2026, 11, 23), scale=0.12)
    org = Organisation.objects.get(slug="gemeente-wadderveen")
    client.force_login(make_member("m@wadderveen.example", org, "manager"))
    response = client.get(
        f"/app/{org.slug}/?period=2026-Q3&channel=phone", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert [k.kind for k in response.context["kpis"]] == ["phone"]
    assert response.context["previous"] == "2026-Q2"
    changes = response.context["changes"]["phone"]
    with tenant(org):
        before = raw_grades(org, date(2026, 4, 1), date(2026, 7, 1))
        after = raw_grades(org, date(2026, 7, 1), date(2026, 10, 1))
    expected = stats.ttest_ind(after, before, equal_var=False)
    assert changes["grade"].difference == pytest.approx(np.mean(after) - np.mean(before))
    assert changes["grade"].p_value == pytest.approx(expected.pvalue)
    page = response.content.decode()
    shown = sum(d.significant and not d.too_small for d in changes.values())
    assert page.count('<span class="change') == shown
    bad = client.get(f"/app/{org.slug}/?period=2026-Q9", HTTP_ACCEPT_LANGUAGE="en")
    assert "is not a period" in bad.content.decode()


AMS = ZoneInfo("Europe/Amsterdam")


def raw_grades(org, start, end):
    from klantpeil.collection.models import Answer

    return list(
        Answer.objects.filter(
            question__key="overall_grade",
            measurement__superseded_at=None,
            measurement__channel__kind="phone",
            measurement__instrument_version__instrument__key="customer-survey",
            measurement__occurred_at__gte=datetime(start.year, start.month, 1, tzinfo=AMS),
            measurement__occurred_at__lt=datetime(end.year, end.month, 1, tzinfo=AMS),
        ).values_list("number", flat=True)
    )


@pytest.mark.django_db
def test_the_benchmark_page_shows_the_sector_spread_and_the_own_place(manager_on_demo):
    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/benchmark/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = dict(response.context["rows"])
    overall = rows["All channels"]
    assert overall.organisations == 5 and overall.q1 <= overall.median <= overall.q3
    assert 0 <= overall.percentile_rank <= 100
    spec = response.context["spec"]["data"]["values"]
    assert {p["row"] for p in spec} == {label for label, _ in response.context["shown"]}
    assert set(spec[0]) == {"row", "q1", "median", "q3", "own"}  # no peer's own figure
