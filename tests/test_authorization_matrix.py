"""The authorisation matrix: every page and API operation × every role.

Pages are read from the URL configuration (as in test_tenant_isolation.py) and API
operations from the OpenAPI document, so a new route is covered without anyone
remembering it; a page without an entry in ``PAGE_POLICY`` or an API path parameter
without a sample fails the test until someone decides who may use it.

For each route and role: the own organisation's objects give what the role's rules
say (accounts/permissions.py), another organisation's objects give 404 (403/404 for
the API), and nothing of the other organisation appears in a body, a count or an
error message.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from klantpeil.accounts.models import ApiToken
from klantpeil.accounts.permissions import MANAGE_DATA, READ_DATA, SHOPPER_ROUTES
from klantpeil.accounts.services import issue_api_token
from klantpeil.collection.models import Measurement
from klantpeil.collection.services import record_measurement
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.services import publish_version
from klantpeil.organisations.models import Channel
from tests.test_tenant_isolation import NOT_OBJECTS, _routes, _sample_objects, _url

MEMBER_ROLES = ("operator", "analyst", "manager", "viewer", "shopper")
# Members' roles, nobody signed in, a member of another organisation only, and
# another organisation's API token sent to the pages.
PAGE_ROLES = (*MEMBER_ROLES, "anonymous", "stranger", "foreign-token")
RESULTS = READ_DATA  # every member but the shopper sees the results pages
EVERYONE = frozenset(MEMBER_ROLES)

# Who may open each page of the app in their own organisation.
PAGE_POLICY: dict[str, frozenset[str]] = {
    "app:overview": RESULTS,
    "app:drivers": RESULTS,
    "app:reachability": RESULTS,
    "app:reachability-infographic": RESULTS,
    "app:employees": RESULTS,
    "app:benchmark": RESULTS,
    "app:segments": RESULTS,
    "app:measurements": RESULTS,
    "app:measurement": RESULTS,
    "app:export": READ_DATA,
    "app:import": MANAGE_DATA,
    "app:tokens": MANAGE_DATA,
    "app:revoke-token": MANAGE_DATA,
    "app:volumes": MANAGE_DATA,
    "app:units": MANAGE_DATA,
    "app:unit": MANAGE_DATA,
    "app:hours": MANAGE_DATA,
    "app:channel-hours": MANAGE_DATA,
    "app:fieldwork:studies": READ_DATA,
    "app:fieldwork:study": READ_DATA,
    "app:fieldwork:study-infographic": READ_DATA,
    "app:fieldwork:overdue-callbacks": READ_DATA,
    "app:fieldwork:study-new": MANAGE_DATA,
    "app:fieldwork:calibration": MANAGE_DATA,
    "privacy:forget": MANAGE_DATA,
    "sso:sign-in": MANAGE_DATA,
    "app:reports:reports": READ_DATA,
    "app:reports:report": READ_DATA,
    "app:reports:download": READ_DATA,
    # An organisation's own set-up (issue 22): whole-organisation members who manage data.
    "app:settings": MANAGE_DATA,
    "app:settings-norms": MANAGE_DATA,
    "app:settings-privacy": MANAGE_DATA,
    "app:settings-branding": MANAGE_DATA,
    "app:settings-language": MANAGE_DATA,
    "app:settings-changes": MANAGE_DATA,
    "app:team": MANAGE_DATA,
    "app:team-member": MANAGE_DATA,
    "app:team-invitation": MANAGE_DATA,
    "app:text:comments": READ_DATA,
    "app:text:social": READ_DATA,
    # Everyone who reads results reads the invitation funnel; wording, sending rules and
    # making invitations are for those who manage the organisation's data.
    "app:distribution:funnel": READ_DATA,
    "app:distribution:templates": MANAGE_DATA,
    "app:distribution:template": MANAGE_DATA,
    "app:distribution:template-preview": MANAGE_DATA,
    "app:distribution:settings": MANAGE_DATA,
    "app:distribution:invitations": MANAGE_DATA,
    # Shoppers' screens: any member may open their own day; an assignment is its
    # shopper's alone (another member gets 404, see below).
    "app:fieldwork:shopper-today": EVERYONE,
    "app:fieldwork:assignment": frozenset({"shopper"}),
    "app:fieldwork:assignment-tap": frozenset({"shopper"}),
    "app:fieldwork:assignment-callback": frozenset({"shopper"}),
}
# Pages without an organisation in the URL.
# "creators": members the operator allowed to create organisations (here the operator,
# a superuser); every other member gets 403 (issue 22).
OPEN_PAGES = {"healthz": "everyone", "app:home": "members", "app:organisation-new": "creators"}
ALLOWED = (200, 302, 400)  # 400: found, but an empty POST is not a valid action on it
DENIED = (403, 404)

ALPHA_SECRET = "alpha-secret-external-id"
BETA_SECRET = "beta-secret-external-id"


def _instrument(org, key: str, secret: str):
    with tenant(org):
        instrument = Instrument.objects.create(
            key=key, method="customer_survey", name_nl=key, name_en=key
        )
        version = publish_version(
            instrument=instrument,
            definition={
                "key": key,
                "method": "customer_survey",
                "questions": [{"key": "g", "type": "grade", "label": {"nl": "C", "en": "G"}}],
            },
        )
        record_measurement(
            version=version,
            answers={"g": 9},
            occurred_at=datetime(2026, 5, 2, 10, tzinfo=UTC),
            source="api",
            channel=Channel.objects.get(kind="phone"),
            external_id=secret,
        )


@pytest.fixture
def world(make_org, make_member, client):
    alpha, beta = make_org("alphaorg"), make_org("betaorg")
    users = {role: make_member(f"{role}@alpha.example", alpha, role) for role in MEMBER_ROLES}
    users["stranger"] = make_member("analyst@beta.example", beta, "analyst")
    beta_shopper = make_member("shopper@beta.example", beta, "shopper")
    own = _sample_objects(alpha, users["shopper"])
    foreign = _sample_objects(beta, beta_shopper)
    _instrument(alpha, "alpha-only", ALPHA_SECRET)
    _instrument(beta, "beta-only", BETA_SECRET)
    tokens = {
        "alpha-write": issue_api_token(organisation=alpha, name="w").secret,
        "alpha-read": issue_api_token(organisation=alpha, name="r", scope="read").secret,
        "beta": issue_api_token(organisation=beta, name="b").secret,
        "alpha-revoked": issue_api_token(organisation=alpha, name="x").secret,
        "alpha-expired": issue_api_token(organisation=alpha, name="e").secret,
    }
    ApiToken.unscoped_all_tenants.filter(name="x").update(revoked_at=timezone.now())
    ApiToken.unscoped_all_tenants.filter(name="e").update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    return {
        "alpha": alpha,
        "beta": beta,
        "users": users,
        "own": own,
        "foreign": foreign,
        "tokens": tokens,
        "client": client,
    }


def _as(world, role):
    client = world["client"]
    client.logout()
    headers = {}
    if role in world["users"]:
        client.force_login(world["users"][role])
    elif role == "foreign-token":
        headers = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['beta']}"}
    return client, headers


def _fetch(client, url, headers):
    response = client.get(url, **headers)
    return client.post(url, **headers) if response.status_code == 405 else response


def _assert_no_leak(response, *, other, secret, route):
    body = response.content.decode(errors="replace")
    for marker in (other.name, secret, f"@{other.slug[:-3]}.example"):
        assert marker not in body, f"{route}: shows {marker!r} of another organisation"


def test_every_page_has_a_policy():
    names = {name for name, _, params in _routes() if "org" in params}
    assert names == set(PAGE_POLICY), (
        f"decide who may open: {sorted(names - set(PAGE_POLICY))}; "
        f"gone: {sorted(set(PAGE_POLICY) - names)}"
    )
    assert set(SHOPPER_ROUTES) <= set(PAGE_POLICY)


def _expected_for_own(name, role):
    if role in ("anonymous", "foreign-token"):
        return "login"
    if role in PAGE_POLICY[name]:
        return "allowed"
    if role == "shopper" and name == "app:overview":
        return "today"
    return "denied"


def test_every_page_for_every_role_against_own_and_foreign_objects(world):
    cells = 0
    for name, route, params in _routes():
        for role in PAGE_ROLES:
            client, headers = _as(world, role)
            # The stranger belongs to beta: alpha is the other organisation for them.
            mine, theirs = (
                (world["foreign"], world["own"])
                if role == "stranger"
                else (
                    world["own"],
                    world["foreign"],
                )
            )
            other, secret = (
                (world["alpha"], ALPHA_SECRET)
                if role == "stranger"
                else (world["beta"], BETA_SECRET)
            )
            if "org" not in params:
                response = client.get(reverse(name), **headers)
                if OPEN_PAGES[name] == "creators" and role in world["users"]:
                    expected = ALLOWED if role == "operator" else DENIED
                    assert response.status_code in expected, (route, role, response.status_code)
                elif OPEN_PAGES[name] == "everyone" or role in world["users"]:
                    assert response.status_code in ALLOWED, (route, role)
                else:
                    assert response.status_code == 302, (route, role)
                    assert response["Location"].startswith("/accounts/login/")
                _assert_no_leak(response, other=other, secret=secret, route=route)
                cells += 1
                continue
            # The other organisation's URL, then the own organisation with a foreign id.
            for objects in (theirs, {**theirs, "org": mine["org"]}):
                if objects["org"] == mine["org"] and not set(params) - NOT_OBJECTS:
                    continue  # no object in the URL: nothing foreign to name
                response = _fetch(client, _url(name, params, objects), headers)
                if role in ("anonymous", "foreign-token"):
                    assert response.status_code == 302, (route, role)
                else:
                    assert response.status_code in DENIED, (route, role, response.status_code)
                _assert_no_leak(response, other=other, secret=secret, route=route)
            if role == "stranger":
                cells += 1
                continue  # the stranger's own organisation is another test's alpha
            response = _fetch(client, _url(name, params, mine), headers)
            expected = _expected_for_own(name, role)
            if expected == "login":
                assert response.status_code == 302, (route, role)
                assert response["Location"].startswith("/accounts/login/")
            elif expected == "allowed":
                assert response.status_code in ALLOWED, (route, role, response.status_code)
            elif expected == "today":
                assert response.status_code == 302
                assert response["Location"].endswith("/fieldwork/today/")
            else:
                assert response.status_code in DENIED, (route, role, response.status_code)
            _assert_no_leak(response, other=other, secret=secret, route=route)
            cells += 1
    routes = len(list(_routes()))
    assert cells == routes * len(PAGE_ROLES)
    print(f"\npages: {routes} routes × {len(PAGE_ROLES)} roles = {cells} cells")


# --- the API, walked from its OpenAPI document ------------------------------------

API_ROLES = (
    "write-token",
    "read-token",
    "foreign-token",
    "revoked-token",
    "expired-token",
    "no-token",
    "session",
)
PATH_SAMPLES = {
    "measurement_id": "measurement",
    "key": "alpha-only",
    "invitation_id": "invitation",
}
WRITE_BODIES = {
    "/api/v1/measurements": {
        "measurements": [
            {
                "instrument": "alpha-only",
                "occurred_at": "2026-05-03T10:00:00+02:00",
                "channel": "phone",
                "answers": {"g": 8},
            }
        ]
    },
    "/api/v1/channel-volumes": {
        "volumes": [{"channel": "phone", "month": "2026-05", "contacts": 1200}]
    },
    "/api/v1/invitations": {
        "instrument": "alpha-only",
        "invitations": [{"channel": "phone", "occurred_at": "2026-05-03T10:00:00+02:00"}],
    },
}


FINDINGS = {"too_few_responses", "no_benchmark"}


def _operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method in operations:
            yield path, method.upper()


def _api_url(path, world):
    url = path
    for name in [p.strip("{}") for p in path.split("/") if p.startswith("{")]:
        assert name in PATH_SAMPLES, f"{path}: no sample for path parameter {name!r}; add one"
        sample = PATH_SAMPLES[name]
        if sample == "measurement":
            value = Measurement.unscoped_all_tenants.get(external_id=ALPHA_SECRET).pk
        elif sample == "invitation":
            value = _alpha_invitation(world)
        else:
            value = sample
        url = url.replace("{" + name + "}", str(value))
    return url


def _alpha_invitation(world) -> int:
    """An invitation of alpha's (made once, through the service the API uses)."""
    from klantpeil.collection.ingest import create_invitations
    from klantpeil.collection.models import Invitation

    found = Invitation.unscoped_all_tenants.filter(organisation=world["alpha"]).first()
    if found is None:
        with tenant(world["alpha"]):
            found = create_invitations(
                events=[{"channel": "phone", "occurred_at": timezone.now()}],
                instrument="alpha-only",
            )[0][0]
    return found.pk


