"""The demo says it is a demo, and no browser or API client ever sees a traceback or the
list of URL patterns (issue 21): DEBUG is off unless a developer sets KLANTPEIL_DEBUG=1.

A real `klantpeil serve` in the development configuration (what `klantpeil demo` runs)
is made to fail for real: its database has no tables yet, so every request that needs
one raises inside the server.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time

import pytest
from django.test import override_settings

from tests.conftest import free_port

DEBUG_MARKERS = (
    "Traceback",
    "Using the URLconf",  # Django's technical 404 lists every URL pattern
    "urlpatterns",
    "OperationalError",
    "no such table",
    'File "',
    "DEBUG = True",
)


def _assert_nothing_internal(body: str, what: str) -> None:
    for marker in DEBUG_MARKERS:
        assert marker not in body, f"{what} shows {marker!r}"


@pytest.fixture(scope="module")
def failing_server(tmp_path_factory):
    """`klantpeil serve` in development mode on a database without tables."""
    folder = tmp_path_factory.mktemp("unmigrated")
    port = free_port()
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KLANTPEIL_ENV", "KLANTPEIL_DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    log = folder / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "klantpeil.cli", "serve", "--no-worker", "--port", str(port)],
        env={**clean, "KLANTPEIL_DATA_DIR": str(folder), "KLANTPEIL_DEMO": "1"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/static/klantpeil/app.css")
            connection.getresponse().read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("klantpeil serve did not come up:\n" + log.read_text())
            time.sleep(0.3)
    yield port, log
    process.terminate()
    process.wait(timeout=20)


def _get(port: int, path: str, headers=None) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Accept-Language": "en", **(headers or {})})
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    return response.status, response.getheader("Content-Type", ""), body


def test_not_found_shows_no_url_list_in_html_or_json(failing_server):
    port, _ = failing_server
    status, content_type, body = _get(port, "/no/such/page/")
    assert status == 404 and content_type.startswith("text/html")
    assert "Page not found" in body
    assert "Demo" in body  # the demo banner, here too
    _assert_nothing_internal(body, "the 404 page")
    status, content_type, body = _get(port, "/api/v1/no-such-route")
    assert status == 404 and content_type == "application/json"
    assert json.loads(body) == {
        "status": 404,
        "code": "not_found",
        "message": "Not found.",
        "field": None,
        "errors": [],
    }


def test_a_server_error_shows_no_traceback_in_html_or_json(failing_server):
    port, log = failing_server
    # A session cookie makes the app read its (missing) session table.
    status, content_type, body = _get(port, "/app/", {"Cookie": "sessionid=" + "a" * 32})
    assert status == 500 and content_type.startswith("text/html")
    assert "Something went wrong" in body
    _assert_nothing_internal(body, "the 500 page")
    # A token makes the API read its (missing) token table.
    status, content_type, body = _get(
        port, "/api/v1/measurements", {"Authorization": "Bearer kp_abc_def"}
    )
    assert status == 500 and content_type == "application/json"
    error = json.loads(body)
    assert (error["status"], error["code"]) == (500, "server_error")
    _assert_nothing_internal(body, "the API's 500")
    # The operator's log has the reason.
    deadline = time.monotonic() + 5
    while "no such table" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "no such table" in log.read_text()


def test_static_files_are_served_without_debug(failing_server):
    port, _ = failing_server
    status, content_type, body = _get(port, "/static/klantpeil/app.css")
    assert status == 200 and content_type.startswith("text/css")
    assert ".demo-banner" in body


def test_the_demo_banner_is_on_every_page_of_a_demo_only(make_org, make_member, client):
    make_member("m@alpha.example", make_org("alpha"), "manager")
    banner = "Every organisation, person and figure here is made up"
    with override_settings(KLANTPEIL_DEMO=True):
        assert banner in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        client.login(email="m@alpha.example", password="pw-for-tests-only")
        for url in ("/app/alpha/", "/app/alpha/measurements/", "/accounts/password/change/"):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en", follow=True)
            assert banner in response.content.decode(), url
    assert banner not in client.get("/app/alpha/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_failed_report_shows_a_plain_message_and_logs_the_cause(
    make_org, make_member, client, caplog
):
    from klantpeil.core.tenancy import tenant
    from klantpeil.reports.models import ReportRun
    from klantpeil.reports.services import make

    org = make_org("alpha")
    client.force_login(make_member("m@alpha.example", org, "manager"))
    with tenant(org):
        # A format no builder makes: the build raises inside the worker's task.
        run = ReportRun.objects.create(period="2026-Q2", format="docx", language="nl")
    with pytest.raises(ValueError) as raised:
        make(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert str(raised.value)[:50] in run.error  # kept for the operator
    assert any(
        r.name == "klantpeil.reports.services" and r.exc_info and f"Report {run.pk}" in r.message
        for r in caplog.records
    )
    page = client.get(f"/app/alpha/reports/{run.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert "The report could not be made. Please try again" in text
    assert str(raised.value) not in text and "docx" not in text.split("report-status")[1]


@override_settings(DEBUG=False)
def test_not_found_in_process_uses_the_same_pages(client, db):
    response = client.get("/app/no-such-org/whatever", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    _assert_nothing_internal(response.content.decode(), "404")
