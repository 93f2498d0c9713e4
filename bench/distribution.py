"""Survey distribution throughput: 10,000 invitations made through the API with
``"deliver": "email"`` and delivered by the dispatcher (the worker's task) to a local
SMTP server, against a naive baseline (Django's ``send_mail`` per message, one SMTP
connection each) in the same run.

    python bench/distribution.py                  # SQLite, and PostgreSQL when reachable
    python bench/distribution.py --database sqlite --invitations 2000

The SMTP server (aiosmtpd) runs in a process of its own and counts what it accepted.
The dispatcher sends over one connection per batch and commits each message's "sent"
right after the server's 250 (services.py). Prints one JSON object per database and
a summary; the goal is at least 200 messages/s.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

from _databases import configure, each_database

GOAL = 200.0
SINK = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0
        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    parent = os.getppid()
    while not stop.wait(1):
        if os.getppid() != parent:  # the benchmark died: do not linger
            break
    controller.stop()
    print(Sink.count, flush=True)
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sink() -> tuple[subprocess.Popen, int]:
    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout.readline().strip() == "ready"
    return sink, port


def _stop(sink: subprocess.Popen) -> int:
    sink.terminate()
    out, _ = sink.communicate(timeout=60)
    return int(out.strip().splitlines()[-1])


def run_one(database: str, total: int, naive: int) -> dict:
    sink, port = _sink()
    try:
        return _measure(sink, port, database, total, naive)
    finally:
        if sink.poll() is None:
            sink.kill()


def _measure(sink: subprocess.Popen, port: int, database: str, total: int, naive: int) -> dict:
    os.environ["KLANTPEIL_EMAIL_URL"] = f"smtp://127.0.0.1:{port}?timeout=10"
    configure(database, __file__)
    from datetime import time as clock

    from django.core.mail import send_mail
    from django.test import Client

    from klantpeil.accounts.services import issue_api_token
    from klantpeil.core.tenancy import tenant
    from klantpeil.distribution import services
    from klantpeil.distribution.models import Delivery, DistributionSettings
    from klantpeil.organisations.models import Channel, Organisation, Sector

    sector, _ = Sector.objects.get_or_create(
        key="municipalities", defaults={"name_nl": "Gemeenten", "name_en": "Municipalities"}
    )
    slug = f"bench-{os.getpid()}-{int(time.time())}"  # a rerun on the same database
    org = Organisation.objects.create(slug=slug, name="Gemeente Bench", sector=sector)
    Channel.unscoped_all_tenants.create(organisation=org, kind="phone")
    with tenant(org):
        DistributionSettings.objects.create(
            sender_name="Gemeente Bench",
            sender_address="enquete@bench.example",
            window_start=clock(0, 0),
            window_end=clock(23, 59, 59, 999999),
            window_weekdays="0123456",
        )
    secret = issue_api_token(organisation=org, name="bench").secret
    client = Client()
    body = {
        "deliver": "email",
        "invitations": [
            {
                "channel": "phone",
                "occurred_at": "2026-11-02T10:00:00+01:00",
                "email": f"respondent{i:05d}@example.nl",
            }
            for i in range(total)
        ],
    }
    started = time.perf_counter()
    response = client.post(
        "/api/v1/invitations",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_HOST="127.0.0.1",
    )
    api_seconds = time.perf_counter() - started
    assert response.status_code == 201, response.content[:500]

    started = time.perf_counter()
    report = services.dispatch_due()
    send_seconds = time.perf_counter() - started
    with tenant(org):
        sent = Delivery.objects.filter(status="sent").count()

    # The naive baseline: Django's send_mail per message, a new SMTP connection each.
    started = time.perf_counter()
    for i in range(naive):
        send_mail(
            "Hoe was uw contact met Gemeente Bench?",
            "Vul de vragenlijst in: http://127.0.0.1/s/x",
            "Gemeente Bench <enquete@bench.example>",
            [f"naive{i:05d}@example.nl"],
        )
    naive_seconds = time.perf_counter() - started
    received = _stop(sink)
    ours = sent / send_seconds
    baseline = naive / naive_seconds
    return {
        "database": database,
        "invitations": total,
        "api_seconds": round(api_seconds, 2),
        "api_invitations_per_s": round(total / api_seconds, 1),
        "dispatch_seconds": round(send_seconds, 2),
        "sent": sent,
        "received_by_smtp_server": received - naive,
        "messages_per_s": round(ours, 1),
        "naive_messages": naive,
        "naive_messages_per_s": round(baseline, 1),
        "ratio": round(ours / baseline, 2),
        "goal_messages_per_s": GOAL,
        "meets_goal": ours >= GOAL,
        "batches_claimed": report.claimed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"])
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=1_000)
    args = parser.parse_args()
    if args.database:
        print(json.dumps(run_one(args.database, args.invitations, args.naive)))
        return
    results = each_database(
        __file__, ["--invitations", str(args.invitations), "--naive", str(args.naive)]
    )
    for result in results:
        print(json.dumps(result))
    print(
        json.dumps({"summary": {r["database"]: r["messages_per_s"] for r in results}, "goal": GOAL})
    )


if __name__ == "__main__":
    main()
