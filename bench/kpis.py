"""KPI overview latency from the rollups against a direct aggregate over the raw
answers, for one organisation at 100,000 and then 1,000,000 stored measurements.

    python bench/kpis.py                       # SQLite, and PostgreSQL when reachable
    python bench/kpis.py --database sqlite --sizes 20000,200000

What is timed is the read behind the overview page and ``GET /api/v1/kpis``:
grade, NPS, CES and first-contact resolution per channel, with n and
intervals, for the last 365 days (``channel_kpis``), from the rollups and as
a direct aggregate over the answers; and the whole overview page as a
manager gets it (HTTP through Django's test client: KPIs, counts per channel
and month, sector position, template), from the rollups. Measurements spread over
a year, five channels and five units, each with six answers (the four KPI
items and two driver items), written with the bulk paths the product uses;
the rollups are then rebuilt with ``rollups.rebuild_all`` (also timed).
Prints JSON per database: median milliseconds of each read, their ratio, the
growth of each read from the small to the large size, and whether both reads
gave the same figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from _databases import configure, each_database

KEYS = ("overall_grade", "nps", "ces", "solved_first_contact", "waiting_time", "empathy_serious")
CHANNELS = ("phone", "email", "chat", "social", "counter")
TODAY = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _store(org, count: int, offset: int, rng: random.Random) -> None:
    """Add ``count`` measurements with their answers through the bulk write paths."""
    from django.db import transaction

    from klantpeil.collection.models import Measurement
    from klantpeil.collection.rows import insert_answer_rows
    from klantpeil.instruments.selectors import latest_version
    from klantpeil.organisations.models import Channel, Unit

    version = latest_version(key="customer-survey")
    questions = {q.key: q.pk for q in version.questions.filter(key__in=KEYS)}
    channels = list(Channel.objects.all())
    units = list(Unit.objects.all())
    chunk = 50_000
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        with transaction.atomic():
            made = Measurement.objects.bulk_create(
                [
                    Measurement(
                        organisation=org,
                        instrument_version=version,
                        method="customer_survey",
                        channel=rng.choice(channels),
                        unit=rng.choice(units),
                        occurred_at=TODAY - timedelta(seconds=rng.randrange(364 * 86_400)),
                        source="import",
                        external_id=f"b{offset + start + i}",
                    )
                    for i in range(size)
                ],
                batch_size=5_000,
            )
            rows = []
            for m in made:
                grade = rng.randint(3, 10)
                values = {
                    "overall_grade": grade,
                    "nps": min(10, max(0, grade + rng.randint(-2, 1))),
                    "ces": rng.randint(1, 7),
                    "solved_first_contact": rng.random() < 0.7,
                    "waiting_time": rng.randint(1, 10),
                    "empathy_serious": rng.randint(1, 10),
                }
                rows += [
                    (org.pk, m.pk, questions[k], float(v), "", None) for k, v in values.items()
                ]
            insert_answer_rows(rows)
        print(f"  stored {offset + start + size:,} measurements", file=sys.stderr, flush=True)


def _median_ms(read, repeat: int) -> tuple[float, object]:
    result = read()  # warm the caches and the query plans first
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = read()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def run_one(database: str, sizes: list[int], repeat: int) -> dict:
    configure(database, __file__)
    from django.test import Client

    from klantpeil.accounts.services import add_member
    from klantpeil.analytics.selectors import channel_kpis
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
    user, _ = add_member(
        email="m@bench.example", organisation=org, role="manager", password="x" * 12,
        check_password=False,
    )  # fmt: skip
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    page = f"/app/{org.slug}/"
    rng = random.Random(11)
    year = MeasurementFilter(since=(TODAY - timedelta(days=365)).date())
    results, stored = [], 0
    with tenant(org):
        for size in sizes:
            _store(org, size - stored, stored, rng)
            stored = size
            started = time.perf_counter()
            rollups.rebuild_all()
            rebuild_seconds = time.perf_counter() - started
            print(f"  {database} {size:,}: rollups rebuilt, timing reads", file=sys.stderr)
            rolled_ms, rolled = _median_ms(lambda: channel_kpis(year), repeat)
            raw_ms, raw = _median_ms(
                lambda: channel_kpis(year, from_rollups=False), max(3, repeat // 5)
            )
            page_ms, status = _median_ms(lambda: client.get(page).status_code, repeat)
            assert status == 200, status
            results.append(
                {
                    "measurements": size,
                    "answers": size * len(KEYS),
                    "rollup_rebuild_seconds": round(rebuild_seconds, 1),
                    "rollup_ms": round(rolled_ms, 2),
                    "raw_ms": round(raw_ms, 1),
                    "speedup": round(raw_ms / rolled_ms, 1),
                    "overview_page_ms": round(page_ms, 1),
                    "same_figures": _same(rolled, raw),
                }
            )
    first, last = results[0], results[-1]
    return {
        "benchmark": "kpis",
        "database": database,
        "results": results,
        "rollup_growth": round(last["rollup_ms"] / first["rollup_ms"], 2),
        "page_growth": round(last["overview_page_ms"] / first["overview_page_ms"], 2),
        "raw_growth": round(last["raw_ms"] / first["raw_ms"], 2),
    }


def _same(a, b) -> bool:
    def figures(kpis):
        return [
            (k.kind, e.n, round(e.value or 0, 9), round(e.ci_low or 0, 9))
            for k in kpis
            for e in (k.grade, k.nps, k.ces, k.fcr)
        ]

    return figures(a) == figures(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated, ascending")
    parser.add_argument("--repeat", type=int, default=25, help="timed reads from rollups (25)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.database != "all":
        print(json.dumps(run_one(args.database, sizes, args.repeat)))
        return
    arguments = ["--sizes", args.sizes, "--repeat", str(args.repeat)]
    results = each_database(__file__, arguments)
    print(json.dumps({"benchmark": "kpis", "results": results}, indent=2))


if __name__ == "__main__":
    main()
