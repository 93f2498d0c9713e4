"""Background work of privacy: removing contact data once its retention period is over.

The purge task runs daily while any contact data is held: creating invitations
makes sure one is queued (:func:`on_contact_details_stored`, a subscriber of the
write path's ``ContactDetailsStored`` event), and each run queues
the next one. It is idempotent, so a run twice or after a crash changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from klantpeil.collection.models import Invitation
from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Organisation
from klantpeil.privacy import services

INTERVAL = timedelta(days=1)


def purge_all(*, organisation: Organisation | None = None, dry_run: bool = False) -> dict[str, int]:
    """Purge expired contact data of every organisation (or only ``organisation``); the
    changed invitations per slug (with ``dry_run``: those that would change)."""
    changed = {}
    chosen = Organisation.objects.order_by("pk")
    if organisation is not None:
        chosen = chosen.filter(pk=organisation.pk)
    for each in chosen:
        with tenant(each):
            changed[each.slug] = services.purge_contact_data(dry_run=dry_run)
    return changed


@task()
def purge_contact_data() -> dict[str, int]:
    changed = purge_all()
    if Invitation.unscoped_all_tenants.filter(services.holding_contact_data()).exists():
        schedule_contact_purge()
    return changed


def on_contact_details_stored(event: object) -> None:
    """Subscriber (on commit): contact data now held must go when its retention is over."""
    schedule_contact_purge()


def schedule_contact_purge() -> None:
    """Queue the daily purge once the current transaction commits, unless one waits already."""

    def enqueue() -> None:
        # Not .ready(): that leaves out a task whose time has not come yet.
        waiting = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=purge_contact_data.module_path
        )
        if not waiting.exists():
            purge_contact_data.using(run_after=timezone.now() + INTERVAL).enqueue()

    transaction.on_commit(enqueue)
