"""Background work of the analytics: keeping the rollups current.

Every write path (respondent forms, the API, imports) calls
:func:`schedule_refresh`; the database-backed worker (``klantpeil worker``,
started by ``klantpeil serve`` and ``klantpeil demo``) runs the refresh, which
folds in everything above the watermark. One pending task is enough however
many writes arrive before it runs, so a burst of submissions queues one task.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from klantpeil.analytics import rollups


@task()
def refresh_rollups() -> dict[str, int]:
    return rollups.refresh()


def schedule_refresh() -> None:
    """Queue a rollup refresh once the current transaction commits, unless one waits already."""

    def enqueue() -> None:
        if not DBTaskResult.objects.ready().filter(task_path=refresh_rollups.module_path).exists():
            refresh_rollups.enqueue()

    transaction.on_commit(enqueue)


def resume_after_crash() -> None:
    """Queue a refresh as a worker starts. A worker killed mid-refresh leaves its task
    marked running for good, and a server killed between a commit and the enqueue leaves
    none: either way, what lies above the watermark would wait for the next write."""
    schedule_refresh()
