"""Survey distribution: how invitations reach respondents, and what became of each send.

- :class:`MessageTemplate`: an organisation's own wording of an invitation or reminder
  per channel and language; without one, the defaults in ``rendering.py`` are used.
- :class:`DistributionSettings`: sender, fatigue rules and the sending window, one row
  per organisation (the defaults apply while it has none).
- :class:`ReminderRule`: per instrument, how many reminders and how many days apart.
- :class:`Delivery`: one send (the invitation itself, or reminder n) of one invitation,
  with its status, attempts and the provider's id. ``idempotency_key`` is unique: a send
  is recorded once however often a batch is retried.
- :class:`OptOut`: a person who no longer wants to be asked, by hashed contact only.

The respondent's address is never copied here: a delivery reads it from its
invitation when it is sent, and keeps only the keyed hash (fatigue, opt-out).
"""

from __future__ import annotations

from datetime import time

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel

DEFAULT_FATIGUE_DAYS = 30
DEFAULT_FATIGUE_PER_YEAR = 4
DEFAULT_WINDOW_START = time(8, 0)
DEFAULT_WINDOW_END = time(21, 0)
# Monday = 0 … Sunday = 6 (Python's weekday()); no invitations on Sunday by default.
DEFAULT_WEEKDAYS = "012345"
WINDOW_TIMEZONE = "Europe/Amsterdam"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class MessageKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")


class TemplateLanguage(models.TextChoices):
    NL = "nl", _("Dutch")
    EN = "en", _("English")


class MessageTemplate(TenantModel):
    """An organisation's wording of one message; validated by ``rendering.validate_template``
    (known variables only; link, organisation and opt-out link always present)."""

    unit_scope = WHOLE_ORGANISATION

    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    kind = models.CharField(max_length=12, choices=MessageKind.choices)
    language = models.CharField(max_length=2, choices=TemplateLanguage.choices)
    subject = models.CharField(max_length=200, blank=True, help_text=_("E-mail only."))
    text_body = models.TextField()
    html_body = models.TextField(
        blank=True, help_text=_("Optional; without it the plain text is shown as HTML.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "kind", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "channel", "kind", "language"],
                name="one_template_per_message",
            )
        ]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} {self.language}"

    def clean(self) -> None:
        """Known variables only; link, organisation and opt-out link present (each
        problem under its field: subject, text_body, html_body)."""
        from django.core.exceptions import ValidationError

        from klantpeil.distribution.rendering import TemplateError, Wording, validate_template

        try:
            validate_template(self.channel, Wording(self.subject, self.text_body, self.html_body))
        except TemplateError as exc:
            raise ValidationError(exc.errors) from None


class DistributionSettings(TenantModel):
    """Sender, fatigue rules and sending window of one organisation."""

    unit_scope = WHOLE_ORGANISATION

    sender_name = models.CharField(
        max_length=120, blank=True, help_text=_("Empty: the organisation's name.")
    )
    sender_address = models.EmailField(
        blank=True, help_text=_("Empty: the service's address (KLANTPEIL_EMAIL_FROM).")
    )
    fatigue_days = models.PositiveSmallIntegerField(
        default=DEFAULT_FATIGUE_DAYS,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("At most one invitation per person per this many days (0: no limit)."),
    )
    fatigue_per_year = models.PositiveSmallIntegerField(
        default=DEFAULT_FATIGUE_PER_YEAR,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("At most this many invitations per person in 365 days (0: no limit)."),
    )
    window_start = models.TimeField(default=DEFAULT_WINDOW_START)
    window_end = models.TimeField(default=DEFAULT_WINDOW_END)
    window_weekdays = models.CharField(
        max_length=7,
        default=DEFAULT_WEEKDAYS,
        help_text=_("Days on which messages are sent: digits 0 (Monday) to 6 (Sunday)."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="one_distribution_settings"),
            models.CheckConstraint(
                condition=models.Q(window_start__lt=models.F("window_end")),
                name="sending_window_start_before_end",
            ),
        ]
        verbose_name = _("distribution settings")
        verbose_name_plural = _("distribution settings")

    def __str__(self) -> str:
        return f"distribution settings {self.organisation_id}"

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.window_weekdays if d.isdigit())

    def clean(self) -> None:
        """A window that cannot work is refused naming its field (start before end, at
        least one day, days 0–6)."""
        from django.core.exceptions import ValidationError

        from klantpeil.metrics.sending import parse_weekdays

        errors: dict[str, str] = {}
        try:
            parse_weekdays(self.window_weekdays)
        except ValueError:
            errors["window_weekdays"] = _("Choose days as digits 0 (Monday) to 6 (Sunday).")
        if self.window_start and self.window_end and self.window_start >= self.window_end:
            errors["window_end"] = _("The window must end after it starts.")
        if errors:
            raise ValidationError(errors)


