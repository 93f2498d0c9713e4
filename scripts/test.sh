#!/usr/bin/env bash
# Install everything the test suite needs and run it on SQLite, then on
# PostgreSQL where one answers (DATABASE_URL, default 127.0.0.1:5432 db test).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
PG_URL=${KLANTPEIL_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "== installing Python packages into $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e '.[dev]'

echo "== installing npm packages (axe-core for accessibility scans)"
if command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --silent
else
  echo "== npm not found: accessibility scans will be skipped"
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "== chromium not found and cannot be installed here: browser tests will be skipped"
  fi
fi

if ! command -v pdftoppm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's poppler-utils (the report tests read PDF pages with pdftoppm)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "== pdftoppm not found and cannot be installed here: PDF page tests will be skipped"
  fi
fi

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's nginx (the reverse-proxy tests start it in front of klantpeil serve)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  else
    echo "== nginx not found and cannot be installed here: reverse-proxy tests will be skipped"
  fi
fi

echo "== static checks"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
KLANTPEIL_ENV=test "$VENV/bin/python" -m django makemigrations --check --dry-run \
  --settings=klantpeil.config.test_settings >/dev/null
KLANTPEIL_ENV=test "$VENV/bin/python" -m django check --settings=klantpeil.config.test_settings

# The PostgreSQL pass runs the tests that reach a database (the django_db mark, a db
# fixture, live_server, module data) and those that hand the pass's database to a child
# process; a test pytest-django keeps away from every database proves the same on both,
# so it runs in the SQLite pass only (conftest.py; KLANTPEIL_TEST_ALL_ON_PG=1: in both).
# The two databases' runs go side by side: much of each run waits on servers, browsers
# and subprocesses, so on two cores the pair takes little longer than one. Each writes
# its own log, printed whole when both are done.
LOGS=$(mktemp -d)
echo "== test suite on SQLite (log: $LOGS/sqlite.log)"
env -u DATABASE_URL "$VENV/bin/python" -m pytest -q "$@" >"$LOGS/sqlite.log" 2>&1 &
SQLITE_PID=$!

PG_PID=""
if "$VENV/bin/python" - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"== PostgreSQL not reachable ({exc.__class__.__name__}): SKIPPING the PostgreSQL run")
    sys.exit(1)
PY
then
  echo "== test suite on PostgreSQL ($PG_URL) (log: $LOGS/postgresql.log)"
  DATABASE_URL="$PG_URL" "$VENV/bin/python" -m pytest -q "$@" >"$LOGS/postgresql.log" 2>&1 &
  PG_PID=$!
fi

status=0
wait "$SQLITE_PID" || status=$?
echo "== test suite on SQLite: exit $status"
cat "$LOGS/sqlite.log"
if [ -n "$PG_PID" ]; then
  pg_status=0
  wait "$PG_PID" || pg_status=$?
  echo "== test suite on PostgreSQL ($PG_URL): exit $pg_status"
  cat "$LOGS/postgresql.log"
  [ "$pg_status" -eq 0 ] || status=$pg_status
fi
exit "$status"
