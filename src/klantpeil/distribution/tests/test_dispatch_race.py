"""Two dispatchers at once never send the same message: real concurrent transactions
on PostgreSQL (``FOR UPDATE SKIP LOCKED``), real SMTP server."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from klantpeil.core.tenancy import tenant
from klantpeil.distribution import services
from klantpeil.distribution.models import Delivery
from klantpeil.distribution.tests.test_dispatch import NOW, invite

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent claims need PostgreSQL (SQLite has one writer; runs in its pass)",
    ),
]
COUNT = 300


def test_two_dispatchers_share_the_work_and_never_send_a_message_twice(api, smtp):
    invite(api, *({"email": f"r{i}@example.nl"} for i in range(COUNT)))
    reports: dict[str, services.DispatchReport] = {}
    start = threading.Barrier(2)

    def run(name: str) -> None:
        try:
            start.wait()
            reports[name] = services.dispatch_due(now=NOW, worker=name, batch_size=10)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    received = Counter(rcpt for rcpts, _ in smtp.messages for rcpt in rcpts)
    assert len(received) == COUNT and set(received.values()) == {1}
    assert reports["one"].sent + reports["two"].sent == COUNT
    assert reports["one"].claimed > 0 and reports["two"].claimed > 0
    with tenant(api.org):
        assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
