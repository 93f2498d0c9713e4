"""Time `klantpeil demo --no-serve` and fingerprint the data it makes.

    python bench/demo.py [--runs 3] [--seed 1] [--fingerprint-only DIR]

Each run generates the demo into a fresh directory (SQLite) in a subprocess and
records its wall time and CPU time (the machine is shared: CPU seconds drift less
than wall seconds). Prints the medians, the budget (60 s) as a ratio, and the
fingerprint of the last run's database: rows per table and digests of the
measurements, answers, rollup cells, comment annotations, social posts and
fieldwork, without the columns that hold the time of generation (``recorded_at``,
``created_at``) or random secrets. Run it on two checkouts in turn (PYTHONPATH)
on the same day: equal fingerprints mean the same data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET = 60.0
# (table, columns) whose content must not change; the other tables are counted only.
DIGESTS = {
    "collection_measurement": "id, organisation_id, instrument_version_id, method, channel_id, "
    "unit_id, occurred_at, source, language, external_id, superseded_at",
    "collection_answer": "measurement_id, question_id, number, text, moment",
    "analytics_answerrollup": "organisation_id, day, unit_key, channel_key, instrument_id, "
    "question_key, n, total, total_squares",
    "analytics_driverrollup": "organisation_id, span, day, unit_key, channel_key, "
    "instrument_id, n, masks, moments, scores",
    "textanalysis_commentannotation": "*",
    "textanalysis_socialpost": "*",
    "fieldwork_assignment": "id, study_id, target_id, scenario_id, shopper_id, block, "
    "scheduled_at, measurement_id",
    "organisations_organisation": "id, slug, name, sector_id",
    "organisations_unit": "*",
    "accounts_membership": "user_id, organisation_id, role",
}
SKIP_COLUMNS = {"created_at", "recorded_at", "updated_at", "annotated_at", "imported_at"}


def fingerprint(database: Path) -> dict:
    db = sqlite3.connect(database)
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT IN ('django_session', 'django_migrations') ORDER BY name"
        )
    ]
    counts = {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    digests = {}
    for table, columns in DIGESTS.items():
        if table not in tables:
            continue
        if columns == "*":
            names = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            columns = ", ".join(f'"{c}"' for c in names if c not in SKIP_COLUMNS)
        rows = sorted(repr(r) for r in db.execute(f'SELECT {columns} FROM "{table}"'))
        digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
    sums = {
        "answers.number": db.execute("SELECT sum(number) FROM collection_answer").fetchone()[0],
        "rollups.n": db.execute("SELECT sum(n) FROM analytics_answerrollup").fetchone()[0],
    }
    return {"rows": counts, "digests": digests, "sums": sums}


def run_once(seed: int, keep: Path | None) -> tuple[float, float, Path]:
    data_dir = keep or Path(tempfile.mkdtemp(prefix="klantpeil-demo-bench-"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [sys.executable, "-m", "klantpeil", "demo", "--no-serve", "--seed", str(seed)]
    subprocess.run(
        [*command, "--data-dir", str(data_dir)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "DATABASE_URL": ""},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, data_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fingerprint-only", type=Path, help="only fingerprint this data dir")
    args = parser.parse_args()
    if args.fingerprint_only:
        print(json.dumps(fingerprint(args.fingerprint_only / "klantpeil.sqlite3"), indent=2))
        return 0
    walls, cpus, last = [], [], None
    for _ in range(args.runs):
        wall, cpu, last = run_once(args.seed, None)
        walls.append(wall)
        cpus.append(cpu)
        print(json.dumps({"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}), file=sys.stderr)
    result = {
        "runs": args.runs,
        "wall_s": [round(w, 1) for w in walls],
        "cpu_s": [round(c, 1) for c in cpus],
        "median_wall_s": round(statistics.median(walls), 1),
        "median_cpu_s": round(statistics.median(cpus), 1),
        "budget_ratio": round(statistics.median(walls) / BUDGET, 2),
        "fingerprint": fingerprint(last / "klantpeil.sqlite3"),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
