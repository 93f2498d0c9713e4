"""Writes of the reports: asking for one, and making it (what the task runs)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from klantpeil.core.tenancy import tenant
from klantpeil.metrics.periods import parse_period
from klantpeil.reports.build import FORMATS, build
from klantpeil.reports.content import STEPS
from klantpeil.reports.models import ReportRun

logger = logging.getLogger(__name__)


@transaction.atomic
def request_report(*, period: str, fmt: str, lang: str, user=None) -> ReportRun:
    """Queue a report of the current organisation; the worker makes it. Raises
    ValueError (with the accepted forms) for a period, format or language it cannot make."""
    label = parse_period(period).label
    if fmt not in FORMATS or lang not in ("nl", "en"):
        raise ValueError(f"cannot make a {fmt!r} report in {lang!r}")
    run = ReportRun.objects.create(period=label, format=fmt, language=lang, requested_by=user)
    from klantpeil.reports.tasks import make_report

    transaction.on_commit(lambda: make_report.enqueue(run_id=run.pk))
    return run


def _requester_units(run: ReportRun) -> frozenset[int] | None:
    """The units the member who asked for the report is limited to (None: the whole
    organisation, also for a run nobody asked for in the app). Read when the report is
    made, so a member limited meanwhile gets a report within their units."""
    from klantpeil.accounts.models import Membership

    if run.requested_by_id is None:
        return None
    membership = Membership.objects.filter(
        user_id=run.requested_by_id, organisation_id=run.organisation_id
    ).first()
    return membership.unit_scope() if membership is not None else frozenset()


def make(*, run_id: int) -> str:
    """Make the report of ``run_id``; safe to run twice (a finished run is left alone).

    Progress is written in its own small updates, outside any transaction, so the
    page that polls it sees each step as it happens.
    """
    run = ReportRun.unscoped_all_tenants.select_related("organisation").get(pk=run_id)
    if run.finished:
        return run.status
    rows = ReportRun.unscoped_all_tenants.filter(pk=run_id)
    rows.update(status=ReportRun.Status.RUNNING, step=STEPS[0], progress=0)

    def step(name: str) -> None:
        rows.update(step=name, progress=round(100 * STEPS.index(name) / len(STEPS)))

    units = _requester_units(run)
    try:
        with tenant(run.organisation, units):
            body = build(parse_period(run.period), fmt=run.format, lang=run.language, progress=step)
    except Exception as exc:  # the worker goes on with the next task
        # The operator's log and the stored run hold why; the user sees a plain message.
        logger.exception(
            "Report %s (%s, %s, %s) of %s failed",
            run.pk,
            run.period,
            run.format,
            run.language,
            run.organisation.slug,
        )
        rows.update(
            status=ReportRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    # Only while still running: a respondent forgotten meanwhile marks the run ERASED,
    # and a file built from their answers must then not be stored.
    rows.filter(status=ReportRun.Status.RUNNING).update(
        status=ReportRun.Status.DONE,
        content=body,
        units=None if units is None else sorted(units),
        step="",
        progress=100,
        finished_at=timezone.now(),
    )
    return ReportRun.Status.DONE