def _call(world, role, method, url, body):
    client = world["client"]
    client.logout()
    token = {
        "write-token": "alpha-write",
        "read-token": "alpha-read",
        "foreign-token": "beta",
        "revoked-token": "alpha-revoked",
        "expired-token": "alpha-expired",
    }.get(role)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][token]}"} if token else {}
    if role == "session":
        client.force_login(world["users"]["analyst"])
    if method == "GET":
        return client.get(url, **headers)
    return client.generic(
        method,
        url,
        data=json.dumps(body or {}),
        content_type="application/json",
        **headers,
    )


def _alpha_markers(world):
    return (world["alpha"].name, ALPHA_SECRET, "alpha@", "alphaorg")


def test_every_api_operation_for_every_role(world):
    alpha_count = Measurement.unscoped_all_tenants.filter(organisation=world["alpha"]).count
    cells = 0
    operations = list(_operations(world["client"]))
    assert ("/api/v1/measurements/{measurement_id}", "GET") in operations
    for path, method in operations:
        url = _api_url(path, world)
        body = WRITE_BODIES.get(path)
        assert method == "GET" or body is not None, f"{method} {path}: add a request body"
        for role in API_ROLES:
            before = alpha_count()
            response = _call(world, role, method, url, body)
            status = response.status_code
            text = response.content.decode()
            if role in ("no-token", "session", "revoked-token", "expired-token"):
                assert status == 401, (path, method, role, status)
                assert response.json()["code"] == "unauthenticated"
            elif role == "read-token" and method != "GET":
                assert status == 403, (path, method, role, status)
                assert response.json()["code"] == "read_only_token"
            elif role == "foreign-token":
                # Another organisation's token reaches only its own data: alpha's ids
                # and keys are "not found", its lists hold none of alpha's rows.
                if "{" in path:
                    assert status == 404, (path, method, role, status)
                else:
                    assert status in (200, 201, 404, 422), (path, method, role, status)
                for marker in _alpha_markers(world):
                    assert marker not in text.replace("alpha-only", ""), (path, role, marker)
            else:
                # Let in: the answer is the data, or a finding about it (too few
                # responses for drivers, no sector benchmark), never an access error.
                assert status in (200, 201) or response.json()["code"] in FINDINGS, (
                    path,
                    method,
                    role,
                    status,
                    text[:300],
                )
            if method != "GET" and role != "write-token":
                assert alpha_count() == before, (path, method, role)
            cells += 1
    assert cells == len(operations) * len(API_ROLES)
    print(f"\napi: {len(operations)} operations × {len(API_ROLES)} roles = {cells} cells")


