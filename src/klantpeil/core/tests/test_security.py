"""Hardened accounts and responses: headers, CSRF, lockout, session expiry, two-factor."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from klantpeil.core.security import CONTENT_SECURITY_POLICY, SEEN, STARTED

PACKAGE = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((PACKAGE / "templates").rglob("*.html"))
OUR_SCRIPTS = [p for p in (PACKAGE / "core" / "static" / "klantpeil").glob("*.js") if p.is_file()]
PASSWORD = "pw-for-tests-only"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # allauth keeps its login counters in the cache
    yield
    cache.clear()


@pytest.fixture
def analyst(make_org, make_member):
    org = make_org("alpha")
    return make_member("analyst@alpha.example", org, "analyst")


def test_every_response_carries_the_security_headers(client, analyst):
    client.force_login(analyst)
    for url in ("/app/alpha/", "/accounts/login/", "/healthz", "/api/v1/openapi.json"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert response["Permissions-Policy"].startswith("accelerometer=(), camera=()"), url
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_templates_have_no_inline_script_or_event_handler(template):
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), "an inline event handler attribute"
    assert "javascript:" not in text


@pytest.mark.parametrize("script", OUR_SCRIPTS, ids=lambda p: p.name)
def test_our_scripts_need_no_eval(script):
    text = script.read_text()
    assert not re.search(r"\beval\(|new Function\(|\bFunction\(", text)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_post_form_carries_the_csrf_token(template):
    text = template.read_text()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.DOTALL | re.IGNORECASE):
        opening = form[: form.index(">") + 1].lower()
        if 'method="post"' in opening or "hx-post" in opening:
            assert "{% csrf_token %}" in form, f"a POST form without the CSRF token: {opening}"


def test_a_post_without_the_csrf_token_is_refused(make_org, make_member):
    org = make_org("alpha")
    user = make_member("m@alpha.example", org, "manager")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/app/alpha/tokens/", {"name": "x", "days": 3, "scope": "read"})
    assert response.status_code == 403
    login = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"login": "m@alpha.example", "password": PASSWORD}
    )
    assert login.status_code == 403


def _log_in(client, email, password=PASSWORD):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_five_failed_logins_lock_the_account_for_a_while(make_org, make_member, client):
    org = make_org("alpha")
    make_member("victim@alpha.example", org, "analyst")
    make_member("other@alpha.example", org, "analyst")
    for _ in range(5):
        response = _log_in(client, "victim@alpha.example", "wrong-password")
        assert response.status_code == 200
        assert "Too many failed login attempts" not in response.content.decode()
    locked = _log_in(client, "victim@alpha.example")  # now even the right password
    assert "Too many failed login attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by it.
    assert _log_in(client, "other@alpha.example").status_code == 302
    assert client.session["_auth_user_id"]


def test_the_right_password_before_the_limit_logs_in(make_org, make_member, client):
    make_member("m@alpha.example", make_org("alpha"), "analyst")
    for _ in range(4):
        _log_in(client, "m@alpha.example", "wrong-password")
    assert _log_in(client, "m@alpha.example").status_code == 302


@pytest.mark.parametrize(
    ("started_ago", "seen_ago", "still_in"),
    [
        (60 * 60, 60 * 29, True),  # idle 29 minutes: fine
        (60 * 60, 60 * 31, False),  # idle 31 minutes: out
        (60 * 60 * 12 - 60, 10, True),  # busy for almost 12 hours: fine
        (60 * 60 * 12 + 60, 10, False),  # busy for over 12 hours: out
    ],
)
def test_sessions_end_when_idle_or_too_old(client, analyst, started_ago, seen_ago, still_in):
    client.force_login(analyst)
    assert client.get("/app/alpha/").status_code == 200
    session = client.session
    now = int(time.time())
    session[STARTED], session[SEEN] = now - started_ago, now - seen_ago
    session.save()
    response = client.get("/app/alpha/")
    if still_in:
        assert response.status_code == 200
        # The request counts as activity (written at most once a minute).
        if seen_ago >= 60:
            assert client.session[SEEN] >= now
        else:
            assert client.session[SEEN] == now - seen_ago
    else:
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/app/alpha/"
        assert "_auth_user_id" not in client.session
        assert client.get("/app/alpha/").status_code == 302  # logged out for good


def test_session_cookies_are_http_only_and_end_with_the_browser(client, analyst):
    response = _log_in(client, "analyst@alpha.example")
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie


def _operator(make_org, make_member):
    org = make_org("alpha")
    return make_member("op@klantpeil.example", org, "operator")


def _current_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@override_settings(KLANTPEIL_OPERATOR_MFA_REQUIRED=True)
def test_an_operator_without_totp_sets_it_up_before_reaching_admin_or_app(
    make_org, make_member, client
):
    operator = _operator(make_org, make_member)
    analyst = make_member("a@alpha.example", operator.memberships.get().organisation, "analyst")
    assert _log_in(client, "op@klantpeil.example").status_code == 302
    for url in ("/admin/", "/app/alpha/", "/app/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password once more before showing the secret.
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    setup = client.get(reverse("mfa_activate_totp"), HTTP_ACCEPT_LANGUAGE="en")
    assert setup.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in setup.content.decode()  # the QR code
    secret = client.session["mfa.totp.secret"]
    done = client.post(reverse("mfa_activate_totp"), {"code": _current_code(secret)})
    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/app/alpha/").status_code == 200
    client.force_login(analyst)  # two-factor stays optional for everyone else
    assert client.get("/app/alpha/").status_code == 200


def test_outside_production_an_operator_may_work_without_totp(make_org, make_member, client):
    client.force_login(_operator(make_org, make_member))
    assert client.get("/admin/").status_code == 200


def test_a_user_with_totp_must_give_the_code_at_login(make_org, make_member, client):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    operator = _operator(make_org, make_member)
    secret = generate_totp_secret()
    TOTP.activate(operator, secret)
    response = _log_in(client, "op@klantpeil.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not in yet
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    right = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(operator.pk)
