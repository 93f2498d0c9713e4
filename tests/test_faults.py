"""Faults: the server and the worker killed with SIGKILL lose and duplicate nothing.

Real processes on 127.0.0.1 (``klantpeil serve --no-worker`` and ``klantpeil
worker``), on SQLite in the SQLite pass and on PostgreSQL in the PostgreSQL pass.

1. Bulk ingestion through the API (batches with ``external_id``) while the server
   is killed in the middle of requests and the worker at random moments. The client
   does what the API asks of integrators: it retries a batch whose acknowledgement
   it did not get. Afterwards every measurement sent is stored exactly once, under
   the id it was acknowledged with, and the rollups equal a full rebuild.
2. The rollup worker killed again and again in the middle of a long refresh: each
   time it starts again it goes on with what is left in the outbox (organisations
   already folded in are not touched again), takes up the task the killed worker
   left RUNNING, and ends with the figures of ``klantpeil rollups rebuild``, to the
   last cell and in ``/api/v1/kpis``.

Each test stays under a minute on this machine. The figures (faults injected,
acknowledgements lost, measurements lost and duplicated) are printed with ``-s``.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import _served

pytestmark = pytest.mark.skipif(
    connection.vendor not in ("sqlite", "postgresql"), reason="SQLite or PostgreSQL"
)


@pytest.fixture
def env(tmp_path, request):
    """A fresh database of the kind this pass runs on: a SQLite folder or a PG database."""
    if connection.vendor == "postgresql":
        url = _served.fresh_postgres(
            os.environ["DATABASE_URL"], f"faults_{request.node.name[5:20]}"
        )
        return _served.environment(database_url=url, data_dir=str(tmp_path))
    return _served.environment(data_dir=str(tmp_path))


def _items(
    prefix: str, count: int, rng: random.Random, *, first_day: int = 0, days: int = 300
) -> list[dict]:
    start = datetime(2026, 1, 1, 8, tzinfo=UTC) + timedelta(days=first_day)
    items = []
    for i in range(count):
        answers = dict(CUSTOMER_SURVEY_ANSWERS)
        for key in ("overall_grade", "reliability_promise", "empathy_serious", "waiting_time"):
            answers[key] = rng.randint(1, 10)
        answers["nps"] = rng.randint(0, 10)
        items.append(
            {
                "instrument": "customer-survey",
                "occurred_at": (start + timedelta(minutes=rng.randrange(days * 1440))).isoformat(),
                "channel": rng.choice(["email", "counter"]),
                "unit": "front",
                "external_id": f"{prefix}-{i}",
                "answers": answers,
            }
        )
    return items


def _rollups(env: dict) -> dict[str, list]:
    """Every rollup cell, without its row id, in a fixed order."""
    tables = {}
    for table in ("analytics_answerrollup", "analytics_driverrollup"):
        rows = _served.query(env, f"SELECT * FROM {table}")
        tables[table] = sorted(json.dumps(row[1:], default=str) for row in rows)
    return tables


def _pending(env: dict) -> dict[int, int]:
    """Per organisation, the measurements waiting in the rollups' outbox."""
    rows = _served.query(
        env,
        "SELECT organisation_id, count(*) FROM analytics_measurementrecorded "
        "WHERE subscriber = 'rollups' GROUP BY organisation_id",
    )
    return dict(rows)


def _folds(env: dict) -> dict[int, tuple[int, str]]:
    """Per organisation, the measurements folded in so far and when it was last folded."""
    rows = _served.query(env, "SELECT organisation_id, folded, folded_at FROM analytics_rollupfold")
    return {org: (folded, str(at)) for org, folded, at in rows}


def _tasks(env: dict, status: str) -> set[str]:
    rows = _served.query(
        env, f"SELECT id FROM django_tasks_database_dbtaskresult WHERE status = '{status}'"
    )
    return {str(pk) for (pk,) in rows}


