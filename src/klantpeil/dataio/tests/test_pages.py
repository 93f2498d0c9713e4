"""Import, export and tokens in the app, with the roles that may use them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from klantpeil.accounts.models import ApiToken
from klantpeil.collection.models import Measurement

FILES = Path(__file__).parent / "files"


@pytest.fixture
def manager(make_org, make_member, client):
    org = make_org("alpha")
    client.force_login(make_member("m@alpha.example", org, "manager"))
    return client, org


def _upload(client, name, mapping=True, **extra):
    data = {
        "file": io.BytesIO((FILES / name).read_bytes()),
        "instrument": "customer-survey",
        **extra,
    }
    data["file"].name = name
    if mapping:
        data["mapping"] = io.BytesIO((FILES / "mapping.json").read_bytes())
        data["mapping"].name = "mapping.json"
    return client.post("/app/alpha/import/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_bad_file_shows_every_problem_and_imports_nothing(manager):
    client, _ = manager
    response = _upload(client, "bad_unknown_channel_and_unit.csv")
    assert response.status_code == 422
    page = response.content.decode()
    assert "2 problems, nothing was imported" in page
    assert "Kelder" in page and "unknown unit code" in page
    assert Measurement.unscoped_all_tenants.count() == 0


def test_a_good_file_is_imported(manager):
    client, _ = manager
    response = _upload(client, "good_semicolon_cp1252.csv")
    assert response.status_code == 200
    assert "3 measurements imported" in response.content.decode()
    assert Measurement.unscoped_all_tenants.count() == 3


def test_export_downloads_an_excel_file(manager):
    client, _ = manager
    _upload(client, "good_semicolon_cp1252.csv")
    response = client.get(
        "/app/alpha/export/?instrument=customer-survey&period=2026-09&format=xlsx"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('klantpeil-alpha-customer-survey-2026-09.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4  # header and three measurements


def test_a_token_is_shown_once_and_can_be_revoked(manager):
    client, _ = manager
    made = client.post(
        "/app/alpha/tokens/", {"name": "CRM", "days": 30, "scope": "read"}
    ).content.decode()
    token = ApiToken.unscoped_all_tenants.get()
    assert token.scope == "read"
    assert f"kp_{token.prefix}_" in made
    listing = client.get("/app/alpha/tokens/").content.decode()
    assert f"kp_{token.prefix}_" not in listing.replace(f"kp_{token.prefix}</code>", "")
    client.post(f"/app/alpha/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize(
    ("role", "page", "status"),
    [
        ("viewer", "import", 403),
        ("viewer", "tokens", 403),
        ("viewer", "export", 200),
        ("shopper", "export", 403),
        ("analyst", "import", 200),
    ],
)
def test_roles_decide_who_may_import_export_and_make_tokens(
    make_org, make_member, client, role, page, status
):
    org = make_org("alpha")
    client.force_login(make_member(f"{role}@alpha.example", org, role))
    assert client.get(f"/app/alpha/{page}/").status_code == status
