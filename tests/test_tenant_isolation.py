"""Every route of the web app × a user of organisation A × organisation B's objects → 404.

The routes are read from the URL configuration, so a new page is covered
without anyone remembering to add it. A route with a parameter this test does
not know fails the test until a sample is added below.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from klantpeil.accounts.models import Invitation, Membership
from klantpeil.accounts.services import issue_api_token
from klantpeil.collection.services import record_measurement
from klantpeil.core.tenancy import tenant
from klantpeil.fieldwork.models import Assignment, Scenario, Study, Target
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.services import publish_version
from klantpeil.organisations.models import Channel, Unit
from klantpeil.reports.models import ReportRun

# Route families that are not the tenant's: the operator's back office (staff
# only, tested elsewhere), allauth's account pages and Django's i18n switch.
# The API is token-scoped and walked by its own test from the OpenAPI document.
FOREIGN_NAMESPACES = {"admin", "api-v1"}
FOREIGN_PREFIXES = ("accounts/", "i18n/", "admin/", "api/")
# Respondent pages are reached by an unguessable secret, not by a member: the
# secret itself names the organisation (tested in collection/tests; the opt-out link's
# signed token in distribution/tests). The logo's address is its SHA-256 (public on the
# respondent form and in e-mails).
CAPABILITY_ROUTES = {"respond", "respond-done", "respond-open", "brand-logo", "opt-out"}


def _routes(resolvers=None, prefix="", namespace=None, outer=()):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, (namespace, entry.namespace))) or None
            if ns in FOREIGN_NAMESPACES:
                continue
            params = (*outer, *entry.pattern.converters)
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), ns, params)
        elif isinstance(entry, URLPattern) and entry.name:
            route = prefix + str(entry.pattern)
            if route.startswith(FOREIGN_PREFIXES) or entry.name in CAPABILITY_ROUTES:
                continue
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, route, sorted({*outer, *entry.pattern.converters})


# URL parameters that name no object of an organisation (a file format).
NOT_OBJECTS = {"org", "fmt", "channel", "message_kind", "language"}
# Which kind of object a route's ``pk`` names, by route name prefix (default: a measurement).
PK_KINDS = {
    "app:fieldwork:study": "study",
    "app:fieldwork:assignment": "assignment",
    "app:reports:report": "report",
    "app:reports:download": "report",
}


def _sample_objects(org, shopper) -> dict:
    """One object of each kind a URL can name, owned by ``org``."""
    with tenant(org):
        instrument = Instrument.objects.create(
            key="walk", method="customer_survey", name_nl="Loop", name_en="Walk"
        )
        version = publish_version(
            instrument=instrument,
            definition={
                "key": "walk",
                "method": "customer_survey",
                "questions": [{"key": "g", "type": "grade", "label": {"nl": "C", "en": "G"}}],
            },
        )
        measurement = record_measurement(
            version=version,
            answers={"g": 7},
            occurred_at=datetime(2026, 5, 1, 10, tzinfo=UTC),
            source="api",
            channel=Channel.objects.get(kind="phone"),
        )
        study = Study.objects.create(
            organisation=org,
            name="Walk",
            protocol="mystery-phone",
            channel_kind="phone",
            starts_on=date(2026, 5, 1),
            ends_on=date(2026, 5, 31),
            contacts=1,
            seed=1,
        )
        target = Target.objects.create(organisation=org, study=study, key="T1", label="Desk")
        scenario = Scenario.objects.create(
            organisation=org, study=study, key="S1", question="Q?", answer_key="A."
        )
        assignment = Assignment.objects.create(
            organisation=org,
            study=study,
            target=target,
            scenario=scenario,
            shopper=shopper,
            block="morning",
            scheduled_at=datetime(2026, 5, 4, 10, tzinfo=UTC),
        )
        report = ReportRun.objects.create(
            period="2026-Q2", format="xlsx", language="nl", status="done", content=b"PK"
        )
        # A unit code and a channel kind only this organisation has: the other's must 404.
        unit = Unit.objects.create(code=f"unit-{org.slug}", name=f"Unit {org.slug}")
        used = set(Channel.unscoped_all_tenants.values_list("kind", flat=True))
        kind = next(k for k in ("chat", "letter", "web", "messaging", "social") if k not in used)
        Channel.objects.create(kind=kind)
    token = issue_api_token(organisation=org, name="walk").token
    invitation = Invitation.unscoped_all_tenants.create(
        organisation=org,
        email=f"invited@{org.slug}.example",
        role="viewer",
        token_hash=secrets.token_hex(32),
        expires_at=timezone.now() + timedelta(days=7),
    )
    return {
        "org": org.slug,
        "pk": measurement.pk,
        "token_id": token.pk,
        "fmt": "svg",
        "study": study.pk,
        "assignment": assignment.pk,
        "report": report.pk,
        "code": unit.code,
        "kind": kind,
        "member_id": Membership.objects.get(user=shopper, organisation=org).pk,
        "invitation_id": invitation.pk,
        # A message template is named by what it is, not by an object id.
        "channel": "email",
        "message_kind": "invitation",
        "language": "nl",
    }


@pytest.fixture
def two_orgs(make_org, make_member, client):
    alpha, beta = make_org("alpha"), make_org("beta")
    user = make_member("a@alpha.example", alpha, "analyst")
    other = make_member("b@beta.example", beta, "manager")
    client.force_login(user)
    return client, _sample_objects(alpha, user), _sample_objects(beta, other), beta


def _url(name, params, values):
    kind = next((k for prefix, k in PK_KINDS.items() if name.startswith(prefix)), None)
    if kind:
        values = {**values, "pk": values[kind]}
    unknown = [p for p in params if p not in values]
    assert not unknown, f"{name}: no sample value for URL parameter(s) {unknown}; add one"
    return reverse(name, kwargs={p: values[p] for p in params})


def _fetch(client, url):
    """GET, or POST for routes that only take POST (the test client skips CSRF)."""
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def test_the_walk_covers_the_app(two_orgs):
    names = {name for name, _, _ in _routes()}
    assert {
        "app:overview",
        "app:measurements",
        "app:measurement",
        "app:import",
        "app:export",
        "app:tokens",
        "app:revoke-token",
        "app:fieldwork:study",
        "app:fieldwork:assignment",
        "healthz",
    } <= names


def test_every_route_gives_404_for_another_organisations_objects(two_orgs):
    client, own, foreign, beta = two_orgs
    checked = 0
    for name, route, params in _routes():
        if not params:
            response = client.get(reverse(name), follow=True)
            assert beta.name not in response.content.decode(), f"{route} shows {beta.name}"
            continue
        assert "org" in params, f"{route} names an object without naming its organisation"
        # Another organisation entirely; then own organisation with a foreign object id.
        assert _fetch(client, _url(name, params, foreign)).status_code == 404, route
        if set(params) - NOT_OBJECTS:
            mixed = {**foreign, "org": own["org"]}
            assert _fetch(client, _url(name, params, mixed)).status_code == 404, route
        # Sanity, last because it may change things: the member's own objects are there
        # (400: found, but an empty POST is not a valid action on it).
        assert _fetch(client, _url(name, params, own)).status_code in (200, 302, 400), route
        checked += 1
    assert checked >= 3


def test_a_slug_that_does_not_exist_looks_the_same_as_a_foreign_one(two_orgs):
    client, _, foreign, _ = two_orgs
    missing = client.get(reverse("app:overview", kwargs={"org": "no-such-org"}))
    other = client.get(reverse("app:overview", kwargs={"org": foreign["org"]}))
    assert missing.status_code == other.status_code == 404
    assert missing.content == other.content


def test_anonymous_visitors_are_sent_to_login(make_org, client):
    make_org("alpha")
    response = client.get(reverse("app:overview", kwargs={"org": "alpha"}))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
