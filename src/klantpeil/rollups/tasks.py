"""Background work of the rollups: keeping them current and checking them.

Every write path (respondent forms, the API, imports, field forms) publishes the
"measurement recorded" event (``klantpeil.core.events``); its outbox row is written in
the writer's transaction (``rollups.events``) and, once that commits,
:func:`on_measurements_recorded` queues a refresh. The database-backed worker
(``klantpeil worker``, started by ``klantpeil serve`` and ``klantpeil demo``) runs the
refresh, which folds in every pending event. One pending task is enough however many
writes arrive before it runs, so a burst of submissions queues one task. A daily
self-check compares the rollups with the raw counts and repairs what differs; a task
left running by a killed worker is taken up again (every task here is idempotent)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from klantpeil.rollups import services as rollups

CHECK_INTERVAL = timedelta(days=1)
# A task running this long on a worker we cannot see (another host) is taken to be
# abandoned; on this host a worker's process is looked up instead.
LEASE = timedelta(hours=1)
log = logging.getLogger("klantpeil.tasks")


@task()
def refresh_rollups() -> dict[str, int]:
    reclaim_abandoned_tasks()
    return rollups.refresh()


@task()
def check_rollups() -> dict[str, int]:
    """The daily self-check; it queues the next one."""
    reclaim_abandoned_tasks()
    rollups.refresh()  # what is pending now is folded first: the check then sees it
    record = rollups.check(repair=True, trigger="schedule")
    schedule_check()
    return {"days": record.days, "days_repaired": record.days_repaired}


def schedule_refresh() -> None:
    """Queue a rollup refresh once the current transaction commits, unless one waits already."""

    def enqueue() -> None:
        if not DBTaskResult.objects.ready().filter(task_path=refresh_rollups.module_path).exists():
            refresh_rollups.enqueue()

    transaction.on_commit(enqueue)


def on_measurements_recorded(event: object) -> None:
    """Subscriber (on commit): wake the worker to fold the new measurements in."""
    schedule_refresh()


def schedule_check(after: timedelta = CHECK_INTERVAL) -> None:
    """Queue the self-check ``after`` from now, unless one is queued already."""

    def enqueue() -> None:
        # Not .ready(): that leaves out a task whose time has not come yet.
        waiting = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=check_rollups.module_path
        )
        if not waiting.exists():
            check_rollups.using(run_after=timezone.now() + after).enqueue()

    transaction.on_commit(enqueue)


def worker_id() -> str:
    """An id for ``db_worker`` that says where the worker runs: host, process, and a
    random part, so a task it leaves running can be traced to a process that is gone."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _process_started(pid: int) -> tuple[str, datetime] | None:
    """The state and start time of a Linux process (None without /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime"))
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    ticks = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat: start time
    return fields[0], datetime.fromtimestamp(boot + ticks, tz=UTC)


def _worker_alive(worker: str, claimed_at: datetime) -> bool | None:
    """Whether the worker that claimed a task still runs; None when this host cannot tell."""
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # a process of another user: it exists
    started = _process_started(pid)
    if started is None:
        return True
    state, at = started
    # A zombie is dead; a process younger than the claim is another one with a reused pid.
    return state != "Z" and at <= claimed_at + timedelta(seconds=2)


def reclaim_abandoned_tasks(lease: timedelta = LEASE) -> int:
    """Put tasks back in the queue (READY) that a killed worker left RUNNING: their
    worker's process is gone, or (another host) they have run longer than ``lease``.
    Returns how many were put back."""
    now = timezone.now()
    reclaimed = 0
    for pk, path, started_at, workers in DBTaskResult.objects.running().values_list(
        "pk", "task_path", "started_at", "worker_ids"
    ):
        worker = workers[-1] if workers else ""
        alive = _worker_alive(worker, started_at) if started_at else None
        if alive or (alive is None and started_at and now - started_at < lease):
            continue
        put_back = DBTaskResult.objects.filter(
            pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at
        ).update(status=TaskResultStatus.READY)
        if put_back:
            reclaimed += 1
            log.warning(
                "task %s (%s) was left running by worker %s since %s; queued again",
                pk,
                path,
                worker or "?",
                started_at,
            )
    return reclaimed


def resume_after_crash() -> None:
    """As a worker starts: take up the tasks a killed worker left running, queue a refresh
    (a server killed between a commit and the enqueue leaves none; the outbox still holds
    its measurements) and make sure the daily self-check is queued."""
    reclaim_abandoned_tasks()
    schedule_refresh()
    # A service that has never been checked (a new install, the demo) or not within the
    # interval gets its check now, so the operator's page has a result from the start.
    from klantpeil.rollups.models import RollupCheck

    last = RollupCheck.objects.order_by("-started_at").values_list("started_at", flat=True)
    recent = last.first()
    due = recent is None or recent < timezone.now() - CHECK_INTERVAL
    schedule_check(timedelta(0) if due else CHECK_INTERVAL)