def test_a_foreign_token_counts_only_its_own_measurements(world):
    client = world["client"]
    beta_headers = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['beta']}"}
    page = client.get("/api/v1/measurements", **beta_headers).json()
    beta_rows = Measurement.unscoped_all_tenants.filter(organisation=world["beta"]).count()
    assert page["count"] == beta_rows == 2
    assert {item["external_id"] for item in page["items"]} == {"", BETA_SECRET}
    alpha_id = Measurement.unscoped_all_tenants.get(external_id=ALPHA_SECRET).pk
    missing = client.get(f"/api/v1/measurements/{alpha_id}", **beta_headers)
    nonexistent = client.get("/api/v1/measurements/999999999", **beta_headers)
    assert missing.status_code == nonexistent.status_code == 404
    assert missing.content == nonexistent.content


def test_exports_hold_only_the_own_organisations_rows(world):
    _instrument(world["alpha"], "shared", "alpha-shared-row")
    _instrument(world["beta"], "shared", "beta-shared-row")
    client, _headers = _as(world, "viewer")
    for fmt in ("csv", "xlsx"):
        response = client.get(
            "/app/alphaorg/export/", {"instrument": "shared", "format": fmt, "period": ""}
        )
        assert response.status_code == 200
        body = response.content
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(body)).active
            body = repr([row for row in sheet.iter_rows(values_only=True)]).encode()
        assert b"alpha-shared-row" in body
        assert b"beta-shared-row" not in body and BETA_SECRET.encode() not in body


