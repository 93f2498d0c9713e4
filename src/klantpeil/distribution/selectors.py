"""Reads of the distribution app: an organisation's settings, wording and funnel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from klantpeil.collection.models import Invitation
from klantpeil.distribution.models import (
    Delivery,
    DeliveryStatus,
    DistributionSettings,
    MessageKind,
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


FUNNEL_STEPS = (
    "made",
    "sent",
    "delivered",
    "failed",
    "bounced",
    "opened",
    "started",
    "completed",
    "opted_out",
    "skipped_fatigue",
    "scheduled",
)


def funnel(
    *, since: datetime | None = None, until: datetime | None = None, instrument: str | None = None
) -> dict[str, Any]:
    """The invitation funnel of the current organisation for invitations made in
    [since, until): counts per step. "sent" includes "delivered"; "failed" is a permanent
    failure or out of attempts; "opted_out" counts invitations held back by an opt-out;
    "made" counts every invitation, delivered by Klantpeil or not."""
    invitations = Invitation.objects.all()
    if since is not None:
        invitations = invitations.filter(created_at__gte=since)
    if until is not None:
        invitations = invitations.filter(created_at__lt=until)
    if instrument:
        invitations = invitations.filter(instrument_version__instrument__key=instrument)
    counts = invitations.aggregate(
        made=Count("pk"),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        started=Count("pk", filter=Q(started_at__isnull=False) | Q(measurement__isnull=False)),
        completed=Count("pk", filter=Q(measurement__isnull=False)),
    )
    first = Delivery.objects.filter(
        kind=MessageKind.INVITATION, invitation__in=invitations.values("pk")
    )
    by_status = dict(first.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    status = DeliveryStatus
    counts.update(
        sent=by_status.get(status.SENT, 0) + by_status.get(status.DELIVERED, 0),
        delivered=by_status.get(status.DELIVERED, 0),
        failed=by_status.get(status.FAILED, 0),
        bounced=by_status.get(status.BOUNCED, 0),
        opted_out=by_status.get(status.SKIPPED_OPTED_OUT, 0),
        skipped_fatigue=by_status.get(status.SKIPPED_FATIGUE, 0),
        scheduled=by_status.get(status.SCHEDULED, 0) + by_status.get(status.SENDING, 0),
    )
    return {step: counts[step] for step in FUNNEL_STEPS}
