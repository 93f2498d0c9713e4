"""Reads of measurements for the current organisation (the tenant scope applies)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404

from klantpeil.collection.models import Answer, Measurement
from klantpeil.organisations.models import ChannelKind


def current_measurements() -> QuerySet[Measurement]:
    return Measurement.objects.current()


def counts_per_channel_and_month(*, since: date) -> tuple[list[date], list[dict]]:
    """Current measurements per channel and calendar month (Amsterdam time) since ``since``.

    Returns the months and one row per channel kind with a count per month and a
    total; measurements without a channel (employee surveys) form their own row.
    """
    rows = (
        current_measurements()
        .filter(occurred_at__date__gte=since)
        .annotate(month=TruncMonth("occurred_at"))
        .values("channel__kind", "month")
        .annotate(n=Count("id"))
    )
    table: dict[str | None, dict[date, int]] = defaultdict(dict)
    months: set[date] = set()
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        months.add(month)
        table[row["channel__kind"]][month] = row["n"]
    ordered = sorted(months)
    labels = dict(ChannelKind.choices)
    result = []
    for kind in [*ChannelKind.values, None]:
        if kind not in table:
            continue
        counts = [table[kind].get(m, 0) for m in ordered]
        result.append(
            {"kind": kind, "label": labels.get(kind), "counts": counts, "total": sum(counts)}
        )
    return ordered, result


def measurement_by_id(*, pk: int) -> Measurement:
    """One measurement of the current organisation, or 404 (a foreign id is 'not found')."""
    return get_object_or_404(
        Measurement.objects.select_related(
            "channel", "unit", "instrument_version__instrument", "correction", "corrects"
        ),
        pk=pk,
    )


def answers_of(*, measurement: Measurement) -> QuerySet[Answer]:
    return (
        Answer.objects.filter(measurement=measurement)
        .select_related("question")
        .order_by("question__position")
    )
