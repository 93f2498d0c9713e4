"""Reads of the reports, always inside the current organisation."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from klantpeil.core.tenancy import current_units
from klantpeil.reports.models import ReportRun

RECENT = 20


def _visible(user=None) -> QuerySet[ReportRun]:
    """The current organisation's reports; for a member limited to units only the ones
    they asked for themselves (made within their units, see services.make): a report
    another member asked for may hold the whole organisation."""
    runs = ReportRun.objects.all()
    if current_units() is not None:
        runs = runs.filter(requested_by=user) if user is not None else runs.none()
    return runs


def _within_scope(run: ReportRun) -> bool:
    """Whether the reader's units cover what the run's file was made within. A file not
    made yet holds nothing; one made for the whole organisation (or before runs kept
    their units) is wider than any limit."""
    scope = current_units()
    if scope is None or not run.has_file:
        return True
    return run.units is not None and set(run.units) <= scope


def _with_has_file(runs: QuerySet[ReportRun]) -> QuerySet[ReportRun]:
    # Whether a file is stored, without loading it.
    has_file = ExpressionWrapper(Q(content__isnull=False), output_field=BooleanField())
    return runs.annotate(has_file=has_file)


def recent_reports(*, user=None) -> list[ReportRun]:
    runs = _with_has_file(_visible(user).defer("content"))[:RECENT]
    return [run for run in runs if _within_scope(run)]


def report_by_id(*, pk: int, user=None) -> ReportRun:
    """The current organisation's report ``pk``; another organisation's is DoesNotExist,
    and so is another member's for a member limited to units, and a file made within
    units the member is no longer limited to."""
    run = _with_has_file(_visible(user)).get(pk=pk)
    if not _within_scope(run):
        raise ReportRun.DoesNotExist
    return run