# --- members limited to units (issue 14) ------------------------------------------
#
# A team lead (a manager limited to units) and a viewer limited to units, both limited
# to alpha's "front" unit. Against objects of their unit every page answers as for
# their role, except the pages that manage data (they act on the whole organisation:
# 403); against objects of another unit of the same organisation the answer is the
# foreign id's (404), and nothing of that unit (its name, its rows, its reports)
# appears anywhere. The organisation's totals are checked in tests/test_unit_scope.py
# with hand-counted figures.

LIMITED_ROLES = {"team-lead": "manager", "unit-viewer": "viewer"}
OTHER_UNIT_NAME = "Hidden back office"
OTHER_UNIT_SECRET = "back-unit-secret-external-id"


def _unit_measurement(org, unit_code, secret, grade):
    from klantpeil.instruments.selectors import latest_version
    from klantpeil.organisations.models import Unit

    with tenant(org):
        return record_measurement(
            version=latest_version(key="walk"),
            answers={"g": grade},
            occurred_at=datetime(2026, 5, 3, 10, tzinfo=UTC),
            source="api",
            channel=Channel.objects.get(kind="phone"),
            unit=Unit.objects.get(code=unit_code),
            external_id=secret,
        ).pk


@pytest.fixture
def unit_world(world, make_member):
    from klantpeil.accounts.models import Membership
    from klantpeil.accounts.services import set_member_units
    from klantpeil.organisations.models import Unit
    from klantpeil.reports.models import ReportRun

    alpha = world["alpha"]
    with tenant(alpha):
        Unit.objects.create(code="back", name=OTHER_UNIT_NAME)
    users = {}
    for role, base in LIMITED_ROLES.items():
        users[role] = make_member(f"{role}@alpha.example", alpha, base)
        set_member_units(
            membership=Membership.objects.get(user=users[role], organisation=alpha),
            unit_codes=["front"],
        )
    own_measurement = _unit_measurement(alpha, "front", "front-unit-external-id", 8)
    other_measurement = _unit_measurement(alpha, "back", OTHER_UNIT_SECRET, 3)
    with tenant(alpha):
        from klantpeil.collection.ingest import create_invitations

        own_invitation, other_invitation = (
            create_invitations(
                events=[{"channel": "phone", "occurred_at": timezone.now(), "unit": code}],
                instrument="walk",
            )[0][0].pk
            for code in ("front", "back")
        )

        front = [Unit.objects.get(code="front").pk]
        # As reports.services.make stores them: the limited members' files were made
        # within their unit, the analyst's for the whole organisation.
        reports = {
            who: ReportRun.objects.create(
                period="2026-Q2",
                format="xlsx",
                language="nl",
                status="done",
                content=b"PK",
                requested_by=user,
                units=None if who == "analyst" else front,
            ).pk
            for who, user in [*users.items(), ("analyst", world["users"]["analyst"])]
        }
    lead_token = issue_api_token(
        organisation=alpha, name="lead", created_by=users["team-lead"], scope="read"
    ).secret
    return {
        **world,
        "limited": users,
        "own_measurement": own_measurement,
        "other_measurement": other_measurement,
        "own_invitation": own_invitation,
        "other_invitation": other_invitation,
        "reports": reports,
        "lead_token": lead_token,
    }


