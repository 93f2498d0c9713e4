"""Background work of the reports: the worker makes a report the app asked for."""

from __future__ import annotations

from django_tasks import task

from klantpeil.reports import services


@task()
def make_report(run_id: int) -> str:
    return services.make(run_id=run_id)
