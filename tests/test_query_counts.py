"""Query-count baselines for every page, the back office and the API (NetBox-style).

Each page is requested on the demo field at two sizes (scale 0.03 and three times
that, plus three times the studies, report runs, tokens and portfolio
organisations) and the SQL statements it runs are counted:

- at the first size a page may run no more statements than its committed
  baseline (``tests/query_baselines.json``, per database vendor);
- at both sizes it must run the same number: a count that grows with the data is
  a query per row (N+1), which the baseline alone would let through;
- every route of the URL configuration, every model of the back office and every
  GET operation of the API is measured or named in ``NOT_PAGES`` with a reason, and
  every measured page has a baseline: a new page fails until it gets one.

Update the baselines after a deliberate change (one command per database):

    pytest tests/test_query_counts.py --update-query-baselines
    DATABASE_URL=postgres://… pytest tests/test_query_counts.py --update-query-baselines

or ``make query-baselines`` for both.
"""

from __future__ import annotations

import json
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from klantpeil.accounts.models import Invitation, Membership, User
from klantpeil.accounts.services import add_member, issue_api_token
from klantpeil.api.api import api
from klantpeil.collection.models import Measurement
from klantpeil.core.tenancy import tenant
from klantpeil.demo.fieldwork import EXTRA_SHOPPERS, ensure_demo_studies
from klantpeil.demo.generate import generate
from klantpeil.demo.logins import create_logins
from klantpeil.demo.reset import wipe_demo
from klantpeil.demo.universe import SECTORS
from klantpeil.fieldwork import services as fieldwork
from klantpeil.fieldwork.models import Assignment, Study
from klantpeil.organisations.models import Organisation, Sector, Unit
from klantpeil.privacy import audit
from klantpeil.reports.models import ReportRun
from klantpeil.rollups import services as rollups
from tests.test_tenant_isolation import _routes

BASELINES = Path(__file__).with_name("query_baselines.json")
SCALE = 0.03  # the demo at 3%: every page has rows to show, and it builds in seconds
GROWTH = 3
UPDATE_HINT = (
    "if the new count is deliberate, update the baselines with "
    "`pytest tests/test_query_counts.py --update-query-baselines` (on each database, "
    "or `make query-baselines`) and commit tests/query_baselines.json"
)

# Routes that are actions, not pages: they only take POST (the test client's GET gets 405).
NOT_PAGES = {
    "app:revoke-token": "POST only: revokes a token",
    "app:fieldwork:assignment-tap": "POST only: records a tap of the shopper",
    "app:fieldwork:assignment-callback": "POST only: records a callback",
    "app:team-invitation": "POST only: resends or revokes an invitation",
    "app:distribution:template-preview": "POST only (htmx): previews the wording being typed",
}
# Variants worth their own baseline: the drill-downs the dashboards link to.
VARIANTS = {
    "app:measurements": {
        "drill-down": "?instrument=customer-survey&answered=overall_grade&channel=phone"
    },
    "app:overview": {"unit": "?unit={unit}"},
    "app:home": {"csv": "?format=csv"},
}
# Pages that read each organisation the member serves inside its own tenant (so
# nothing crosses between organisations): a fixed number of queries per organisation,
# checked exactly, so one more query per row still fails.
# (PostgreSQL runs three more per organisation than SQLite.)
QUERIES_PER_ORGANISATION = {
    "sqlite": {"app:home": 6, "app:home[csv]": 6},
    "postgresql": {"app:home": 9, "app:home[csv]": 9},
}
# Growth that is a threshold, not a query per row, as exact (1x, 3x) counts so that any
# change shows. The overview of one unit reaches the driver report's 50 responses only
# at 3x: then it reads the driver question keys, the driver cells and tail, and the
# sector's driver targets (sector organisations, their folds, channels, cells): seven
# queries on SQLite, ten on PostgreSQL, the same at any size beyond. (More at both
# sizes since issues 22 and 16, none per row: the unit's sub-units, whether the
# organisation has any measurement at all, whether its figures hold answers converted
# from another scale.)
THRESHOLD_GROWTH = {
    "sqlite": {"app:overview[unit]": (45, 52)},
    "postgresql": {"app:overview[unit]": (60, 70)},
}
EXTRA_ORGANISATIONS = 2  # per unit of growth, all served by the portfolio's analyst
# Pages read as the shopper (an assignment is its shopper's alone).
AS_SHOPPER = {"app:fieldwork:assignment", "app:fieldwork:shopper-today"}


def _vendor() -> str:
    return connection.vendor


def _load() -> dict[str, dict[str, int]]:
    return json.loads(BASELINES.read_text()) if BASELINES.exists() else {}


