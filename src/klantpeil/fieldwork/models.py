"""Mystery studies: what is contacted, with which question, when and by whom.

A study belongs to one organisation (the tenant); planning the same study for
several organisations makes one study each, sharing a ``series`` name, so every
organisation sees only its own targets, assignments and results.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel
from klantpeil.organisations.models import ChannelKind

# What the shopper taps on each channel: the start of the contact and, where it can
# be timed, the moment a person took it up (None: nothing to time live).
TAPS = {
    "mystery-phone": (_("Dialled"), _("A person answered")),
    "mystery-email": (_("Sent"), None),
    "mystery-chat": (_("Chat started"), _("An agent replied")),
    "mystery-social": (_("Posted"), None),
    "mystery-counter": (_("Arrived"), _("Served")),
}


class Study(TenantModel):
    unit_scope = WHOLE_ORGANISATION
    name = models.CharField(_("name"), max_length=200)
    series = models.CharField(_("series"), max_length=200, blank=True)
    protocol = models.CharField(_("protocol"), max_length=80)  # an instrument key
    channel_kind = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    contacts = models.PositiveIntegerField(_("number of contacts"))
    seed = models.PositiveIntegerField(_("random seed"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return self.name

    @property
    def taps(self) -> tuple:
        return TAPS.get(self.protocol, TAPS["mystery-phone"])


class Target(TenantModel):
    """A phone number, address, page or location to contact, usually of one unit."""

    unit_scope = "unit"

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="targets")
    key = models.CharField(max_length=20)
    label = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("number or address"), max_length=300)
    unit = models.ForeignKey(
        "organisations.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["study", "key"], name="target_key")]

    def __str__(self) -> str:
        return self.label


class Scenario(TenantModel):
    """The question the shopper asks, with the correct answer as the answer key."""

    unit_scope = WHOLE_ORGANISATION

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="scenarios")
    key = models.CharField(max_length=20)
    question = models.TextField(_("question"))
    answer_key = models.TextField(_("correct answer"))

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["study", "key"], name="scenario_key")]

    def __str__(self) -> str:
        return self.question[:60]


class Assignment(TenantModel):
    unit_scope = "target__unit"
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="assignments")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="+")
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="+")
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    block = models.CharField(max_length=20)
    scheduled_at = models.DateTimeField()
    dialled_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The current version of the scored contact (a recorded callback corrects it).
    measurement = models.OneToOneField(
        "collection.Measurement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignment",
    )
    callback_due_at = models.DateTimeField(null=True, blank=True)  # promised: by when
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_closed_at = models.DateTimeField(null=True, blank=True)  # came, or given up

    class Meta:
        ordering = ["scheduled_at"]
        indexes = [
            models.Index(
                fields=["organisation", "shopper", "scheduled_at"], name="assignment_todo"
            ),
            models.Index(fields=["organisation", "callback_due_at"], name="assignment_callback"),
        ]

    @property
    def seconds_to_answer(self) -> int | None:
        """From the tap on "dialled" to the tap on "a person answered"."""
        if self.dialled_at and self.answered_at:
            return max(0, round((self.answered_at - self.dialled_at).total_seconds()))
        return None

    @property
    def callback_pending(self) -> bool:
        return self.callback_due_at is not None and self.callback_closed_at is None
