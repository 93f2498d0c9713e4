"""The overview's driver panel (the driver analysis behind "improve first") from the
driver rollups against today's raw path, at 1,000,000 stored measurements.

    python bench/driver_panel.py                      # SQLite, and PostgreSQL when reachable
    python bench/driver_panel.py --database sqlite --size 100000 --raw-size 100000

What is timed is ``driver_report`` for the overview's default filter (the last twelve
months, all channels and units, no share intervals), read from the driver rollups
plus the not-yet-folded tail, against the same call with ``from_rollups=False``
(reads every answer of the year and builds the score rows, as the pages did before);
also the rollup path for the phone channel and for one unit.
One organisation; measurements over a year, five channels and five units, each with
the grade and one item per driver (the IVR menu by phone only), about one in twenty
skipping an item; written with the bulk paths the product uses, then the rollups
rebuilt with ``rollups.rebuild_all`` (also timed).

In two stages, because one raw read of a million measurements takes minutes: first
``--raw-size`` measurements (default 100,000), where both paths are timed and their
figures compared (the same-run ratio); then more up to ``--size``, the rollups rebuilt,
and the rollup path timed again, with the raw path timed once only when ``--raw-at-size``
is given; otherwise its time at ``--size`` is extrapolated from the first stage in
proportion to the answers (the raw path reads and scores every answer of the year: it
grew 23.7× from 20,000 to 200,000 measurements), marked ``raw_ms_extrapolated``.
Prints JSON per database: median milliseconds of each path, their ratio, whether the
rollup path is under 50 ms and whether both gave the same figures (shares and gains
to 1e-9). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
from _databases import configure, each_database

ITEMS = {
    "reliability_promise": 0.35,
    "empathy_serious": 0.2,
    "customer_focus": 0.15,
    "customer_knowledge": 0.1,
    "waiting_time": 0.15,
    "accessibility": 0.05,
    "ivr_menu": 0.1,
}
CHANNELS = ("phone", "email", "chat", "social", "counter")
TODAY = datetime(2026, 11, 23, 12, tzinfo=UTC)
BUDGET_MS = 50


def _store(org, count: int, seed: int, offset: int = 0) -> None:
    """``count`` measurements with their answers through the bulk write paths."""
    from django.db import transaction

    from klantpeil.collection.models import Measurement
    from klantpeil.collection.rows import insert_answer_rows
    from klantpeil.instruments.selectors import latest_version
    from klantpeil.organisations.models import Channel, Unit

    rng = np.random.default_rng(seed)
    version = latest_version(key="customer-survey")
    keys = ["overall_grade", *ITEMS]
    questions = {q.key: q.pk for q in version.questions.filter(key__in=keys)}
    channels = list(Channel.objects.order_by("pk"))
    phone = [c.kind for c in channels].index("phone")
    units = list(Unit.objects.order_by("pk"))
    chunk = 50_000
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        channel = rng.integers(0, len(channels), size)
        unit = rng.integers(0, len(units), size)
        seconds = rng.integers(0, 364 * 86_400, size)
        halo = rng.normal(0, 1, size)
        scores = {k: 7 + 0.9 * halo + rng.normal(0, 1.2, size) for k in ITEMS}
        grade = 7 + sum(w * (scores[k] - 7) for k, w in ITEMS.items()) + rng.normal(0, 0.8, size)
        values = {"overall_grade": grade, **scores}
        values = {k: np.clip(np.rint(v), 1, 10) for k, v in values.items()}
        skipped = rng.random((size, len(ITEMS))) < 0.05 / len(ITEMS) * 6
        with transaction.atomic():
            made = Measurement.objects.bulk_create(
                [
                    Measurement(
                        organisation=org,
                        instrument_version=version,
                        method="customer_survey",
                        channel=channels[channel[i]],
                        unit=units[unit[i]],
                        occurred_at=TODAY - timedelta(seconds=int(seconds[i])),
                        source="import",
                        external_id=f"d{offset + start + i}",
                    )
                    for i in range(size)
                ],
                batch_size=5_000,
            )
            rows = []
            for i, m in enumerate(made):
                rows.append((org.pk, m.pk, questions["overall_grade"], float(grade[i]), "", None))
                for j, key in enumerate(ITEMS):
                    if skipped[i, j] or (key == "ivr_menu" and channel[i] != phone):
                        continue
                    rows.append((org.pk, m.pk, questions[key], float(values[key][i]), "", None))
            insert_answer_rows(rows)
        print(f"  stored {offset + start + size:,} measurements", file=sys.stderr, flush=True)


def _timed(read, repeat: int, *, warm: bool, cpu: list | None = None) -> tuple[float, object]:
    """Median wall milliseconds of ``read`` (and its median CPU milliseconds appended to
    ``cpu``: on a shared machine the wall time also counts waiting for a core)."""
    result = read() if warm else None  # warm the caches and the query plans first
    times, used = [], []
    for _ in range(repeat):
        started, began = time.perf_counter(), time.process_time()
        result = read()
        times.append((time.perf_counter() - started) * 1000)
        used.append((time.process_time() - began) * 1000)
    if cpu is not None:
        cpu.append(statistics.median(used))
    return statistics.median(times), result


def _figures(report) -> list[float]:
    return [d.share for d in report.analysis.drivers] + [
        x for p in report.priorities for x in (p.expected_gain, p.expected_gain_low)
    ]


def run_one(database: str, size: int, raw_size: int, repeat: int, raw_at_size: bool) -> dict:
    configure(database, __file__)
    from klantpeil.analytics.driver_selectors import driver_report
    from klantpeil.collection.models import Answer
    from klantpeil.collection.selectors import MeasurementFilter
    from klantpeil.core.tenancy import tenant
    from klantpeil.organisations.models import Channel, Organisation, Sector, Unit
    from klantpeil.rollups import services as rollups

    sector = Sector.objects.create(key="bench", name_nl="Bench", name_en="Bench")
    org = Organisation.objects.create(slug="bench", name="Bench", sector=sector)
    for kind in CHANNELS:
        Channel.unscoped_all_tenants.create(organisation=org, kind=kind)
    for code in ("north", "south", "east", "west", "centre"):
        Unit.unscoped_all_tenants.create(organisation=org, code=code, name=code.title())
    # The overview's default window: the last twelve months up to today.
    year = MeasurementFilter(since=(TODAY - timedelta(days=365)).date(), until=TODAY.date())
    stages = []
    with tenant(org):

        def panel(filters=year, **kwargs):
            return driver_report(filters, share_intervals=False, **kwargs)

        stored = 0
        for stage, target in enumerate(sorted({min(raw_size, size), size})):
            started = time.perf_counter()
            _store(org, target - stored, seed=11 + stage, offset=stored)
            store_seconds = time.perf_counter() - started
            stored = target
            started = time.perf_counter()
            rollups.rebuild_all()
            rebuild_seconds = time.perf_counter() - started
            print(f"  {database}: rollups rebuilt in {rebuild_seconds:.0f} s", file=sys.stderr)
            cpu: list[float] = []
            rolled_ms, rolled = _timed(panel, repeat, warm=True, cpu=cpu)
            phone_ms, _ = _timed(lambda: panel(replace(year, channel="phone")), repeat, warm=True)
            unit_ms, _ = _timed(lambda: panel(replace(year, unit="north")), repeat, warm=True)
            answers = Answer.unscoped_all_tenants.count()
            result = {
                "measurements": stored,
                "answers": answers,
                "complete_responses": rolled.analysis.n,
                "store_seconds": round(store_seconds, 1),
                "rollup_rebuild_seconds": round(rebuild_seconds, 1),
                "rollup_ms": round(rolled_ms, 2),
                "rollup_cpu_ms": round(cpu[0], 2),
                "load_average": round(os.getloadavg()[0], 1),
                "rollup_phone_ms": round(phone_ms, 2),
                "rollup_unit_ms": round(unit_ms, 2),
                "under_50_ms": max(rolled_ms, phone_ms, unit_ms) < BUDGET_MS,
            }
            if stage == 0 or raw_at_size:
                print(f"  {database}: rollup path {rolled_ms:.1f} ms; raw path…", file=sys.stderr)
                raw_ms, raw = _timed(lambda: panel(from_rollups=False), 1, warm=False)
                same = np.allclose(_figures(rolled), _figures(raw), rtol=1e-9, atol=1e-12)
                result |= {"raw_ms": round(raw_ms, 1), "same_figures": bool(same)}
            else:
                first = stages[0]
                raw_ms = first["raw_ms"] * answers / first["answers"]
                result["raw_ms_extrapolated"] = round(raw_ms, 1)
            result["speedup"] = round(raw_ms / rolled_ms, 1)
            stages.append(result)
    return {"benchmark": "driver_panel", "database": database, "stages": stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--size", type=int, default=1_000_000, help="stored measurements")
    parser.add_argument(
        "--raw-size", type=int, default=100_000, help="measurements of the same-run ratio"
    )
    parser.add_argument("--repeat", type=int, default=25, help="timed rollup reads (25)")
    parser.add_argument(
        "--raw-at-size", action="store_true", help="time the raw path at --size too (minutes)"
    )
    args = parser.parse_args()
    if args.database != "all":
        result = run_one(args.database, args.size, args.raw_size, args.repeat, args.raw_at_size)
        print(json.dumps(result))
        return
    arguments = ["--size", str(args.size), "--repeat", str(args.repeat)]
    arguments += ["--raw-size", str(args.raw_size)] + (["--raw-at-size"] * args.raw_at_size)
    results = each_database(__file__, arguments)
    print(json.dumps({"benchmark": "driver_panel", "results": results}, indent=2))


if __name__ == "__main__":
    main()
