"""Reads of the reports, always inside the current organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from klantpeil.reports.models import ReportRun

RECENT = 20


def recent_reports() -> QuerySet[ReportRun]:
    return ReportRun.objects.defer("content")[:RECENT]


def report_by_id(*, pk: int) -> ReportRun:
    """The current organisation's report ``pk``; another organisation's is DoesNotExist."""
    return ReportRun.objects.get(pk=pk)
