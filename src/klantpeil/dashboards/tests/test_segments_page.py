"""The segment comparison page and its API route on the demo: figures from the raw
answers, Holm-corrected tests, the minimum group, and errors beside their field."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone
from scipy import stats as scipy_stats

from klantpeil.accounts.services import issue_api_token
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import MeasurementFilter, filtered_measurements
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics.periods import last_twelve_months
from klantpeil.metrics.significance import holm
from klantpeil.organisations.models import Channel, ChannelKind, Unit

pytestmark = pytest.mark.django_db


def _grades_per_channel(org) -> dict[str, list[float]]:
    window = last_twelve_months(timezone.localdate())
    with tenant(org):
        measurements = filtered_measurements(
            MeasurementFilter(
                since=window.start, until=window.last_day, instrument="customer-survey"
            )
        )
        grades = defaultdict(list)
        for kind, number in Answer.objects.filter(
            measurement__in=measurements, question__key="overall_grade", number__isnull=False
        ).values_list("measurement__channel__kind", "number"):
            grades[kind].append(number)
    return grades


def _rows(html: str) -> dict[str, list[str]]:
    table = re.search(r'<table class="kpis" id="segments-table">(.*?)</tbody>', html, re.S)
    rows = {}
    for row in re.findall(r"<tr class=\"verdict-[a-z_]+\">(.*?)</tr>", table.group(1), re.S):
        cells = [
            unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


def test_channels_side_by_side_with_holm_corrected_tests_from_the_raw_answers(manager_on_demo):
    client, org = manager_on_demo
    response = client.get(
        f"/app/{org.slug}/segments/?dimension=channel&kpi=grade", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    html = response.content.decode()
    rows = _rows(html)
    grades = _grades_per_channel(org)
    labels = dict(ChannelKind.choices)
    assert set(rows) == {str(labels[k]) for k in grades}
    # Welch's t of each channel against all the others, on the raw grades (scipy), then
    # Holm over the channels with 30 or more answers (and a rest of 30 or more).
    tested = {}
    for kind, values in grades.items():
        rest = [g for other, v in grades.items() if other != kind for g in v]
        if len(values) >= 30 and len(rest) >= 30:
            tested[kind] = scipy_stats.ttest_ind(values, rest, equal_var=False).pvalue
    adjusted = dict(zip(tested, holm(list(tested.values())), strict=True))
    assert len(tested) >= 3, "the demo has several channels to test"
    for kind, values in grades.items():
        cells = rows[str(labels[kind])]
        assert cells[1] == f"{len(values):,}"  # n
        mean = sum(values) / len(values)
        assert cells[0].startswith(f"{mean:.1f} ")
        if kind in tested:
            p, significant = adjusted[kind]
            assert cells[3] == f"{p:.3f}"
            rest = [g for other, v in grades.items() if other != kind for g in v]
            direction = "higher" if mean > sum(rest) / len(rest) else "lower"
            expected = f"{direction} than the rest" if significant else "no proven difference"
            assert cells[4].lstrip("▲▼ ") == expected, kind
        else:
            assert (cells[2], cells[3]) == ("–", "–")
            assert cells[4] == "not tested: fewer than 30 responses"
    # The chart draws the same segments with the same figures.
    spec = json.loads(re.search(r'id="segments-spec"[^>]*>(.*?)</script>', html, re.S).group(1))
    drawn = {p["segment"]: p for p in spec["data"]["values"]}
    assert set(drawn) == set(rows)
    assert drawn["Counter"]["n"] == len(grades["counter"])
    assert "Holm–Bonferroni" in html


def _tiny_unit(org) -> None:
    """A unit with three answers in the last twelve months: below the minimum of five."""
    with tenant(org):
        tiny = Unit.objects.create(organisation=org, code="tiny", name="Tiny team")
        for grade in (10, 10, 9):
            record_measurement(
                version=latest_version(key="customer-survey"),
                answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade},
                source="api",
                channel=Channel.objects.get(kind="email"),
                unit=tiny,
                occurred_at=datetime.now(UTC) - timedelta(days=20),
            )


def test_a_unit_below_the_minimum_group_shows_no_figure_on_page_or_api(manager_on_demo, client):
    _, org = manager_on_demo
    _tiny_unit(org)
    html = client.get(f"/app/{org.slug}/segments/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = _rows(html)
    assert rows["Tiny team"] == ["too few responses (n < 5)", "–", "–", "too few responses"]
    assert "9.7" not in " ".join(rows["Tiny team"])  # (10 + 10 + 9) / 3 never appears
    spec = json.loads(re.search(r'id="segments-spec"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert "Tiny team" not in {p["segment"] for p in spec["data"]["values"]}
    assert len(rows) == Unit.unscoped_all_tenants.filter(organisation=org).count()
    # In Dutch too.
    dutch = client.get(f"/app/{org.slug}/segments/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert _rows(dutch)["Tiny team"][0] == "te weinig reacties (n < 5)"
    # The API: no figure and no n for the tiny unit, figures for the others.
    secret = issue_api_token(organisation=org, name="bi").secret
    body = client.get(
        "/api/v1/segments?dimension=unit&kpi=grade", HTTP_AUTHORIZATION=f"Bearer {secret}"
    ).json()
    segments = {s["key"]: s for s in body["segments"]}
    assert segments["tiny"] == {
        "key": "tiny",
        "label": "Tiny team",
        "shown": False,
        "n": None,
        "estimate": None,
        "tested": False,
        "difference": None,
        "difference_ci_low": None,
        "difference_ci_high": None,
        "p_value": None,
        "p_adjusted": None,
        "verdict": "too_few",
    }
    others = [s for key, s in segments.items() if key != "tiny"]
    assert others and all(s["shown"] and s["estimate"]["value"] for s in others)
    assert all(s["p_adjusted"] >= s["p_value"] for s in others if s["tested"])
    assert body["tested"] == sum(s["tested"] for s in others)
    assert (body["correction"], body["compared_with"], body["min_group"]) == ("holm", "rest", 5)
    # The overall figure counts the tiny unit's answers.
    assert body["overall"]["n"] == sum(s["n"] for s in others) + 3
    # The per-channel KPIs follow the same rule: a channel of three answers has no figure.
    kpis = client.get("/api/v1/kpis?unit=tiny", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert [(r["channel"], r["grade"]["value"], r["grade"]["n"]) for r in kpis] == [
        ("email", None, 3)
    ]
    assert kpis[0]["grade"]["too_few_responses"] is True
    # And so do the overview's channel rows for that unit.
    overview = client.get(f"/app/{org.slug}/?unit=tiny", HTTP_ACCEPT_LANGUAGE="en")
    assert "too few responses</span> <small>(n &lt; 5)" in overview.content.decode()


def test_choices_that_do_not_exist_are_errors_beside_their_field(manager_on_demo):
    client, org = manager_on_demo
    html = client.get(
        f"/app/{org.slug}/segments/?dimension=team&kpi=csat&period=2026-13",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert 'id="segment-dimension-error"' in html
    assert "team is not one of Unit (team) (unit); Channel (channel); Month (month)" in html
    assert 'id="segment-kpi-error"' in html and "csat is not one of Overall grade" in html
    assert 'id="filter-period-error"' in html
    assert "segments-table" not in html and "segments-spec" not in html
    # In Dutch the choices are named in Dutch, with the value a link types beside them.
    dutch = client.get(
        f"/app/{org.slug}/segments/?dimension=team", HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "team is geen van Afdeling (team) (unit); Kanaal (channel); Maand (month)" in dutch
    secret = issue_api_token(organisation=org, name="bi").secret
    response = Client().get(
        "/api/v1/segments?dimension=team", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert (response.status_code, response.json()["field"]) == (422, "dimension")


def test_the_page_is_in_the_navigation_and_linked_from_the_overview(manager_on_demo):
    client, org = manager_on_demo
    html = client.get(
        f"/app/{org.slug}/?period=2026-Q3", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f'href="/app/{org.slug}/segments/">Segments</a>' in html
    assert f'href="/app/{org.slug}/segments/?dimension=channel&amp;period=2026-Q3"' in html
    months = client.get(
        f"/app/{org.slug}/segments/?dimension=month&kpi=nps", HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "Segmenten naast elkaar" in months and 'aria-current="page">Segmenten</a>' in months