def _wait_until_folded(env: dict, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pending(env):
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker did not catch up: {_pending(env)} still pending")


def _kpis(port: int, tokens: list[str]) -> list:
    return [_served.request(port, "GET", "/api/v1/kpis", token=token)[1] for token in tokens]


def _same_as_a_full_rebuild(env: dict, port: int, tokens: list[str]) -> None:
    before, kpis = _rollups(env), _kpis(port, tokens)
    assert before["analytics_answerrollup"], "no rollups at all: nothing was compared"
    _served.klantpeil(env, "rollups", "rebuild")
    assert _rollups(env) == before
    assert _kpis(port, tokens) == kpis


def test_sigkill_of_server_and_worker_mid_ingestion_loses_and_duplicates_nothing(env):
    [token] = _served.prepare(env)
    server, worker = _served.Server(env), _served.Process(env, "worker", "--interval", "0.2")
    server.start()
    worker.start()
    rng = random.Random(11)
    batches, size = 16, 250
    server_kills = set(rng.sample(range(1, batches), 3))
    worker_kills = set(rng.sample(range(1, batches), 3))
    acknowledged: dict[str, int] = {}
    figures = {"server_kills": 0, "worker_kills": 0, "unacknowledged": 0, "retries": 0}
    took = 0.1  # seconds the last batch took: a kill is aimed inside the next one
    try:
        for number in range(batches):
            # Contacts of the last day or two, as a system sends them day by day.
            items = _items(f"b{number}", size, rng, first_day=number * 2, days=2)
            if number in worker_kills:
                worker.kill()
                figures["worker_kills"] += 1
                worker.start()
            killer = None
            if number in server_kills:
                killer = threading.Timer(rng.uniform(0.1, 0.7) * took, server.kill)
                killer.start()
                figures["server_kills"] += 1
            while True:
                sent = time.monotonic()
                try:
                    status, body = _served.request(
                        server.port,
                        "POST",
                        "/api/v1/measurements",
                        {"measurements": items},
                        token=token,
                    )
                except (OSError, http.client.HTTPException):
                    # No acknowledgement: the batch may or may not be stored. Retry it.
                    figures["unacknowledged"] += 1
                    if killer:
                        killer.join()
                    if not server.alive():
                        server.start()
                    figures["retries"] += 1
                    continue
                assert status in (200, 201), body
                took = time.monotonic() - sent
                for item, result in zip(items, body["items"], strict=True):
                    acknowledged[item["external_id"]] = result["id"]
                break
            if killer:
                killer.join()
                if not server.alive():  # the kill came just after the answer
                    server.start()
        _wait_until_folded(env)
        stored = _served.all_measurements(server.port, token)
        ids = [m["external_id"] for m in stored]
        figures["sent"] = batches * size
        figures["stored"] = len(stored)
        figures["lost"] = len(set(acknowledged) - set(ids))
        figures["duplicated"] = len(ids) - len(set(ids))
        print("\nfaults:", json.dumps(figures))
        assert figures["lost"] == 0 and figures["duplicated"] == 0
        assert len(stored) == batches * size == len(acknowledged)
        assert {m["external_id"]: m["id"] for m in stored} == acknowledged
        assert figures["unacknowledged"] >= 1  # some kill did land in the middle of a request
        _same_as_a_full_rebuild(env, server.port, [token])
    finally:
        server.stop()
        worker.stop()


def test_the_rollup_worker_killed_mid_refresh_resumes_and_takes_up_its_task(env):
    slugs = ["noord", "oost", "zuid", "west"]
    tokens = _served.prepare(env, *slugs)
    server = _served.Server(env)
    server.start()
    rng = random.Random(5)
    try:
        # A backlog the worker has not seen: the server runs without one.
        for slug, token in zip(slugs, tokens, strict=True):
            for number in range(3):
                status, body = _served.request(
                    server.port,
                    "POST",
                    "/api/v1/measurements",
                    {"measurements": _items(f"{slug}{number}", 1000, rng)},
                    token=token,
                )
                assert status == 201, body
        backlog = _pending(env)
        assert sorted(backlog.values()) == [3000] * 4
        worker = _served.Process(env, "worker", "--interval", "0.2")
        worker.start()
        kills, folded_at_kill, abandoned = 0, {}, set()
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            pending = _pending(env)
            folded = set(backlog) - set(pending)
            if not pending:
                break
            if len(folded) > len(folded_at_kill):
                running = _tasks(env, "RUNNING")
                worker.kill()  # in the middle of the next organisation's refresh
                kills += 1
                abandoned |= running
                folds = _folds(env)
                folded_at_kill = {org: folds[org] for org in folded}
                worker.start()
            time.sleep(0.02)
        print(f"\nworker kills mid-refresh: {kills}, tasks left running: {len(abandoned)}")
        assert kills >= 2, "the refresh finished before it could be interrupted"
        assert abandoned, "no kill landed while a task ran"
        # The tasks the killed workers left RUNNING are taken up again and finish.
        deadline = time.monotonic() + 30
        while _tasks(env, "RUNNING") and time.monotonic() < deadline:
            time.sleep(0.2)
        worker.stop()
        assert _pending(env) == {}
        assert _tasks(env, "RUNNING") == set()
        assert abandoned <= _tasks(env, "SUCCESSFUL")
        folds = _folds(env)
        # Each measurement was folded in once; what was folded before a kill was not again.
        assert {org: folded for org, (folded, _) in folds.items()} == backlog
        assert {org: folds[org] for org in folded_at_kill} == folded_at_kill
        _same_as_a_full_rebuild(env, server.port, tokens)
    finally:
        server.stop()
