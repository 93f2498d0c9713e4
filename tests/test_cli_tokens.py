"""`klantpeil token`: read-only tokens, and a list that shows each token's access."""

from __future__ import annotations

import contextlib
import io
from datetime import timedelta

from django.utils import timezone, translation

from klantpeil.accounts.models import ApiToken
from klantpeil.cli import main


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    # The command speaks English; give the test's language back afterwards.
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        translation.override("nl"),
    ):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_read_only_tokens_are_made_listed_and_refused_writes(make_org, client):
    make_org("alpha")
    code, secret, note = _run("token", "--org", "alpha", "--name", "dashboard", "--read-only")
    assert code == 0 and secret.startswith("kp_")
    assert "(read only)" in note
    code, _secret, note = _run("token", "--org", "alpha", "--name", "crm", "--days", "30")
    assert code == 0 and "(read and write)" in note
    read_only = ApiToken.unscoped_all_tenants.get(name="dashboard")
    assert (read_only.scope, ApiToken.unscoped_all_tenants.get(name="crm").scope) == (
        "read",
        "write",
    )

    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret.strip()}"}
    assert client.get("/api/v1/units", **auth).status_code == 200
    refused = client.post("/api/v1/measurements", {}, content_type="application/json", **auth)
    assert refused.status_code == 403 and refused.json()["code"] == "read_only_token"

    # One revoked, one expired, one used just now.
    ApiToken.unscoped_all_tenants.filter(name="crm").update(revoked_at=timezone.now())
    _run("token", "--org", "alpha", "--name", "old")
    ApiToken.unscoped_all_tenants.filter(name="old").update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    code, listing, _ = _run("token", "--org", "alpha", "--list")
    assert code == 0
    lines = listing.splitlines()
    assert lines[0].split() == ["PREFIX", "NAME", "ACCESS", "STATE", "LAST", "USED"]
    rows = {line.split()[1]: line for line in lines[1:]}
    assert set(rows) == {"dashboard", "crm", "old"}
    used = timezone.localtime(ApiToken.unscoped_all_tenants.get(name="dashboard").last_used_at)
    expires = timezone.localtime(read_only.expires_at)
    assert rows["dashboard"].split() == [
        read_only.prefix,
        "dashboard",
        "read",
        "only",
        "expires",
        f"{expires:%Y-%m-%d}",
        f"{used:%Y-%m-%d}",
        f"{used:%H:%M}",
    ]
    assert rows["crm"].split()[2:6] == ["read", "and", "write", "revoked"]
    assert rows["crm"].endswith("never")
    assert rows["old"].split()[5] == "expired"


def test_an_unknown_organisation_is_a_clear_error(db):
    code, out, err = _run("token", "--org", "nope", "--list")
    assert code == 2 and out == ""
    assert "no organisation with slug 'nope'" in err