def _world(factor: int) -> dict:
    """The demo at ``SCALE * factor``, and ``factor`` times the objects the demo has few of."""
    generate(seed=3, scale=SCALE * factor)
    rollups.rebuild_all()
    create_logins()
    org = Organisation.objects.get(name=SECTORS[0].organisations[0])
    ensure_demo_studies(org, "shopper@klantpeil.example")
    analyst = User.objects.get(email="analist@klantpeil.example")
    analyst.can_create_organisations = True  # the new-organisation page (issue 22)
    analyst.save(update_fields=["can_create_organisations"])
    shopper = User.objects.get(email="shopper@klantpeil.example")
    sector = Sector.objects.get(key=SECTORS[0].key)
    shoppers = [shopper, *User.objects.filter(email__in=EXTRA_SHOPPERS)]
    for i in range(EXTRA_ORGANISATIONS * factor):
        extra = Organisation.objects.create(slug=f"extra-{i}", name=f"Extra {i}", sector=sector)
        add_member(email=analyst.email, organisation=extra, role="analyst", check_password=False)
    with tenant(org):
        first = date.today() - timedelta(days=120)
        studies = [
            fieldwork.plan_study(
                name=f"Extra {i}",
                protocol="mystery-phone",
                channel_kind="phone",
                starts_on=first,
                ends_on=first + timedelta(days=27),
                contacts=4 * factor,
                targets=[
                    fieldwork.TargetSpec(f"Desk {t}", f"0{t}0-1234567") for t in range(2 * factor)
                ],
                scenarios=[fieldwork.ScenarioSpec("Q?", "A.")],
                shoppers=shoppers,
                seed=i,
            )
            for i in range(factor)
        ]
        for _ in range(factor):
            ReportRun.objects.create(
                period="2026-Q2", format="xlsx", language="nl", status="done", content=b"PK"
            )
        for i in range(factor):
            issue_api_token(organisation=org, name=f"t{i}")
        report = ReportRun.objects.order_by("pk").first()
        measurement = (
            Measurement.objects.filter(instrument_version__instrument__key="customer-survey")
            .order_by("pk")
            .first()
        )
        assignment = Assignment.objects.filter(shopper=shopper).order_by("scheduled_at").last()
        unit = Unit.objects.order_by("pk").first()
        token = issue_api_token(organisation=org, name="walk")
        for i in range(factor):  # the team page lists pending invitations
            Invitation(
                email=f"invited-{i}@klantpeil.example",
                role="viewer",
                token_hash=f"{i:064d}",
                invited_by=analyst,
                expires_at=timezone.now() + timedelta(days=7),
            ).save()
        for _ in range(factor):  # and the change log its entries
            audit.record(organisation=org, actor=analyst, action="settings.norms", obj=org)
        from klantpeil.collection.ingest import create_invitations

        # A survey invitation, whose sends the API lists.
        survey_invitation = create_invitations(
            events=[{"channel": "phone", "occurred_at": timezone.now()}],
            instrument="customer-survey",
        )[0][0]
    return {
        "org": org,
        "values": {
            "org": org.slug,
            "fmt": "svg",
            "pk": measurement.pk,
            "measurement": measurement.pk,
            "study": studies[0].pk,
            "assignment": assignment.pk,
            "report": report.pk,
            "token_id": token.token.pk,
            "unit": unit.code,
            "code": unit.code,
            "kind": "phone",
            "member_id": Membership.objects.get(user=analyst, organisation=org).pk,
            "invitation_id": 0,
            "survey_invitation": survey_invitation.pk,
            "channel": "email",
            "message_kind": "invitation",
            "language": "nl",
        },
        "secret": token.secret,
        "users": {
            "member": analyst,
            "shopper": shopper,
            "operator": User.objects.get(email="operator@klantpeil.example"),
        },
    }


# Which kind of object a route's ``pk`` names (default: a measurement).
PK_KINDS = {
    "app:fieldwork:study": "study",
    "app:fieldwork:assignment": "assignment",
    "app:reports:report": "report",
    "app:reports:download": "report",
}


def _pages(values: dict) -> list[tuple[str, str, str, dict]]:
    """(baseline key, who, URL, headers) of every page, back-office list and API read."""
    pages = []
    for name, _, params in _routes():
        if name in NOT_PAGES:
            continue
        kind = next((k for p, k in PK_KINDS.items() if name.startswith(p)), "measurement")
        given = {**values, "pk": values[kind]}
        url = reverse(name, kwargs={p: given[p] for p in params})
        who = "shopper" if name in AS_SHOPPER else "member"
        pages.append((name, who, url, {}))
        for variant, query in VARIANTS.get(name, {}).items():
            pages.append((f"{name}[{variant}]", who, url + query.format(**values), {}))
    # The operator's pages: the service overview and the back office.
    pages.append(("app:home[operator]", "operator", reverse("app:home"), {}))
    pages.append(("admin:index", "operator", reverse("admin:index"), {}))
    for model in admin.site._registry:
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}_changelist"
        pages.append((name, "operator", reverse(name), {}))
    for path in _api_reads():
        url = (
            path.replace("{key}", "customer-survey")
            .replace("{measurement_id}", str(values["measurement"]))
            .replace("{invitation_id}", str(values["survey_invitation"]))
        )
        pages.append((f"api:GET {path}", "token", url, {}))
    return pages


