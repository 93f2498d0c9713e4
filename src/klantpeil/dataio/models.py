"""What each import of other tools' history brought in, and how its scales were converted.

Kept beside the measurements rather than on them: ``collection`` is shared by every
way answers arrive, and only imports convert scales. Every imported measurement
points at its batch; the batch says per file column which question it became and by
which conversion (:mod:`klantpeil.metrics.scales`), so a figure over converted
answers can say so.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import HIDDEN_FROM_UNITS, TenantModel


class ImportBatch(TenantModel):
    """One file imported: its tool's format and the conversions applied to its columns."""

    # An organisation-wide record of who brought in what; a unit-limited member reads
    # their units' imported measurements through ImportedMeasurement instead.
    unit_scope = HIDDEN_FROM_UNITS

    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=30)  # dataio.formats.FORMATS key
    instrument_key = models.CharField(max_length=80)
    measurements = models.PositiveIntegerField(default=0)
    # {file column: {"question": key, "conversion": id, "source_scale": "1–5"}}, only
    # columns whose values were converted (identity is not a conversion).
    conversions = models.JSONField(default=dict, blank=True)
    first_occurred_at = models.DateTimeField(null=True, blank=True)
    last_occurred_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.file_format})"

    @property
    def converted(self) -> bool:
        return bool(self.conversions)


class ImportedMeasurement(TenantModel):
    """The batch a measurement came in with (and so the conversions of its answers)."""

    unit_scope = "measurement__unit"

    measurement = models.OneToOneField(
        "collection.Measurement", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="items")
    converted = models.BooleanField(default=False)  # the batch converted some scale

    class Meta:
        indexes = [models.Index(fields=["organisation", "converted"], name="imported_converted")]
        verbose_name = _("imported measurement")
        verbose_name_plural = _("imported measurements")