def _limited_expected(name, role):
    from klantpeil.accounts.permissions import manages_data

    policy = PAGE_POLICY[name]
    if LIMITED_ROLES[role] not in policy:
        return "denied"
    return "denied" if manages_data(policy) else "allowed"


def _assert_nothing_of_the_other_unit(response, route, role):
    body = response.content.decode(errors="replace")
    for marker in (OTHER_UNIT_NAME, OTHER_UNIT_SECRET, BETA_SECRET, "betaorg"):
        assert marker not in body, f"{route} ({role}): shows {marker!r}"


def test_every_page_for_members_limited_to_a_unit(unit_world):
    client = unit_world["client"]
    cells = other_unit_cells = 0
    for name, route, params in _routes():
        if "org" not in params:
            continue
        for role, user in unit_world["limited"].items():
            client.logout()
            client.force_login(user)
            mine = {
                **unit_world["own"],
                "pk": unit_world["own_measurement"],
                "report": unit_world["reports"][role],
            }
            response = _fetch(client, _url(name, params, mine), {})
            expected = _limited_expected(name, role)
            if expected == "allowed":
                assert response.status_code in ALLOWED, (route, role, response.status_code)
            else:
                assert response.status_code in DENIED, (route, role, response.status_code)
            _assert_nothing_of_the_other_unit(response, route, role)
            # Another unit's object: "not found", like another organisation's.
            if _unit_owned(name, params):
                other = {
                    **mine,
                    "pk": unit_world["other_measurement"],
                    "report": unit_world["reports"]["analyst"],
                }
                response = _fetch(client, _url(name, params, other), {})
                assert response.status_code in DENIED, (route, role, "other unit")
                if expected == "allowed":
                    assert response.status_code == 404, (route, role, response.status_code)
                _assert_nothing_of_the_other_unit(response, route, role)
                other_unit_cells += 1
            # Another organisation's objects stay as foreign as ever.
            response = _fetch(client, _url(name, params, unit_world["foreign"]), {})
            assert response.status_code in DENIED, (route, role, "foreign")
            cells += 1
    pages = len([1 for _, _, params in _routes() if "org" in params])
    assert cells == pages * len(LIMITED_ROLES)
    # The measurement page and the report's page and download, for both roles.
    assert other_unit_cells == 3 * len(LIMITED_ROLES)
    print(f"\nlimited pages: {pages} routes × {len(LIMITED_ROLES)} limited roles = {cells} cells")


