"""Measurements and their answers: append-only, corrections recorded beside the original.

Answers are stored narrow (one row per measurement × question) with one typed
value column per kind of value. Numeric answers (grades, NPS, yes/no as 1/0,
durations, numbers) all land in ``number`` so analytics aggregates one indexed
column; rollups (see the rollups app) keep dashboards from scanning this table at all.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import TenantManager, TenantModel, TenantQuerySet
from klantpeil.instruments.models import Method, localised


class Source(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    FIELD_FORM = "field_form", _("Field form")
    DEMO = "demo", _("Demo data")


class AppendOnlyError(RuntimeError):
    """Measurements and answers are never changed in place; record a correction."""


class MeasurementQuerySet(TenantQuerySet):
    def current(self) -> MeasurementQuerySet:
        """Measurements that have not been replaced by a correction."""
        return self.filter(superseded_at__isnull=True)


class Measurement(TenantModel):
    """One filled instrument about one contact or one person."""

    unit_scope = "unit"

    instrument_version = models.ForeignKey(
        "instruments.InstrumentVersion", on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=30, choices=Method.choices)
    channel = models.ForeignKey(
        "organisations.Channel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(help_text=_("When the contact happened."))
    source = models.CharField(max_length=20, choices=Source.choices)
    language = models.CharField(max_length=8, blank=True)
    external_id = models.CharField(max_length=120, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager.from_queryset(MeasurementQuerySet)()
    unscoped_all_tenants = models.Manager.from_queryset(MeasurementQuerySet)()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "occurred_at"], name="measurement_org_time"),
            models.Index(
                fields=["organisation", "instrument_version", "occurred_at"],
                name="measurement_org_version_time",
            ),
            models.Index(
                fields=["organisation", "channel", "occurred_at"], name="measurement_org_channel"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="measurement_external_id_per_org",
            )
        ]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("A measurement is never changed; record a correction.")
        super().save(*args, **kwargs)


class Answer(TenantModel):
    unit_scope = "measurement__unit"
    measurement = models.ForeignKey(Measurement, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey("instruments.Question", on_delete=models.PROTECT, related_name="+")
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(null=True, blank=True)  # noqa: DJ001 NULL = not a text answer
    moment = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measurement", "question"], name="one_answer_each")
        ]
        indexes = [models.Index(fields=["question", "number"], name="answer_question_number")]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.question_id}={self.value!r}"

    @property
    def value(self) -> Any:
        if self.moment is not None:
            return self.moment
        if self.number is not None:
            return self.number
        return self.text

    @property
    def display(self) -> str:
        """The answer as a person reads it: 8 not 8.0, Ja/Yes, a choice's label."""
        from django.utils import formats, timezone

        question = self.question
        if question.type == "yes_no" and self.number is not None:
            return str(_("Yes") if self.number else _("No"))
        if question.type in ("single_choice", "multiple_choice") and self.text:
            labels = {
                c["key"]: localised(c["label"]["nl"], c["label"]["en"]) for c in question.choices
            }
            return ", ".join(labels.get(key, key) for key in self.text.split("|"))
        if self.moment is not None:
            return formats.date_format(timezone.localtime(self.moment), "DATETIME_FORMAT")
        if self.number is not None:
            return formats.number_format(
                int(self.number) if self.number.is_integer() else self.number
            )
        return self.text or ""

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("An answer is never changed; record a correction.")
        super().save(*args, **kwargs)


class Correction(TenantModel):
    """Why and by whom a measurement was replaced; both versions stay stored."""

    unit_scope = "original__unit"

    original = models.OneToOneField(
        Measurement, on_delete=models.PROTECT, related_name="correction"
    )
    replacement = models.OneToOneField(
        Measurement, on_delete=models.PROTECT, related_name="corrects"
    )
    reason = models.TextField()
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")


class Invitation(TenantModel):
    """A single-use, expiring link for one respondent, made from one contact event.

    The link's token is never stored, only its SHA-256 hash: whoever reads the
    database cannot answer in a customer's name. The respondent's contact data
    lives here, apart from the answers, so it can be removed on its own.
    """

    unit_scope = "unit"

    token_hash = models.CharField(max_length=64, unique=True)
    instrument_version = models.ForeignKey(
        "instruments.InstrumentVersion", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.ForeignKey("organisations.Channel", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField()
    language = models.CharField(max_length=8, default="nl")
    external_contact_id = models.CharField(max_length=120, blank=True)
    respondent_email = models.EmailField(blank=True)
    respondent_phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    measurement = models.OneToOneField(
        Measurement, on_delete=models.PROTECT, null=True, blank=True, related_name="invitation"
    )
    # The funnel (distribution): "opened" = the form was first shown (a GET of the
    # link); "started" = the respondent first submitted the form, valid or not (the
    # form is one page, so its first submission is the first sign of answering);
    # "completed" = ``measurement`` is set. Reminders go only to those not started.
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="invitation_org_time")]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class OpenLink(TenantModel):
    """A reusable survey link for a counter tablet or a QR code on a poster."""

    unit_scope = "unit"

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    instrument_version = models.ForeignKey(
        "instruments.InstrumentVersion", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.ForeignKey("organisations.Channel", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=8, default="nl")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("open link")
        verbose_name_plural = _("open links")

    def __str__(self) -> str:
        return self.name
