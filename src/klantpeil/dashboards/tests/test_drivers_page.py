"""The manager's 'what to improve first' page on generated data with known effects."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import timezone
from scipy import stats

from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.instruments.models import Driver
from klantpeil.organisations.models import Organisation


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
    bench = response.context["benchmark"]["row"]["cell"]  # changed by issue 20: a band
    assert bench.organisations == 5 and bench.band in {"bottom", "second", "third", "top"}
    page = response.content.decode()
    assert "lies in the" in page and "of your sector (5 organisations" in page
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
    page = response.content.decode()
    assert f"Across {link.correlation.n} unit-quarters" in page and "95% interval" in page


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
    rows = {r["label"]: r["cell"] for r in response.context["rows"]}
    overall = rows["All channels"]  # changed by issue 20: shifted edges and a band
    edges = overall.edges
    assert overall.organisations == 5 and edges.q1 <= edges.median <= edges.q3
    assert overall.band in {"bottom", "second", "third", "top"}
    page = response.content.decode()
    assert "shifted by 0.15 to 0.4 points" in page
    assert "The quartiles are interpolated" in page and "never shown" in page
    # Every shown row says how many organisations its quartiles rest on.
    for r in response.context["rows"]:
        if r["cell"].edges is not None:
            row = page.split(f'data-channel="{r["channel"] or "all"}"')[1].split("</tr>")[0]
            assert row.rstrip().endswith(f"<td>{r['cell'].organisations}</td>")
    spec = response.context["spec"]["data"]["values"]
    assert {p["row"] for p in spec} == {r.label for r in response.context["shown"]}
    assert set(spec[0]) == {"row", "q1", "median", "q3", "own"}  # no peer's own figure


def _independent_rows(org, drivers):
    """The grade and each driver's item mean per complete response, straight from the answers."""
    from collections import defaultdict

    from klantpeil.collection.models import Answer

    with tenant(org):
        answers = Answer.objects.filter(
            number__isnull=False,
            measurement__superseded_at=None,
            measurement__instrument_version__instrument__key="customer-survey",
            measurement__occurred_at__date__gte=timezone.localdate() - timedelta(days=365),
        ).values_list("measurement_id", "question__key", "question__driver", "number")
        by_response = defaultdict(lambda: defaultdict(list))
        for measurement, key, driver, number in answers:
            by_response[measurement]["grade" if key == "overall_grade" else driver].append(number)
    rows = [
        [r["grade"][0], *(np.mean(r[d]) for d in drivers)]
        for r in by_response.values()
        if r["grade"] and all(r[d] for d in drivers)
    ]
    return np.array(rows)