def _api_reads() -> list[str]:
    """The API's GET paths, from the OpenAPI document (a new one is measured unasked)."""
    schema = api.get_openapi_schema()
    return [path for path, operations in schema["paths"].items() if "get" in operations]


def _count(client: Client, url: str, headers: dict) -> tuple[int, int]:
    # A first request warms what a process keeps (content types, translations, the
    # sector cache); the counted one starts from an empty cache, like a page after
    # a cache flush, so the count does not depend on the order of the pages.
    client.get(url, **headers)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    return response.status_code, len(queries)


def _measure(world: dict) -> dict[str, tuple[int, int]]:
    clients = {}
    for who, user in world["users"].items():
        clients[who] = Client()
        clients[who].force_login(user)
    clients["token"] = Client()
    token_headers = {"HTTP_AUTHORIZATION": f"Bearer {world['secret']}"}
    counts = {}
    for key, who, url, headers in _pages(world["values"]):
        counts[key] = _count(clients[who], url, token_headers if who == "token" else headers)
    return counts


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """Query counts per page at both sizes: {key: (status, count)}."""
    with django_db_blocker.unblock():
        _wipe()
        small = _measure(_world(1))
        _wipe()
        large = _measure(_world(GROWTH))
        _wipe()
    return small, large


def _wipe() -> None:
    """Everything the worlds made: wipe_demo is for a demo database and leaves studies,
    reports and tokens (which would keep the shoppers it deletes)."""
    from klantpeil.accounts.models import ApiToken

    Assignment.unscoped_all_tenants.all().delete()
    Study.unscoped_all_tenants.all().delete()
    ReportRun.unscoped_all_tenants.all().delete()
    ApiToken.unscoped_all_tenants.all().delete()
    Invitation.unscoped_all_tenants.all().delete()
    wipe_demo()


@pytest.mark.django_db
def test_every_page_answers(measured):
    small, large = measured
    broken = {k: s for k, (s, _) in {**small, **large}.items() if s not in (200, 302)}
    assert not broken, f"pages that did not answer 200/302 (fix the fixture): {broken}"


@pytest.mark.django_db
def test_no_page_runs_more_queries_than_its_baseline(measured, request):
    small, _ = measured
    counts = {key: n for key, (_, n) in sorted(small.items())}
    vendor = _vendor()
    baselines = _load()
    if request.config.getoption("--update-query-baselines"):
        baselines[vendor] = counts
        BASELINES.write_text(json.dumps(baselines, indent=2, sort_keys=True) + "\n")
        pytest.skip(f"wrote {len(counts)} {vendor} baselines to {BASELINES.name}")
    known = baselines.get(vendor, {})
    problems = []
    for key, n in counts.items():
        if key not in known:
            problems.append(f"{key}: new page without a baseline ({n} queries)")
        elif n > known[key]:
            problems.append(f"{key}: {known[key]} queries in the baseline, now {n}")
    gone = sorted(set(known) - set(counts))
    if gone:
        problems.append(f"baselines of pages that no longer exist: {gone}")
    assert not problems, (
        f"query counts on {vendor}:\n  " + "\n  ".join(problems) + f"\n{UPDATE_HINT}"
    )
    fewer = {k: (known[k], n) for k, n in counts.items() if n < known[k]}
    if fewer:
        warnings.warn(
            f"fewer queries than the {vendor} baseline (old, new): {fewer}; {UPDATE_HINT}",
            stacklevel=1,
        )


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_data(measured):
    small, large = measured
    added = EXTRA_ORGANISATIONS * (GROWTH - 1)
    per_organisation = QUERIES_PER_ORGANISATION.get(_vendor(), {})
    known = THRESHOLD_GROWTH.get(_vendor(), {})
    grown = {
        key: (small[key][1], large[key][1])
        for key in small
        if large[key][1] - small[key][1] != per_organisation.get(key, 0) * added
        and known.get(key) != (small[key][1], large[key][1])
    }
    assert not grown, (
        f"query counts that change with {GROWTH}x the data (a query per row?), "
        f"(1x, {GROWTH}x): {grown}; the portfolio may add "
        f"{per_organisation} per organisation, {added} organisations were added"
    )


def test_routes_excused_from_counting_still_exist():
    routes = {name for name, _, _ in _routes()}
    assert set(NOT_PAGES) <= routes, f"NOT_PAGES names gone routes: {set(NOT_PAGES) - routes}"
