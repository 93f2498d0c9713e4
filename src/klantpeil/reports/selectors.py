"""Reads of the reports, always inside the current organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from klantpeil.core.tenancy import unit_limited
from klantpeil.reports.models import ReportRun

RECENT = 20


def _visible(user=None) -> QuerySet[ReportRun]:
    """The current organisation's reports; for a member limited to units only the ones
    they asked for themselves (made within their units, see services.make): a report
    another member asked for may hold the whole organisation."""
    runs = ReportRun.objects.all()
    if unit_limited():
        runs = runs.filter(requested_by=user) if user is not None else runs.none()
    return runs


def recent_reports(*, user=None) -> QuerySet[ReportRun]:
    return _visible(user).defer("content")[:RECENT]


def report_by_id(*, pk: int, user=None) -> ReportRun:
    """The current organisation's report ``pk``; another organisation's is DoesNotExist,
    and so is another member's for a member limited to units."""
    return _visible(user).get(pk=pk)
