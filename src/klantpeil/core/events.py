"""The write path's events: it says what happened; the apps that care subscribe.

The collection code (respondent forms, API batches, imports, field forms,
corrections) stores measurements and publishes an event; it knows nothing of the
rollups, the text analysis or privacy, which subscribe in their
``AppConfig.ready()``. As in Zulip (``send_event`` on commit), subscribers are
woken by ``transaction.on_commit``: a write that rolls back wakes nobody, and a
committed one wakes each subscriber once.

A subscriber whose work must commit or roll back *with* the write subscribes with
``in_transaction=True`` and runs inside the publisher's transaction, as the event
is published: the rollups' outbox row (which makes the figures exact whatever
order concurrent transactions commit in) and the recomputation of a corrected
measurement's day (so no reader ever counts the original beside its replacement).
Such a subscriber must be quick and may not fail for reasons other than the write's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

ZONE = ZoneInfo("Europe/Amsterdam")  # measurements' local days are days in Amsterdam


@dataclass(frozen=True)
class MeasurementsRecorded:
    """New measurements of one organisation were stored (one, or a batch)."""

    organisation_id: int
    measurements: tuple[tuple[int, datetime], ...]  # (id, occurred_at)
    comments: bool = False  # an open comment came in with them

    @property
    def days(self) -> set[date]:
        """The local days the measurements fall on."""
        return {occurred_at.astimezone(ZONE).date() for _, occurred_at in self.measurements}


@dataclass(frozen=True)
class MeasurementsSuperseded:
    """Measurements of one organisation stopped being current (a correction replaced
    them) on these local days."""

    organisation_id: int
    days: frozenset[date] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ContactDetailsStored:
    """E-mail addresses or phone numbers of respondents were stored (invitations)."""

    organisation_id: int


Handler = Callable[[Any], object]
_now: dict[type, list[Handler]] = defaultdict(list)
_on_commit: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event: type, handler: Handler, *, in_transaction: bool = False) -> None:
    """Call ``handler(event)`` for every ``event`` published: once the publishing
    transaction commits, or (``in_transaction``) at once, inside it. Subscribing the
    same handler twice (a second ``ready()``) changes nothing."""
    handlers = (_now if in_transaction else _on_commit)[event]
    if handler not in handlers:
        handlers.append(handler)


def subscribers(event: type) -> list[Handler]:
    """Everything subscribed to ``event``, in-transaction ones first."""
    return [*_now[event], *_on_commit[event]]


def publish(event: object) -> None:
    """Deliver ``event``: in-transaction subscribers now, the others on commit (at once
    outside a transaction). Call it inside the transaction that made it happen."""
    for handler in _now[type(event)]:
        handler(event)
    for handler in _on_commit[type(event)]:
        transaction.on_commit(partial(handler, event))
