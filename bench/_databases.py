"""What the database benchmarks share: a fresh database per run, and one process
per database (Django is configured once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgres://postgres@127.0.0.1:5432/{name}"


def _name(script: str) -> str:
    """A database per benchmark, so two benchmarks running at once never share one."""
    return "klantpeil_bench_" + os.path.splitext(os.path.basename(script))[0]


def configure(database: str, script: str) -> None:
    """Point Django at a fresh SQLite folder or the bench PostgreSQL database, migrated."""
    if database == "postgres":
        os.environ["DATABASE_URL"] = PG_BENCH_URL.format(name=_name(script))
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["KLANTPEIL_DATA_DIR"] = tempfile.mkdtemp(prefix="klantpeil-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "klantpeil.config.settings"
    os.environ["KLANTPEIL_DEBUG"] = "false"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def postgres_ready(script: str) -> bool:
    """Create an empty bench database; False (and why, on stderr) when PostgreSQL is away."""
    name = _name(script)
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        return True
    except Exception as exc:
        print(f"PostgreSQL not reachable ({type(exc).__name__}): skipped", file=sys.stderr)
        return False


def each_database(script: str, arguments: list[str]) -> list[dict]:
    """Run ``script --database D *arguments`` for SQLite and, when it answers, PostgreSQL;
    each prints its result as JSON on its last line."""
    results = []
    for database in ["sqlite"] + (["postgres"] if postgres_ready(script) else []):
        out = subprocess.run(
            [sys.executable, script, "--database", database, *arguments],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
