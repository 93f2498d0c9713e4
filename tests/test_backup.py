"""``klantpeil backup`` and ``klantpeil restore`` round trips give identical KPIs.

Run as an operator runs them: the installed command in its own process, on a
database the demo filled (20 organisations, a mix of every instrument, rollups
built). SQLite in the SQLite pass, PostgreSQL (pg_dump/pg_restore) in the
PostgreSQL pass. On SQLite a backup is also taken while the server stores
batches through the API: each copy is a consistent database holding whole
batches only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import _served

KPIS = """
import dataclasses, json
from klantpeil.analytics.selectors import channel_kpis
from klantpeil.collection.models import Measurement
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Organisation
figures = {"measurements": Measurement.unscoped_all_tenants.count()}
for org in Organisation.objects.order_by("slug"):
    with tenant(org):
        figures[org.slug] = [
            dataclasses.asdict(kpis)
            for rollups in (True, False)
            for kpis in channel_kpis(MeasurementFilter(), from_rollups=rollups)
        ]
print(json.dumps(figures, sort_keys=True, default=str))
"""


def kpis(env: dict) -> dict:
    return json.loads(_served.klantpeil(env, "manage", "shell", "-c", KPIS).splitlines()[-1])


def _demo(env: dict) -> dict:
    _served.klantpeil(env, "demo", "--no-serve", "--scale", "0.005", "--seed", "4")
    figures = kpis(env)
    assert figures["measurements"] > 500 and len(figures) == 21
    return figures


def _run(env: dict, *args: str):
    return _served.subprocess.run(
        [sys.executable, "-m", "klantpeil.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs in the SQLite pass")
def test_sqlite_round_trip_gives_identical_kpis(tmp_path):
    source = _served.environment(data_dir=str(tmp_path / "source"))
    before = _demo(source)
    backup = tmp_path / "klantpeil-backup.sqlite3"
    out = _served.klantpeil(source, "backup", str(backup))
    assert f"Backed up 20 organisations and {before['measurements']:,} measurements" in out
    assert not list(tmp_path.glob("*.partial"))

    target = _served.environment(data_dir=str(tmp_path / "target"))
    out = _served.klantpeil(target, "restore", str(backup))
    assert f"Restored 20 organisations and {before['measurements']:,} measurements" in out
    assert kpis(target) == before
    itself = _run(target, "backup", str(tmp_path / "target" / "klantpeil.sqlite3"))
    assert itself.returncode == 2 and "is the database itself" in itself.stderr

    again = _run(target, "restore", str(backup))
    assert again.returncode == 2
    assert "already holds 20 organisation(s)" in again.stderr and "--replace" in again.stderr
    assert _run(target, "restore", str(backup), "--replace").returncode == 0
    assert kpis(target) == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="runs in the SQLite pass")
def test_sqlite_backups_taken_while_the_server_writes_hold_whole_batches(tmp_path):
    env = _served.environment(data_dir=str(tmp_path / "live"))
    [token] = _served.prepare(env)
    server = _served.Server(env)
    server.start()
    batch, stored, stop = 100, [], threading.Event()

    def write() -> None:
        number = 0
        while not stop.is_set():
            items = [_measurement(f"b{number}-{i}") for i in range(batch)]
            status, body = _served.request(
                server.port, "POST", "/api/v1/measurements", {"measurements": items}, token=token
            )
            assert status == 201, body
            stored.append(number)
            number += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        copies = []
        while len(copies) < 4:
            if len(stored) > 2 * (len(copies) + 1):
                copy = tmp_path / f"live-{len(copies)}.sqlite3"
                _served.klantpeil(env, "backup", str(copy))
                copies.append(copy)
    finally:
        stop.set()
        writer.join(timeout=60)
        server.stop()
    counts = []
    for copy in copies:
        db = sqlite3.connect(copy)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts.append(db.execute("SELECT count(*) FROM collection_measurement").fetchone()[0])
        answers = db.execute("SELECT count(*) FROM collection_answer").fetchone()[0]
        db.close()
        assert counts[-1] % batch == 0  # a batch is all or nothing, in a copy too
        assert answers == counts[-1] * 12  # and every measurement has all its answers
    assert counts == sorted(counts) and counts[-1] > counts[0] > 0


def _measurement(external_id: str) -> dict:
    from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS

    return {
        "instrument": "customer-survey",
        "occurred_at": "2026-09-14T10:30:00+02:00",
        "channel": "email",
        "external_id": external_id,
        "answers": CUSTOMER_SURVEY_ANSWERS,
    }


def _pg_database(suffix: str) -> str:
    return _served.fresh_postgres(os.environ["DATABASE_URL"], suffix)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="runs in the PostgreSQL pass")
def test_postgresql_round_trip_through_pg_dump_gives_identical_kpis(tmp_path):
    source = _served.environment(database_url=_pg_database("backup_source"))
    before = _demo(source)
    backup = tmp_path / "klantpeil.pgdump"
    _served.klantpeil(source, "backup", str(backup))
    assert backup.read_bytes().startswith(b"PGDMP")

    target = _served.environment(database_url=_pg_database("backup_target"))
    _served.klantpeil(target, "migrate")  # an installed, empty Klantpeil: still replaced
    out = _served.klantpeil(target, "restore", str(backup))
    assert f"Restored 20 organisations and {before['measurements']:,} measurements" in out
    assert kpis(target) == before

    # Without the client tools the operator is told what to install.
    bare = {**source, "PATH": str(tmp_path / "nothing-here")}
    missing = _run(bare, "backup", str(tmp_path / "never.pgdump"))
    assert missing.returncode == 2
    assert "pg_dump was not found on PATH" in missing.stderr
    assert "postgresql-client" in missing.stderr
    # A SQLite file is refused by a PostgreSQL database, with the reason.
    wrong = tmp_path / "wrong.sqlite3"
    sqlite3.connect(wrong).execute("CREATE TABLE t (x)").connection.commit()
    refused = _run(target, "restore", str(wrong), "--replace")
    assert refused.returncode == 2 and "is a sqlite backup" in refused.stderr
