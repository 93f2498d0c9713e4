"""Rollups: sufficient statistics per organisation × unit × channel × instrument × day.

Dashboards read these instead of the answers table, so their cost follows the
number of days and cells shown, not the number of stored responses. Unit and
channel are stored as plain keys (0 = none) so the unique key works the same
on SQLite and PostgreSQL, where NULLs would never collide.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel

VALUE_COLUMNS = tuple(f"v{i}" for i in range(11))  # answers 0…10: every scale in the product


class AnswerRollup(TenantModel):
    """Sums of one question's numeric answers in a cell; ``question_key`` "" counts the
    measurements themselves, and ``unit_key`` -1 holds the day's sum over all units."""

    unit_scope = "unit_key"

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
        db_table = "analytics_answerrollup"  # moved from analytics; the table kept its name
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
    """The driver moments of the survey responses with a grade in a cell, per answer
    pattern (see ``rollups.services._driver_months``), for one local day or one
    calendar month: ``day`` is the day, or the month's first day. Reads take whole
    months from the month cells and only the days of a partly covered month from the
    day cells, so a year costs about 12 + 30 cells, whatever the number of answers.

    A cell keeps either its patterns' packed moments (``masks``, ``moments``: many
    responses) or its responses' score rows (``scores``: a few responses, where 8
    numbers a response are cheaper than 180 a pattern), whichever is smaller; the
    other fields are empty. Binary, little-endian (``metrics.drivers.encode_cell``)."""

    DAY, MONTH = "day", "month"
    SPANS = [(DAY, _("day")), (MONTH, _("month"))]

    unit_scope = "unit_key"

    span = models.CharField(max_length=5, choices=SPANS, default=DAY)
    day = models.DateField()
    unit_key = models.BigIntegerField(default=0)
    channel_key = models.BigIntegerField(default=0)
    instrument = models.ForeignKey(
        "instruments.Instrument", on_delete=models.CASCADE, related_name="+"
    )
    n = models.IntegerField()  # responses with a grade
    masks = models.BinaryField(default=b"")
    moments = models.BinaryField(default=b"")
    scores = models.BinaryField(default=b"")

    class Meta:
        db_table = "analytics_driverrollup"  # moved from analytics; the table kept its name
        constraints = [
            # In the order of the reads: one organisation's survey, one unit and channel
            # key (-1: all), then the months and the edge days of a period.
            models.UniqueConstraint(
                fields=["organisation", "instrument", "unit_key", "channel_key", "span", "day"],
                name="driver_rollup_cell_span",
            )
        ]
        verbose_name = _("driver rollup")


class MeasurementRecorded(TenantModel):
    """The "measurement recorded" event, kept as an outbox row until its subscriber is done.

    Written in the measurement's own transaction by every write path (one row per
    subscriber), so the event exists exactly when the measurement is committed,
    whatever order transactions commit in; an id watermark cannot promise that on
    PostgreSQL, where ids are taken at insert and become visible at commit. The
    subscriber (today only the rollups) deletes the rows it has consumed in the
    transaction that consumes them. ``day`` is the local day of the contact, so
    the rollups know which cells to recompute without reading the measurement.
    """

    unit_scope = "measurement__unit"

    measurement = models.ForeignKey(
        "collection.Measurement", on_delete=models.CASCADE, related_name="+", db_index=False
    )  # indexed by recorded_measurement below
    day = models.DateField()
    subscriber = models.CharField(max_length=20)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "analytics_measurementrecorded"  # moved from analytics; the table kept its name
        indexes = [
            models.Index(fields=["subscriber", "organisation", "day"], name="recorded_pending"),
            models.Index(fields=["measurement", "subscriber"], name="recorded_measurement"),
        ]
        verbose_name = _("measurement recorded (pending)")


class RollupFold(TenantModel):
    """One row per organisation: the lock that makes folds of its rollups take turns
    (two workers never rebuild the same day at once), and when it was last folded."""

    unit_scope = WHOLE_ORGANISATION

    folded_at = models.DateTimeField(_("last folded"), null=True)
    folded = models.BigIntegerField(_("measurements folded"), default=0)
    # The driver cells' layout (format and driver columns) when last built in full; the
    # driver reader takes the raw answers until it is the current one, and the next
    # refresh rebuilds an organisation whose cells are of an older layout.
    driver_layout = models.CharField(_("driver cell layout"), max_length=300, blank=True)

    class Meta:
        db_table = "analytics_rollupfold"  # moved from analytics; the table kept its name
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="rollup_fold_organisation")
        ]
        verbose_name = _("rollup feed")
        verbose_name_plural = _("rollup feeds")


class RollupCheck(models.Model):
    """One run of the rollups' self-check: rollup counts against raw counts per
    organisation and local day, and the days it found different (and repaired)."""

    started_at = models.DateTimeField(_("checked at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True)
    trigger = models.CharField(_("trigger"), max_length=20)
    organisations = models.IntegerField(_("organisations"), default=0)
    days = models.IntegerField(_("days checked"), default=0)
    days_different = models.IntegerField(_("days different"), default=0)
    days_repaired = models.IntegerField(_("days repaired"), default=0)
    # [{"organisation": slug, "day": "2026-11-02", "rollups": n, "raw": n}, …]
    differences = models.JSONField(default=list)

    class Meta:
        db_table = "analytics_rollupcheck"  # moved from analytics; the table kept its name
        ordering = ["-started_at"]
        verbose_name = _("rollup check")
        verbose_name_plural = _("rollup checks")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.trigger}: {self.days_repaired} repaired"
