from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel


class ReportRun(TenantModel):
    """One report asked for in the app, made by the background worker; the file is kept
    in the database so any web process can hand it out."""

    unit_scope = WHOLE_ORGANISATION  # a limited member sees only their own runs (reports.selectors)

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")
        # Its file held answers of a respondent who was forgotten since: the file is
        # deleted and the report has to be made again (privacy.services.forget_respondent).
        ERASED = "erased", _("deleted: a respondent in it was forgotten")

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF report (several pages)")
        PNG = "png", _("PNG picture (key charts)")
        XLSX = "xlsx", _("Excel workbook (the tables)")

    period = models.CharField(_("period"), max_length=10)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    language = models.CharField(_("language"), max_length=2, choices=settings.LANGUAGES)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    content = models.BinaryField(null=True, editable=False)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The unit ids the file was made within (None: the whole organisation), stored with
    # the file: a member whose limit narrows later must not keep reading a wider report.
    units = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.period} {self.format} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.ERASED)

    @property
    def filename(self) -> str:
        return f"klantpeil-{self.organisation.slug}-{self.period}-{self.language}.{self.format}"
