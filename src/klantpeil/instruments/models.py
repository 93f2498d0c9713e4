"""Questionnaires and scoring protocols, versioned so every result knows what was asked."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel


class Method(models.TextChoices):
    CUSTOMER_SURVEY = "customer_survey", _("Customer survey")
    MYSTERY_CONTACT = "mystery_contact", _("Mystery contact")
    CONTACT_EVALUATION = "contact_evaluation", _("Contact evaluation")
    EMPLOYEE_SURVEY = "employee_survey", _("Employee survey")
    SOCIAL_POST = "social_post", _("Social post")


class QuestionType(models.TextChoices):
    GRADE = "grade", _("Grade 1–10")
    NPS = "nps", _("Recommendation 0–10")
    CES = "ces", _("Effort 1–7")
    LIKERT = "likert", _("Agreement 1–5")
    YES_NO = "yes_no", _("Yes/no")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    NUMBER = "number", _("Number")
    DURATION = "duration", _("Duration (seconds)")
    TIMESTAMP = "timestamp", _("Date and time")
    TEXT = "text", _("Text")


class Driver(models.TextChoices):
    """The seven drivers of contact quality (the CCC Quality model)."""

    RELIABILITY = "reliability", _("Reliability")
    EMPATHY = "empathy", _("Empathy")
    CUSTOMER_FOCUS = "customer_focus", _("Customer focus")
    CUSTOMER_KNOWLEDGE = "customer_knowledge", _("Customer knowledge")
    WAITING_TIME = "waiting_time", _("Waiting time")
    ACCESSIBILITY = "accessibility", _("Accessibility")
    IVR_MENU = "ivr_menu", _("IVR menu")


def localised(nl: str, en: str) -> str:
    return en if (translation.get_language() or "nl").startswith("en") else nl


class Instrument(TenantModel):
    """A questionnaire or protocol. Standard content has no organisation and is shared."""

    unit_scope = WHOLE_ORGANISATION

    tenant_shared = True

    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty for the standard instruments every organisation may use."),
    )
    key = models.SlugField(max_length=80)
    method = models.CharField(max_length=30, choices=Method.choices)
    name_nl = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(organisation__isnull=True),
                name="standard_instrument_key",
            ),
            models.UniqueConstraint(fields=["organisation", "key"], name="instrument_key_per_org"),
        ]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self) -> str:
        return self.key

    @property
    def name(self) -> str:
        return localised(self.name_nl, self.name_en)


class InstrumentVersion(models.Model):
    """A published version never changes; results point at the version they were collected with."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    channels = models.JSONField(default=list, blank=True)
    description_nl = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instrument__key", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="version_number")
        ]
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")

    def __str__(self) -> str:
        return f"{self.instrument.key} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A published instrument version never changes; publish a new one.")
        super().save(*args, **kwargs)


class Question(models.Model):
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(max_length=80)
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    label_nl = models.CharField(max_length=300)
    label_en = models.CharField(max_length=300)
    help_nl = models.CharField(max_length=500, blank=True)
    help_en = models.CharField(max_length=500, blank=True)
    required = models.BooleanField(default=True)
    driver = models.CharField(max_length=30, choices=Driver.choices, blank=True)
    indicator = models.CharField(max_length=60, blank=True)
    choices = models.JSONField(default=list, blank=True)
    minimum = models.FloatField(null=True, blank=True)
    maximum = models.FloatField(null=True, blank=True)
    channels = models.JSONField(default=list, blank=True)
    show_if = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="question_key_per_version"),
        ]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        return localised(self.label_nl, self.label_en)

    @property
    def scale(self) -> tuple[float, float] | None:
        """The valid range of a numeric answer, from the type or the question's own bounds."""
        fixed = SCALES.get(self.type)
        if fixed:
            return fixed
        if self.minimum is None and self.maximum is None:
            return None
        return (
            self.minimum if self.minimum is not None else float("-inf"),
            self.maximum if self.maximum is not None else float("inf"),
        )


SCALES: dict[str, tuple[float, float]] = {
    QuestionType.GRADE: (1, 10),
    QuestionType.NPS: (0, 10),
    QuestionType.CES: (1, 7),
    QuestionType.LIKERT: (1, 5),
    QuestionType.YES_NO: (0, 1),
}
