"""A worker killed (SIGKILL) in the middle of a batch: nothing sent twice, nothing lost.

Real processes: ``klantpeil worker`` sends to a real SMTP server (aiosmtpd) in this
test; the test kills it, starts a new worker, and counts what the server received.
The database is a file of its own (SQLite) or a database of its own (PostgreSQL pass).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from klantpeil.distribution.tests.conftest import Inbox, free_port

COUNT = 120
SRC = str(Path(__file__).resolve().parents[3])


@pytest.fixture
def database(tmp_path):
    """Environment for the child processes: a fresh database of the pass's kind."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"KLANTPEIL_ENV", "DJANGO_SETTINGS_MODULE"}
    }
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["KLANTPEIL_DATA_DIR"] = str(tmp_path)
    env.pop("DATABASE_URL", None)
    name = None
    if connection.vendor == "postgresql":
        import psycopg

        base = os.environ["DATABASE_URL"]
        name = f"kp_kill_{uuid.uuid4().hex[:8]}"
        admin = base.replace("postgres://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/" + name
    yield env
    if name:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _run(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "klantpeil.distribution.tests.scenario", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class KillingInbox(Inbox):
    """Receives mail; on message number ``kill_at`` it kills the worker (SIGKILL) before
    answering, so that message was never accepted."""

    def __init__(self, kill_at: int | None) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.seen = 0
        self.worker: subprocess.Popen | None = None

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.kill_at is not None and self.seen == self.kill_at and self.worker:
            os.kill(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)
            return "451 4.3.0 the client went away"
        return await super().handle_DATA(server, session, envelope)


def _worker(env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "klantpeil", "worker", "--interval", "0.2", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _smtp(inbox: Inbox, env: dict):
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    env["KLANTPEIL_EMAIL_URL"] = f"smtp://127.0.0.1:{controller.port}?timeout=5"
    return controller


def _received(inbox: Inbox) -> Counter:
    return Counter(rcpt for rcpts, _ in inbox.messages for rcpt in rcpts)


def _finish_with_a_new_worker(env: dict) -> dict:
    second = _worker(env, "--once")
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err[-3000:]
    return json.loads(_run(env, "status"))


def test_a_worker_killed_while_the_server_takes_a_message_loses_and_repeats_nothing(database):
    env = {**database, "KLANTPEIL_SMTP_CONNECTIONS": "1"}  # one connection: exact counts
    _run(env, "setup", str(COUNT))
    inbox = KillingInbox(kill_at=40)
    controller = _smtp(inbox, env)
    try:
        inbox.worker = _worker(env)
        inbox.worker.wait(timeout=300)
        assert inbox.worker.returncode == -signal.SIGKILL
        before = json.loads(_run(env, "status"))
        assert before.get("sent") == 39 and before.get("sending", 0) > 0, before
        after = _finish_with_a_new_worker(env)
    finally:
        controller.stop()
    received = _received(inbox)
    assert after == {"sent": COUNT}
    assert len(received) == COUNT and set(received.values()) == {1}


def test_a_worker_killed_at_a_random_moment_loses_nothing_and_repeats_at_most_one_each(database):
    """From outside, at any moment: the one documented window (after the server's 250,
    before the one-row commit) can repeat one message per connection (four here);
    nothing is ever lost."""
    env = database
    _run(env, "setup", str(COUNT))
    inbox = KillingInbox(kill_at=None)
    controller = _smtp(inbox, env)
    try:
        worker = _worker(env)
        deadline = time.monotonic() + 120
        while len(inbox.messages) < 30 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        assert len(inbox.messages) < COUNT, "the worker finished before it was killed"
        after = _finish_with_a_new_worker(env)
    finally:
        controller.stop()
    received = _received(inbox)
    assert after == {"sent": COUNT}
    assert len(received) == COUNT
    assert sum(n - 1 for n in received.values()) <= 4
