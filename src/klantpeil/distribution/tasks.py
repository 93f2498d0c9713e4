"""Background work of distribution, run by the database-backed worker (``klantpeil worker``).

``dispatch_deliveries`` sends everything that is due and queues itself again for the
moment the next delivery falls due (a scheduled send, a window opening, a retry, a
reminder). It is queued when invitations with a delivery commit, and when the worker
starts (:func:`resume_after_crash`), so nothing waits on a task that was lost.
Several workers may run it at once: each claims its own batch (``services.claim``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from klantpeil.distribution import services


@task()
def dispatch_deliveries() -> dict[str, Any]:
    report = services.dispatch_due()
    due = services.next_due()
    if due is not None:
        schedule_dispatch(due)
    return asdict(report)


def schedule_dispatch(at: datetime | None = None) -> None:
    """Queue the dispatcher to run at ``at`` (now when None) once the current transaction
    commits, unless a queued one runs by then already."""
    at = at or timezone.now()

    def enqueue() -> None:
        waiting = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=dispatch_deliveries.module_path
        ).filter(Q(run_after__isnull=True) | Q(run_after__lte=at))
        if not waiting.exists():
            when = at if at > timezone.now() else None
            dispatch_deliveries.using(run_after=when).enqueue()

    transaction.on_commit(enqueue)


def resume_after_crash() -> None:
    """As a worker starts: whatever is due (or was left sending by a killed worker) is
    dispatched now, and later deliveries get their wake-up."""
    services.reclaim_interrupted()
    schedule_dispatch()
