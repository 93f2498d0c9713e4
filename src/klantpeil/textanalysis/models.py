"""Sentiment and drivers of open comments, and social-media posts with their replies.

A comment's annotation sits beside its answer (answers are append-only, so the
annotation is a row of its own, made once per answer: annotating twice changes
nothing). Drivers are stored space-padded (" empathy waiting_time ") so one
``contains`` filter finds a driver on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import HIDDEN_FROM_UNITS, TenantModel
from klantpeil.instruments.models import Driver


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


# The seven drivers of the customer survey, and "other" for a comment about none of them.
COMMENT_DRIVERS = [*Driver.choices, ("other", _("Other"))]


class Annotated(TenantModel):
    """What the text analysis found: label, score, language, drivers, the words behind it."""

    label = models.CharField(max_length=10, choices=Sentiment.choices)
    score = models.FloatField(help_text=_("From −1 (negative) to 1 (positive)."))
    language = models.CharField(max_length=8)
    drivers = models.CharField(max_length=200)  # space-padded: " empathy waiting_time "
    spans = models.JSONField(default=list)  # [[start, end, weight], ...]
    method = models.CharField(max_length=20)

    class Meta:
        abstract = True

    @property
    def driver_list(self) -> list[str]:
        return self.drivers.split()


class CommentAnnotation(Annotated):
    unit_scope = "measurement__unit"
    answer = models.OneToOneField(
        "collection.Answer", on_delete=models.CASCADE, related_name="annotation"
    )
    measurement = models.ForeignKey(
        "collection.Measurement", on_delete=models.CASCADE, related_name="+"
    )
    annotated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "label"], name="comment_org_label"),
            models.Index(fields=["organisation", "language"], name="comment_org_language"),
        ]
        verbose_name = _("comment annotation")
        verbose_name_plural = _("comment annotations")

    def __str__(self) -> str:
        return f"{self.label} ({self.score:+.2f})"


class SocialPost(Annotated):
    """A public post or reply about the organisation, imported from a social-media tool."""

    unit_scope = HIDDEN_FROM_UNITS  # posts are about the organisation, not a unit

    platform = models.CharField(max_length=30)
    external_id = models.CharField(max_length=120)
    author = models.CharField(max_length=120, blank=True)
    from_organisation = models.BooleanField(
        default=False, help_text=_("Posted by the organisation's own account.")
    )
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    posted_at = models.DateTimeField()
    text = models.TextField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-posted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "platform", "external_id"], name="social_post_once"
            )
        ]
        indexes = [models.Index(fields=["organisation", "posted_at"], name="social_org_time")]
        verbose_name = _("social-media post")
        verbose_name_plural = _("social-media posts")

    def __str__(self) -> str:
        return f"{self.platform} {self.external_id}"
