"""Rollups: sufficient statistics per organisation × unit × channel × instrument × day.

Dashboards read these instead of the answers table, so their cost follows the
number of days and cells shown, not the number of stored responses. Unit and
channel are stored as plain keys (0 = none) so the unique key works the same
on SQLite and PostgreSQL, where NULLs would never collide.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import TenantModel

VALUE_COLUMNS = tuple(f"v{i}" for i in range(11))  # answers 0…10: every scale in the product


class AnswerRollup(TenantModel):
    """Sums of one question's numeric answers in a cell; ``question_key`` "" counts the
    measurements themselves, and ``unit_key`` -1 holds the day's sum over all units."""

    day = models.DateField()
    unit_key = models.BigIntegerField(default=0)
    channel_key = models.BigIntegerField(default=0)
    instrument = models.ForeignKey(
        "instruments.Instrument", on_delete=models.CASCADE, related_name="+"
    )
    question_key = models.CharField(max_length=80)
    n = models.IntegerField()
    total = models.FloatField()
    total_squares = models.FloatField()
    v0 = models.IntegerField(default=0)
    v1 = models.IntegerField(default=0)
    v2 = models.IntegerField(default=0)
    v3 = models.IntegerField(default=0)
    v4 = models.IntegerField(default=0)
    v5 = models.IntegerField(default=0)
    v6 = models.IntegerField(default=0)
    v7 = models.IntegerField(default=0)
    v8 = models.IntegerField(default=0)
    v9 = models.IntegerField(default=0)
    v10 = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "organisation",
                    "day",
                    "unit_key",
                    "channel_key",
                    "instrument",
                    "question_key",
                ],
                name="answer_rollup_cell",
            )
        ]
        indexes = [
            # Unit before day: most reads take the all-units cells (unit_key -1).
            models.Index(
                fields=["organisation", "instrument", "question_key", "unit_key", "day"],
                name="answer_rollup_read",
            ),
        ]
        verbose_name = _("answer rollup")


class DriverRollup(TenantModel):
    """Cross-products of the driver items and the overall grade over complete responses."""

    day = models.DateField()
    unit_key = models.BigIntegerField(default=0)
    channel_key = models.BigIntegerField(default=0)
    instrument = models.ForeignKey(
        "instruments.Instrument", on_delete=models.CASCADE, related_name="+"
    )
    keys = models.JSONField()  # the variables, in the order of sums and products
    n = models.IntegerField()
    sums = models.JSONField()
    products = models.JSONField()  # the upper triangle is enough, but the full matrix is simpler

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "day", "unit_key", "channel_key", "instrument"],
                name="driver_rollup_cell",
            )
        ]
        verbose_name = _("driver rollup")


class RollupWatermark(models.Model):
    """The highest measurement id folded into the rollups."""

    name = models.CharField(max_length=40, unique=True)
    last_measurement_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ≤ {self.last_measurement_id}"
