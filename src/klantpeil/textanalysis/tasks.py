"""Background work of the text analysis: annotating comments as they arrive.

Every write path that stores measurements (respondent form, API, import) publishes the
"measurement recorded" event, saying whether an open comment came in; once it commits,
:func:`on_measurements_recorded` queues an annotation run if one did. One pending task
is enough however many writes arrive before it runs; the task annotates whatever has no
annotation yet, organisation by organisation, so running it twice changes nothing."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from klantpeil.collection.models import Answer
from klantpeil.core.events import MeasurementsRecorded
from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Organisation
from klantpeil.textanalysis import selectors, services


@task()
def annotate_new_comments() -> dict[str, int]:
    # Which organisations have comments waiting: a deliberate read across tenants.
    waiting = set(
        selectors.pending_comments(Answer.unscoped_all_tenants)
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    done = {}
    for organisation in Organisation.objects.filter(pk__in=waiting):
        with tenant(organisation):
            done[organisation.slug] = services.annotate_comments()
    return done


def on_measurements_recorded(event: MeasurementsRecorded) -> None:
    """Subscriber (on commit): comments came in, so annotate them."""
    if event.comments:
        schedule_annotation()


def schedule_annotation() -> None:
    """Queue an annotation run once the current transaction commits, unless one waits already."""

    def enqueue() -> None:
        if (
            not DBTaskResult.objects.ready()
            .filter(task_path=annotate_new_comments.module_path)
            .exists()
        ):
            annotate_new_comments.enqueue()

    transaction.on_commit(enqueue)
