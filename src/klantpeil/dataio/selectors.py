"""Reads about imports: which figures hold answers converted from another scale."""

from __future__ import annotations

from klantpeil.collection.selectors import MeasurementFilter, filtered_measurements
from klantpeil.dataio.models import ImportedMeasurement
from klantpeil.metrics import scales


def conversions_in(filters: MeasurementFilter) -> list[str]:
    """The scale conversions behind the measurements ``filters`` select, as
    "1–5 → 1–10 (linear-1-5-to-1-10)", sorted; empty when none was converted.

    One query; an organisation that never imported a converted file reads no rows.
    """
    found = (
        ImportedMeasurement.objects.filter(
            converted=True, measurement__in=filtered_measurements(filters).values("pk")
        )
        .values_list("batch__conversions", flat=True)
        .distinct()[:50]
    )
    labels = set()
    for conversions in found:
        for entry in conversions.values():
            c = scales.CONVERSIONS.get(entry.get("conversion", ""))
            if c is not None:
                labels.add(f"{c.source_label} → {c.target_label} ({c.id})")
    return sorted(labels)
