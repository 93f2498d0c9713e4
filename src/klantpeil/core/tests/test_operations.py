import pytest
from django.db import connection

from klantpeil.accounts.models import Role
from klantpeil.accounts.roles import ROLE_NAMES


def test_role_names_known_to_the_cli_match_the_model():
    assert tuple(Role.values) == ROLE_NAMES


@pytest.mark.django_db
def test_operators_reach_the_back_office_and_members_do_not(make_org, make_member, client):
    org = make_org("alpha")
    manager = make_member("manager@alpha.example", org, "manager")
    operator = make_member("ops@klantpeil.example", None, "operator")
    client.force_login(manager)
    assert client.get("/admin/").status_code == 302  # to the admin login
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/collection/measurement/").status_code == 200
    assert client.get("/admin/organisations/unit/").status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_runs_in_wal_mode(tmp_path):
    import sqlite3

    from django.conf import settings

    options = settings.DATABASES["default"]["OPTIONS"]
    db = sqlite3.connect(tmp_path / "x.sqlite3")
    db.executescript(options["init_command"])
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
