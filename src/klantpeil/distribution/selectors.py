"""Reads of the distribution app: an organisation's settings, wording and funnel."""

from __future__ import annotations

from django.db.models import QuerySet

from klantpeil.distribution.models import (
    Delivery,
    DistributionSettings,
    MessageTemplate,
)
from klantpeil.distribution.rendering import Wording, default_wording
from klantpeil.metrics.sending import SendingWindow


def distribution_settings() -> DistributionSettings:
    """The current organisation's settings; an unsaved row with the defaults when it
    has none yet."""
    return DistributionSettings.objects.first() or DistributionSettings()


def sending_window(config: DistributionSettings) -> SendingWindow:
    """The organisation's window; the default one if the stored one cannot work (the
    form and the database refuse that, so only a hand-edited row gets here)."""
    window = SendingWindow(config.window_start, config.window_end, config.weekdays)
    if window.problems():
        default = DistributionSettings()
        return SendingWindow(default.window_start, default.window_end, default.weekdays)
    return window


def wording(channel: str, kind: str, language: str) -> Wording:
    """The organisation's own template for this message, else the shipped default."""
    custom = MessageTemplate.objects.filter(channel=channel, kind=kind, language=language).first()
    if custom is None:
        return default_wording(channel, kind, language)
    return Wording(custom.subject, custom.text_body, custom.html_body)


def custom_wordings() -> dict[tuple[str, str, str], Wording]:
    return {
        (t.channel, t.kind, t.language): Wording(t.subject, t.text_body, t.html_body)
        for t in MessageTemplate.objects.all()
    }


def deliveries_of(invitation_id: int) -> QuerySet[Delivery]:
    return Delivery.objects.filter(invitation_id=invitation_id).order_by("ordinal", "id")