class ReminderRule(TenantModel):
    """Reminders for one instrument: ``reminders`` of them, ``days_after`` days apart,
    counted from the invitation's send; 0 reminders: none. Only to those who have not
    started (see collection.Invitation.started_at), not opted out and not bounced."""

    unit_scope = WHOLE_ORGANISATION

    instrument = models.ForeignKey(
        "instruments.Instrument", on_delete=models.CASCADE, related_name="+"
    )
    reminders = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(0), MaxValueValidator(3)]
    )
    days_after = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "instrument"], name="one_reminder_rule_per_instrument"
            )
        ]
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")

    def __str__(self) -> str:
        return f"{self.instrument_id}: {self.reminders}×{self.days_after}d"


class DeliveryStatus(models.TextChoices):
    # Waiting for its time: send_at, the sending window, or the next retry.
    SCHEDULED = "scheduled", _("Scheduled")
    # Claimed by a dispatcher, which is talking to the mail server / SMS provider now.
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")  # the SMTP server / provider accepted it
    DELIVERED = "delivered", _("Delivered")  # the provider reported delivery (SMS)
    FAILED = "failed", _("Failed")  # permanent error, or out of attempts
    BOUNCED = "bounced", _("Bounced")  # the recipient was refused
    SKIPPED_FATIGUE = "skipped_fatigue", _("Skipped: asked recently")
    SKIPPED_OPTED_OUT = "skipped_opted_out", _("Skipped: opted out")
    SKIPPED_STARTED = "skipped_started", _("Skipped: already started")  # reminders only
    SKIPPED_BOUNCED = "skipped_bounced", _("Skipped: earlier bounce")  # reminders only
    SKIPPED_EXPIRED = "skipped_expired", _("Skipped: link expired")
    SKIPPED_NO_CONTACT = "skipped_no_contact", _("Skipped: no address")  # contact forgotten


OPEN_STATUSES = (DeliveryStatus.SCHEDULED, DeliveryStatus.SENDING)
SENT_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)


class Delivery(TenantModel):
    """One send of one invitation: the invitation itself (ordinal 0) or reminder n."""

    unit_scope = "invitation__unit"

    invitation = models.ForeignKey(
        "collection.Invitation", on_delete=models.CASCADE, related_name="deliveries"
    )
    kind = models.CharField(max_length=12, choices=MessageKind.choices)
    ordinal = models.PositiveSmallIntegerField(
        default=0, help_text=_("0: the invitation; n: reminder n.")
    )
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.SCHEDULED
    )
    reason = models.CharField(max_length=200, blank=True)
    # "<invitation id>:<kind>:<ordinal>": unique, so a send is recorded once; also the
    # left part of the e-mail's Message-ID.
    idempotency_key = models.CharField(max_length=80, unique=True)
    # Keyed hash of the normalised address (distribution/contacts.py), never the address.
    contact_hash = models.CharField(max_length=64, db_index=True)
    # The link's token, encrypted with a key derived from SECRET_KEY (contacts.seal):
    # the invitation stores only the token's hash, the sender needs the link itself.
    sealed_token = models.TextField(blank=True)
    send_at = models.DateTimeField(help_text=_("Not before this moment."))
    next_attempt_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=80, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["invitation_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "kind", "ordinal"], name="one_delivery_per_send"
            )
        ]
        indexes = [
            # The dispatcher's claim: open deliveries by due time.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="delivery_due",
                condition=models.Q(status__in=["scheduled", "sending"]),
            ),
            # Fatigue: earlier sends to the same person.
            models.Index(
                fields=["organisation", "contact_hash", "sent_at"], name="delivery_contact_sent"
            ),
            models.Index(fields=["organisation", "created_at"], name="delivery_org_time"),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.status}"


class OptOutSource(models.TextChoices):
    LINK = "link", _("Opt-out page")
    ONE_CLICK = "one_click", _("One-click unsubscribe (mail program)")
    ADMIN = "admin", _("Recorded by the organisation")


class OptOut(TenantModel):
    """A person who asked not to be invited again by this organisation (AVG).

    Only the keyed hash of the normalised e-mail address or phone number is kept, so
    the opt-out outlives the contact data's retention without keeping the address."""

    unit_scope = WHOLE_ORGANISATION

    contact_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    source = models.CharField(max_length=12, choices=OptOutSource.choices)
    delivery = models.ForeignKey(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "contact_hash"], name="one_opt_out_per_contact"
            )
        ]
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")

    def __str__(self) -> str:
        return f"opt-out {self.contact_hash[:8]}…"