@pytest.mark.django_db
def test_one_priority_model_on_the_overview_the_drivers_page_the_api_and_the_report(
    manager_on_demo,
):
    from django.template.defaultfilters import floatformat

    from klantpeil.accounts.services import issue_api_token
    from klantpeil.analytics.driver_selectors import driver_report
    from klantpeil.collection.selectors import MeasurementFilter
    from klantpeil.metrics.periods import parse_period
    from klantpeil.metrics.priority import LABELS
    from klantpeil.reports.content import gather

    client, org = manager_on_demo
    response = client.get(f"/app/{org.slug}/drivers/", HTTP_ACCEPT_LANGUAGE="en")
    report = response.context["report"]
    ranked = report.priorities
    top = ranked[0]
    # Ranked by expected gain, labels from the same model; the first is never "keep up".
    assert [p.rank for p in ranked] == list(range(1, len(ranked) + 1))
    assert [p.expected_gain for p in ranked] == sorted(p.expected_gain for p in ranked)[::-1]
    assert {p.label for p in ranked} <= set(LABELS) and top.label == "focus_here"
    # A driver already at or above its sector target has nothing to gain (0, interval 0–0).
    assert all(
        p.expected_gain_low < p.expected_gain < p.expected_gain_high
        or (p.target <= p.performance and p.expected_gain == 0)
        for p in ranked
    )
    # The gain of a driver without a threshold is its OLS slope times its rise to the target,
    # recomputed here from the answers with numpy's least squares.
    names = [d.name for d in report.analysis.drivers]
    rows = _independent_rows(org, names)
    assert len(rows) == report.analysis.n
    design = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
    slopes = np.linalg.lstsq(design, rows[:, 0], rcond=None)[0][1:]
    for p in ranked:
        j = names.index(p.name)
        assert p.performance == pytest.approx(rows[:, j + 1].mean(), abs=1e-9)
        # The sector's disclosure-safe top quartile where it exists, else one point up.
        sector = report.sector_targets.get(p.name)
        if sector is not None:
            assert (p.target, p.target_basis) == (sector.value, "sector_top_quartile")
            # ... said with the number of organisations it rests on
            assert (
                f"sector's top quarter of {sector.organisations} organisations, {sector.period}"
                in response.content.decode()
            )
        else:
            assert p.target == pytest.approx(min(p.performance + 1, 10), abs=1e-12)
        if not p.dissatisfier:
            rise = max(0.0, p.target - p.performance)
            assert p.expected_gain == pytest.approx(slopes[j] * rise, abs=1e-9)
    # The demo's waiting time is the dissatisfier: it gains less than its slope says.
    waiting = next(p for p in ranked if p.name == "waiting_time")
    assert waiting.dissatisfier and waiting.threshold == 5.5
    assert waiting.expected_gain < slopes[names.index("waiting_time")]
    headline = (
        f"Improve first: <strong>{dict(Driver.choices)[top.name]}</strong> — "
        f"+{floatformat(top.expected_gain, 2)} grade points "
        f"({floatformat(top.expected_gain_low, 2)} to {floatformat(top.expected_gain_high, 2)})"
        " if it rises from "
        f"{floatformat(top.performance, 1)} to {floatformat(top.target, 1)}."
    )
    assert headline in response.content.decode()
    # The overview says the same, from the same model.
    overview = client.get(f"/app/{org.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert overview.context["first"] == top
    assert headline in overview.content.decode()
    # The API: the same drivers in priority order, the new fields in the asked order.
    secret = issue_api_token(organisation=org, name="bi").secret
    body = client.get("/api/v1/drivers", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert [d["name"] for d in body["drivers"]] == [p.name for p in ranked]
    first = body["drivers"][0]
    keys = list(first)
    assert keys.index("expected_gain") < keys.index("expected_gain_low")
    assert keys.index("expected_gain_low") < keys.index("expected_gain_high")
    assert keys.index("expected_gain_high") < keys.index("target") < keys.index("priority")
    assert first["expected_gain"] == pytest.approx(top.expected_gain, abs=1e-12)
    assert (first["priority"], first["label"], first["target"]) == (1, top.label, top.target)
    assert first["share"] == next(d.share for d in report.analysis.drivers if d.name == top.name)
    # The report's summary for a year names the year's first priority the same way.
    today = timezone.localdate()  # a year with at least six months of the demo's data
    quarter = str(today.year if today.month >= 7 else today.year - 1)
    with tenant(org):
        data = gather(parse_period(quarter), lang="en")
        expected = driver_report(MeasurementFilter(period=quarter), share_intervals=False)
    first_q = expected.priorities[0]
    assert data.drivers.priorities[0] == first_q
    line = next(line for line in data.summary if line.startswith("Improve first"))
    assert line.startswith(f"Improve first: {dict(Driver.choices)[first_q.name]} — +")
    assert f"{first_q.expected_gain:.2f}" in line


@pytest.mark.django_db
def test_the_page_says_why_a_driver_is_missing(manager_on_demo):
    client, org = manager_on_demo
    page = client.get(f"/app/{org.slug}/drivers/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "IVR menu is not analysed here: it is asked about phone contacts only." in text
    assert [(m.name, m.reason) for m in page.context["report"].missing] == [
        ("ivr_menu", "phone_only")
    ]
    phone = client.get(f"/app/{org.slug}/drivers/?channel=phone", HTTP_ACCEPT_LANGUAGE="en")
    assert "ivr_menu" in {p.name for p in phone.context["report"].priorities}
    assert phone.context["report"].missing == []
    assert "is not analysed here" not in phone.content.decode()
