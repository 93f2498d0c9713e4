"""A Klantpeil served on 127.0.0.1, as the load and fault tests need it.

A fresh SQLite data folder (or a PostgreSQL database), one organisation with a
unit, channels and an API token, and the server and the worker as real processes
that can be started, killed with SIGKILL and started again. Standard library
only, so the load generator, the benchmarks and the test suite share it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HOST = "127.0.0.1"
ORG = "belastbaar"  # the organisation the load and the faults are put on
SETUP = """
from klantpeil.organisations.models import Channel, Organisation, Sector, Unit
sector, _ = Sector.objects.get_or_create(
    key="municipalities", defaults={"name_nl": "Gemeenten", "name_en": "Municipalities"}
)
org, made = Organisation.objects.get_or_create(
    slug="%(slug)s", defaults={"name": "%(slug)s".title(), "sector": sector}
)
if made:
    Unit.unscoped_all_tenants.create(organisation=org, code="front", name="Front office")
    for kind in ("phone", "email", "counter"):
        Channel.unscoped_all_tenants.create(organisation=org, kind=kind)
"""


TOKENS = """
import json
from klantpeil.accounts.services import issue_api_token
print(json.dumps([
    issue_api_token(organisation=Organisation.objects.get(slug=slug), name="load").secret
    for slug in %(slugs)r
]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def environment(database_url: str | None = None, data_dir: str | None = None) -> dict[str, str]:
    """The variables for a served instance: PostgreSQL when given, else a SQLite folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KLANTPEIL_ENV", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    env["KLANTPEIL_DEBUG"] = "false"
    env["KLANTPEIL_DATA_DIR"] = data_dir or tempfile.mkdtemp(prefix="klantpeil-served-")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def fresh_postgres(url: str, suffix: str) -> str:
    """A new, empty database beside the one ``url`` names (e.g. kp_x_faults for kp_x)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    name = f"{name.split('?')[0]}_{suffix}"
    admin = base.replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def query(env: dict[str, str], sql: str) -> list[tuple]:
    """Rows of a read-only query, straight from the served instance's database."""
    url = env.get("DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            return conn.execute(sql).fetchall()
    import sqlite3

    db = sqlite3.connect(Path(env["KLANTPEIL_DATA_DIR"]) / "klantpeil.sqlite3", timeout=20)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def klantpeil(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run the ``klantpeil`` command; its standard output, or an error with what it said."""
    result = subprocess.run(
        [sys.executable, "-m", "klantpeil.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"klantpeil {' '.join(args)} failed:\n{result.stderr}{result.stdout}")
    return result.stdout


def prepare(env: dict[str, str], *slugs: str, migrate: bool = True) -> list[str]:
    """Migrate, make the organisations (default: one) and return an API token for each."""
    if migrate:
        klantpeil(env, "migrate")
    script = "\n".join(SETUP % {"slug": slug} for slug in slugs or (ORG,)) + TOKENS % {
        "slugs": list(slugs or (ORG,))
    }
    return json.loads(klantpeil(env, "manage", "shell", "-c", script).strip().splitlines()[-1])


class Process:
    """``klantpeil serve`` (without its worker) or ``klantpeil worker``, killable."""

    def __init__(self, env: dict[str, str], *args: str, log: Path | None = None) -> None:
        self.env, self.args = env, args
        self.log = log or Path(env["KLANTPEIL_DATA_DIR"]) / f"{args[0]}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "klantpeil.cli", *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, as a power cut or the OOM killer does it."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Server(Process):
    def __init__(self, env: dict[str, str], port: int | None = None, threads: int = 8) -> None:
        self.port = port or free_port()
        super().__init__(
            env, "serve", "--host", HOST, "--port", str(self.port), "--threads", str(threads),
            "--no-worker",
        )  # fmt: skip
        self.base = f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        super().start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            if not self.alive():
                break
            time.sleep(0.1)
        raise RuntimeError("klantpeil serve did not come up:\n" + self.log.read_text())


def request(
    port: int,
    method: str,
    path: str,
    body: dict | list | None = None,
    *,
    token: str | None = None,
    timeout: float = 60,
) -> tuple[int, object]:
    """One HTTP request to the served instance; (status, parsed JSON or text).

    Raises OSError (or http.client's errors) when the server goes away mid-request.
    """
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read().decode()
        kind = response.getheader("Content-Type", "")
        return response.status, json.loads(raw) if "json" in kind else raw
    finally:
        connection.close()


def all_measurements(port: int, token: str) -> list[dict]:
    """Every stored measurement of the organisation, through the API's pages."""
    items: list[dict] = []
    while True:
        query = urllib.parse.urlencode({"limit": 1000, "offset": len(items)})
        status, page = request(port, "GET", f"/api/v1/measurements?{query}", token=token)
        assert status == 200, page
        items.extend(page["items"])
        if len(items) >= page["count"] or not page["items"]:
            return items