def _unit_owned(name, params) -> bool:
    """Whether the route's object belongs to a unit (a measurement) or to whoever
    asked for it (a report)."""
    from tests.test_tenant_isolation import PK_KINDS

    if "pk" not in params:
        return False
    kind = next((k for prefix, k in PK_KINDS.items() if name.startswith(prefix)), "measurement")
    return kind in ("measurement", "report")


def test_every_api_operation_for_a_token_of_a_member_limited_to_a_unit(unit_world):
    client = unit_world["client"]
    client.logout()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {unit_world['lead_token']}"}
    cells = 0
    for path, method in _operations(client):
        url = path.replace("{key}", "walk")
        if method != "GET":
            response = client.generic(
                method, url, data=json.dumps(WRITE_BODIES[path]), content_type="application/json",
                **bearer,
            )  # fmt: skip
            assert response.status_code == 403, (path, method)  # a read-only token
            cells += 1
            continue
        parameter = next((p for p in ("measurement", "invitation") if f"{{{p}_id}}" in path), None)
        if parameter:
            name = f"{{{parameter}_id}}"
            own = client.get(url.replace(name, str(unit_world[f"own_{parameter}"])), **bearer)
            assert own.status_code == 200, path
            other = client.get(url.replace(name, str(unit_world[f"other_{parameter}"])), **bearer)
            nobody = client.get(url.replace(name, "999999999"), **bearer)
            assert other.status_code == nobody.status_code == 404, path
            assert other.content == nobody.content, path
            response = own
        else:
            response = client.get(url, **bearer)
            if path == "/api/v1/benchmarks/grade":
                # The sector comparison is the whole organisation's: not for a unit.
                assert response.status_code == 422 and response.json()["code"] == "off_grid"
            else:
                assert response.status_code == 200 or response.json()["code"] in FINDINGS, (
                    path,
                    response.status_code,
                )
        _assert_nothing_of_the_other_unit(response, path, "unit-token")
        cells += 1
    listed = client.get("/api/v1/measurements", **bearer).json()
    assert [m["external_id"] for m in listed["items"]] == ["front-unit-external-id"]
    assert listed["count"] == 1  # not alpha's three (two without a unit, one in back)
    assert [u["code"] for u in client.get("/api/v1/units", **bearer).json()] == ["front"]
    print(f"\nlimited api: {cells} operations")
