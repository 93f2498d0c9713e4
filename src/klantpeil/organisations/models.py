"""Sectors, organisations (the tenants), their units and contact channels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel


class Sector(models.Model):
    """A branch of the field; benchmarks compare organisations within one sector."""

    key = models.SlugField(unique=True)
    name_nl = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)

    class Meta:
        ordering = ["key"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name_en


def default_languages() -> list[str]:
    return ["nl", "en"]


class Organisation(models.Model):
    """The tenant: everything measured belongs to exactly one organisation."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="organisations")
    norms = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Service norms that differ from NEN 8878, e.g. "
            '{"answer_seconds": 25, "answered_within_norm": 0.8, "helped": 0.9}.'
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # --- set by the organisation itself (organisations/settings_views.py, issue 22) ---
    languages = models.JSONField(
        default=default_languages, blank=True, help_text=_("Languages its respondents use.")
    )
    default_language = models.CharField(max_length=5, default="nl")
    anonymity_minimum = models.PositiveSmallIntegerField(
        default=5, help_text=_("The smallest group shown; never below the product's floor of 5.")
    )
    accent_colour = models.CharField(max_length=7, blank=True)
    # The logo's SHA-256: its address (/brand/<digest>); the bytes are in OrganisationLogo,
    # so loading an organisation (every request) never loads its logo.
    logo_digest = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class ChannelKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    SOCIAL = "social", _("Social media")
    COUNTER = "counter", _("Counter")
    LETTER = "letter", _("Letter")
    MESSAGING = "messaging", _("Messaging")
    WEB = "web", _("Web")


class Unit(TenantModel):
    """A department, team or location of an organisation, in a tree of any depth
    (Publiekszaken › Burgerzaken › Balie Centrum).

    Measurements point at the unit's id, so renaming or moving a unit keeps its
    history; a unit's figures include its sub-units
    (:func:`klantpeil.organisations.selectors.descendant_ids`). The tree is kept
    acyclic and within one organisation by :mod:`klantpeil.organisations.units`."""

    unit_scope = "pk"

    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        # A unit with sub-units is not deleted on its own (move them first); deleting
        # the whole organisation, or all its units, still goes through.
        on_delete=models.RESTRICT,
        related_name="children",
        verbose_name=_("part of"),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unit_code_per_org")
        ]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The back office's check (the app's pages and imports go through
        organisations.services, which checks the same): the parent is a unit of the
        same organisation and the unit is not among its own ancestors."""
        from django.core.exceptions import ValidationError

        parent, steps = self.parent, 0
        if parent is not None and parent.organisation_id != self.organisation_id:
            raise ValidationError({"parent": _("Choose a unit of the same organisation.")})
        while parent is not None and steps < 10_000:
            if self.pk is not None and parent.pk == self.pk:
                raise ValidationError(
                    {"parent": _("A unit cannot be part of itself or of its own sub-unit.")}
                )
            parent, steps = parent.parent, steps + 1


class Channel(TenantModel):
    """A contact channel as one organisation runs it (its own phone line, inbox, counter)."""

    unit_scope = WHOLE_ORGANISATION

    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="channel_kind_per_org")
        ]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name or self.get_kind_display()


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(TenantModel):
    """One opening interval of one channel on one weekday; a day may have several
    (a counter open 9–12 and 13–17). A channel without any row keeps the standard
    office hours (metrics.business_hours.OFFICE_HOURS), so figures of organisations
    that never entered hours do not change. Intervals never overlap (checked by
    :mod:`klantpeil.organisations.hours`)."""

    unit_scope = WHOLE_ORGANISATION

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["channel__kind", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="opening_hours_closes_after"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday"
            ),
        ]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.channel} {self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClosingDay(TenantModel):
    """A day the whole organisation is closed besides the Dutch public holidays (a
    bridge day, a staff day): every channel's business hours skip it."""

    unit_scope = WHOLE_ORGANISATION

    day = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "day"], name="closing_day_per_org")
        ]
        verbose_name = _("closing day")
        verbose_name_plural = _("closing days")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"


class ChannelVolume(TenantModel):
    """How many contacts one channel handled in one calendar month, as the organisation's
    own systems count them (calls answered and missed, e-mails received, visitors).

    The survey KPIs over all channels are weighted to these figures, so each channel
    counts as its share of contacts rather than its share of responses. Per month,
    because a period's weights must come from that period's contacts."""

    unit_scope = WHOLE_ORGANISATION  # the organisation's own counts, read per channel

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="volumes")
    month = models.DateField(help_text=_("The first day of the month."))
    contacts = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["month", "channel__kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "channel", "month"], name="channel_volume_per_month"
            ),
            # "month is a first day" is kept by the service, not a CHECK: on SQLite that
            # CHECK calls Django's date function, so the sqlite3 shell (and a backup's
            # integrity check) could not read the schema.
        ]
        verbose_name = _("contact volume")
        verbose_name_plural = _("contact volumes")

    def __str__(self) -> str:
        return f"{self.channel} {self.month:%Y-%m}: {self.contacts}"


class OrganisationLogo(models.Model):
    """The organisation's logo (PNG or JPEG, at most 512 KB), shown on the respondent
    form, in e-mails and in reports. Served by its digest: unguessable without the logo."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="logo")
    content = models.BinaryField()
    content_type = models.CharField(max_length=20)  # image/png or image/jpeg
    digest = models.CharField(max_length=64, db_index=True)  # two may share one logo
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("logo")
        verbose_name_plural = _("logos")

    def __str__(self) -> str:
        return f"{self.organisation} logo"
