"""Two moves of the unit tree at once on PostgreSQL: A under B in one transaction,
B under A in another. Each move's cycle check is right on its own; together they
would make a loop. The organisation's row is the lock (organisations.services), so
the second waits for the first, then sees it and refuses with a cycle."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import translation

from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Unit
from klantpeil.organisations.services import UnitError, save_unit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a transaction held open beside another needs PostgreSQL (runs in its pass)",
    ),
]


def test_two_moves_at_once_never_make_a_cycle(make_org):
    org = make_org("race")
    with tenant(org):
        save_unit(unit=None, code="a", name="A")
        save_unit(unit=None, code="b", name="B")
    moved, release, second_done = threading.Event(), threading.Event(), threading.Event()
    outcome: dict = {}

    def first() -> None:
        try:
            with tenant(org), transaction.atomic():
                save_unit(unit=Unit.objects.get(code="a"), code="a", name="A", parent="b")
                moved.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            translation.activate("en")  # a new thread starts in the default language
            moved.wait(10)
            with tenant(org):
                save_unit(unit=Unit.objects.get(code="b"), code="b", name="B", parent="a")
            outcome["second"] = "saved"
        except UnitError as exc:
            outcome["second"] = [(p.field, p.message) for p in exc.problems]
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    assert moved.wait(10)
    time.sleep(0.5)
    assert not second_done.is_set()  # the second move waits for the first to commit
    release.set()
    for t in threads:
        t.join(20)
    assert outcome["second"] == [
        (
            "parent",
            "B cannot be part of A: a unit cannot be part of itself or of its own "
            "sub-unit (b › a › b).",
        )
    ]
    with tenant(org):
        assert dict(Unit.objects.values_list("code", "parent__code")) == {
            "a": "b",
            "b": None,
            "front": None,
        }
