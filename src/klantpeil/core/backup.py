"""Back up and restore the whole database: ``klantpeil backup FILE`` and ``restore FILE``.

- SQLite: the online backup API copies a consistent snapshot of the database while
  the server goes on writing (WAL: readers and the writer do not block each other),
  into one self-contained file.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot as well) and
  ``pg_restore --clean --single-transaction``; the client tools must be on PATH (a
  clear error says so when they are not).

A backup is written to ``FILE.partial`` and renamed when complete, so a backup that
is interrupted never leaves a half file under the name asked for. A restore
replaces everything in the database; it refuses a database that already holds
organisations unless told to replace them, and it refuses a file of the other kind.
Stop the server (and worker) before restoring.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"  # pg_dump's custom format


class BackupError(Exception):
    """The backup or restore cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class Summary:
    path: Path
    database: str  # "sqlite" or "postgresql"
    size: int  # bytes of the backup file
    organisations: int
    measurements: int


def _counts() -> tuple[int, int]:
    from klantpeil.collection.models import Measurement
    from klantpeil.organisations.models import Organisation

    tables = set(connection.introspection.table_names())
    if Organisation._meta.db_table not in tables:
        return 0, 0
    return Organisation.objects.count(), Measurement.unscoped_all_tenants.count()


def _summary(path: Path) -> Summary:
    organisations, measurements = _counts()
    return Summary(path, connection.vendor, path.stat().st_size, organisations, measurements)


def backup(*, path: Path) -> Summary:
    """Copy the whole database to ``path`` (overwritten when it exists)."""
    path = Path(path)
    if (
        connection.vendor == "sqlite"
        and path.resolve() == Path(connection.settings_dict["NAME"]).resolve()
    ):
        raise BackupError(f"{path} is the database itself; choose another file")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    if connection.vendor == "sqlite":
        _sqlite_backup(partial)
    elif connection.vendor == "postgresql":
        _run(
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={partial}",
        )
    else:
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    os.replace(partial, path)
    return _summary(path)


def _sqlite_backup(target_path: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(target_path)
    try:
        # All pages in one step: one read snapshot, so writers committing meanwhile
        # neither restart the copy nor end up half in it.
        connection.connection.backup(target)
        # One self-contained file, whatever journal mode the live database uses.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def _kind(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise BackupError(f"{path}: not a Klantpeil backup (neither SQLite nor pg_dump's format)")


def restore(*, path: Path, replace: bool = False) -> Summary:
    """Replace the database's contents with the backup in ``path``."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    kind = _kind(path)
    if kind != connection.vendor:
        raise BackupError(
            f"{path} is a {kind} backup and the database is {connection.vendor}; "
            "restore it into a database of the same kind"
        )
    organisations, _ = _counts()
    if organisations and not replace:
        raise BackupError(
            f"the database already holds {organisations} organisation(s); "
            "restoring replaces everything in it (add --replace to go ahead)"
        )
    if kind == "sqlite":
        _sqlite_restore(path)
    else:
        connection.close()  # no open transaction of ours in the way of pg_restore's
        _run(
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(path),
        )
    return _summary(path)


def _sqlite_restore(path: Path) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            check = source.execute("PRAGMA quick_check").fetchone()[0]
            names = {r[0] for r in source.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path}: the SQLite file is damaged ({exc})") from None
        if check != "ok":
            raise BackupError(f"{path}: the SQLite file is damaged ({check})")
        if "django_migrations" not in names:
            raise BackupError(f"{path}: a SQLite file, but not a Klantpeil database")
        connection.ensure_connection()
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client) of the server's major version or newer"
        )
    return found


def _run(tool: str, *arguments: str) -> None:
    """Run a PostgreSQL client tool against the configured database."""
    settings = connection.settings_dict
    env = {**os.environ}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if settings.get(key):
            env[variable] = str(settings[key])
    result = subprocess.run([tool, *arguments], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(tool).name} failed: {result.stderr.strip()}")
