"""Bulk-API ingest throughput against a naive one-object-at-a-time ORM save, same run.

    python bench/ingest.py                  # SQLite, and PostgreSQL when reachable
    python bench/ingest.py --database sqlite --measurements 20000

Each measurement carries 15 answers (the standard customer survey). The API
side goes through HTTP to a waitress server on 127.0.0.1 with a real token,
in batches; the baseline saves every measurement and answer with ``.create()``
in autocommit. Prints one JSON object per database and a summary; the ratio
is what to compare across machines.

The bulk API writes the rollups' outbox row ("measurement recorded") in each
measurement's transaction. What that costs is measured in the same run: the same
batches go, interleaved, to a second organisation with the outbox write switched
off in the server (the path before the outbox), and ``outbox_cost`` is the ratio of
the two times (1.05: five per cent slower with the outbox).
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from _databases import configure, each_database

KEYS = [
    "overall_grade",
    "reliability_promise",
    "reliability_answer",
    "empathy_understanding",
    "empathy_serious",
    "customer_focus",
    "customer_knowledge",
    "waiting_time",
    "accessibility",
    "nps",
    "ces",
]


def _measurement(rng: random.Random, i: int) -> dict:
    answers = {k: rng.randint(1, 10) for k in KEYS}
    answers.update(
        nps=rng.randint(0, 10),
        ces=rng.randint(1, 7),
        ivr_menu=rng.randint(1, 10),
        solved_first_contact=rng.choice([True, False]),
        channel_reason="fastest",
        comment="Vriendelijk geholpen, maar het duurde lang.",
    )
    moment = datetime(2026, 9, 1, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "instrument": "customer-survey",
        "occurred_at": moment.isoformat(),
        "channel": "phone",
        "unit": "front",
        "external_id": f"bench-{i}",
        "answers": answers,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_one(database: str, total: int, batch: int, naive: int) -> dict:
    configure(database, __file__)
    from waitress.server import create_server

    from klantpeil.accounts.services import issue_api_token
    from klantpeil.collection.models import Answer, Measurement
    from klantpeil.config.wsgi import application
    from klantpeil.core.tenancy import tenant
    from klantpeil.instruments.answers import to_stored
    from klantpeil.instruments.selectors import latest_version
    from klantpeil.organisations.models import Channel, Organisation, Sector, Unit

    sector = Sector.objects.create(key="bench", name_nl="Bench", name_en="Bench")
    secrets = []
    for slug in ("bench", "bench-without-outbox", "bench-warm-up"):
        org = Organisation.objects.create(slug=slug, name=slug, sector=sector)
        Unit.unscoped_all_tenants.create(organisation=org, code="front", name="Front")
        Channel.unscoped_all_tenants.create(organisation=org, kind="phone")
        secrets.append(issue_api_token(organisation=org, name="bench").secret)
    org = Organisation.objects.get(slug="bench")
    from klantpeil.rollups import events as outbox_events

    with_outbox = outbox_events.measurements_recorded
    port = _free_port()
    server = create_server(application, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    rng = random.Random(7)
    payloads = [
        json.dumps(
            {"measurements": [_measurement(rng, i) for i in range(start, start + batch)]}
        ).encode()
        for start in range(0, total, batch)
    ]

    def post(body: bytes, token: str, outbox: bool) -> float:
        # The server runs in this process, one request at a time: switching the outbox
        # write off for one request is the path as it was before the outbox.
        outbox_events.measurements_recorded = with_outbox if outbox else lambda *args: 0
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/measurements",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as response:
            assert response.status == 201, response.status
        return time.perf_counter() - started

    # The first request of a process costs more (imports, caches, the first connection):
    # one untimed batch to a third organisation, so neither side pays it.
    post(payloads[0], secrets[2], outbox=True)
    api_seconds = old_seconds = 0.0
    for number, body in enumerate(payloads, start=1):
        # Each batch goes to both organisations, the outbox on for one of them in turn.
        for token, outbox in zip(secrets[:2], (number % 2 == 1, number % 2 == 0), strict=True):
            seconds = post(body, token, outbox)
            if outbox:
                api_seconds += seconds
            else:
                old_seconds += seconds
        print(f"  {database}: batch {number}/{len(payloads)}", file=sys.stderr, flush=True)
    outbox_events.measurements_recorded = with_outbox
    server.close()
    with tenant(org):
        stored = Measurement.objects.count()
        answers = Answer.objects.count()
        assert stored == total, (stored, total)
        version = latest_version(key="customer-survey")
        questions = {q.key: q for q in version.questions.all()}
        channel, unit = Channel.objects.get(), Unit.objects.get()
        items = [_measurement(rng, total + i) for i in range(naive)]
        started = time.perf_counter()
        for item in items:
            # The naive way: one INSERT per object, each in its own transaction.
            m = Measurement.objects.create(
                instrument_version=version,
                method="customer_survey",
                channel=channel,
                unit=unit,
                occurred_at=datetime.fromisoformat(item["occurred_at"]),
                source="api",
                external_id=item["external_id"],
            )
            for key, value in item["answers"].items():
                v = to_stored(questions[key], value)
                Answer.objects.create(
                    measurement=m,
                    question=questions[key],
                    number=v.number,
                    text=v.text,
                    moment=v.moment,
                )
        naive_seconds = time.perf_counter() - started
    api_rate = total / api_seconds
    naive_rate = naive / naive_seconds
    return {
        "benchmark": "ingest",
        "database": database,
        "measurements": total,
        "answers_per_measurement": round(answers / stored, 1),
        "batch_size": batch,
        "bulk_api_seconds": round(api_seconds, 3),
        "bulk_api_measurements_per_second": round(api_rate, 1),
        "naive_measurements": naive,
        "naive_orm_seconds": round(naive_seconds, 3),
        "naive_orm_measurements_per_second": round(naive_rate, 1),
        "speedup_vs_naive": round(api_rate / naive_rate, 1),
        "bulk_api_without_outbox_seconds": round(old_seconds, 3),
        "bulk_api_without_outbox_measurements_per_second": round(total / old_seconds, 1),
        "outbox_cost": round(api_seconds / old_seconds, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--measurements", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--naive", type=int, default=500)
    args = parser.parse_args()
    if args.database != "all":
        print(json.dumps(run_one(args.database, args.measurements, args.batch, args.naive)))
        return
    arguments = ["--measurements", str(args.measurements), "--batch", str(args.batch)]
    results = each_database(__file__, [*arguments, "--naive", str(args.naive)])
    print(json.dumps({"benchmark": "ingest", "results": results}, indent=2))


if __name__ == "__main__":
    main()
