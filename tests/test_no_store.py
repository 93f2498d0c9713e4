"""``Cache-Control: no-store`` on every page, API answer and download (issue 21).

Pages come from the URL configuration (the route walk of the tenant-isolation test) and
API operations from the OpenAPI document, so a new route is covered without anyone
remembering it. Static files, served by WhiteNoise, stay cacheable.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from klantpeil.accounts.services import issue_api_token
from tests.test_authorization_matrix import PATH_SAMPLES, WRITE_BODIES
from tests.test_tenant_isolation import _routes, _sample_objects, _url


def _assert_no_store(response, what: str) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, f"{what}: Cache-Control {response.get('Cache-Control')!r}"
    assert "private" in directives, what


@pytest.fixture
def alpha(make_org, make_member, client):
    org = make_org("alpha")
    analyst = make_member("analyst@alpha.example", org, "analyst")
    shopper = make_member("shopper@alpha.example", org, "shopper")
    return {"org": org, "analyst": analyst, "shopper": shopper}


def test_every_page_for_members_and_visitors(alpha, client):
    objects = _sample_objects(alpha["org"], alpha["shopper"])
    checked = 0
    for user in ("analyst", "shopper", None):
        client.logout()
        if user:
            client.force_login(alpha[user])
        for name, route, params in _routes():
            url = _url(name, params, objects) if params else reverse(name)
            response = client.get(url)
            if response.status_code == 405:
                response = client.post(url)
            _assert_no_store(response, f"{route} as {user or 'visitor'} ({response.status_code})")
            checked += 1
    for url in ("/accounts/login/", "/accounts/password/reset/", "/", "/no-such-page"):
        _assert_no_store(client.get(url), url)
    assert checked >= 3 * 25


def test_downloads_and_a_new_tokens_secret(alpha, client):
    objects = _sample_objects(alpha["org"], alpha["shopper"])
    client.force_login(alpha["analyst"])
    downloads = [
        client.get("/app/alpha/export/", {"instrument": "walk", "format": fmt, "period": ""})
        for fmt in ("csv", "xlsx")
    ]
    downloads.append(client.get(reverse("app:reports:download", args=["alpha", objects["report"]])))
    for response in downloads:
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        _assert_no_store(response, response["Content-Disposition"])
    made = client.post("/app/alpha/tokens/", {"name": "n", "days": 3, "scope": "read"})
    assert made.status_code == 200 and "kp_" in made.content.decode()
    _assert_no_store(made, "the page with a new token's secret")


def test_every_api_answer(alpha, client):
    from klantpeil.collection.models import Measurement

    _sample_objects(alpha["org"], alpha["shopper"])
    secret = issue_api_token(organisation=alpha["org"], name="t").secret
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    spec = client.get("/api/v1/openapi.json")
    _assert_no_store(spec, "openapi.json")
    checked = 0
    for path, operations in spec.json()["paths"].items():
        url = path
        for name in [p.strip("{}") for p in path.split("/") if p.startswith("{")]:
            sample = PATH_SAMPLES[name]
            value = (
                Measurement.unscoped_all_tenants.first().pk if sample == "measurement" else "walk"
            )
            url = url.replace("{" + name + "}", str(value))
        for method in operations:
            for headers in (auth, {}):  # the answer, and the refusal without a token
                response = client.generic(
                    method.upper(),
                    url,
                    data=json.dumps(WRITE_BODIES.get(path, {})),
                    content_type="application/json",
                    **headers,
                )
                _assert_no_store(response, f"{method.upper()} {url} ({response.status_code})")
                checked += 1
    _assert_no_store(client.get("/api/v1/no-such-route", **auth), "an unknown API route")
    assert checked >= 2 * 8


def test_static_files_stay_cacheable(client, db):
    response = client.get("/static/klantpeil/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
