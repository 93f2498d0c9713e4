"""The audit log and each organisation's retention period for respondents' contact data.

The audit log is the operator's: it is read in the back office only, across
organisations, and never shown in the app or the API.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import HIDDEN_FROM_UNITS, TenantModel


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")
    CHANGE = "change", _("Changed")
    API_READ = "api_read", _("API read")
    API_WRITE = "api_write", _("API write")
    FORGET = "forget", _("Respondent forgotten")
    PURGE = "purge", _("Contact data removed")


class AuditEvent(models.Model):
    """Who (a user or an API token) saw, exported or changed what, and when."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    api_token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    route = models.CharField(max_length=200, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "at"], name="audit_org_time")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.path}"


class RetentionPolicy(models.Model):
    """How long one organisation keeps respondents' contact data (e-mail, phone)."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="retention"
    )
    contact_days = models.PositiveIntegerField(
        _("keep contact data (days)"),
        help_text=_(
            "E-mail addresses and phone numbers on invitations are removed, and contact ids "
            "pseudonymised, this many days after the invitation was made."
        ),
    )

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.contact_days} days"


class ChangeRecord(TenantModel):
    """One change an organisation's members made to its set-up (settings, team): who,
    when, which object, and the object before and after, as JSON. Unlike
    :class:`AuditEvent` (the operator's log of every request), the organisation's
    managers read these in the app. Written only through ``privacy.audit.record``."""

    # About the organisation's set-up, read by whole-organisation managers only; a member
    # limited to units sees none (entries may name other units).
    unit_scope = HIDDEN_FROM_UNITS

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)  # kept when the user goes
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60, blank=True)
    object_label = models.CharField(max_length=254, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("change log")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_label}"
