"""Reads for the distribution pages: the invitation funnel and the recent invitations.

Kept beside ``selectors.py`` (which the delivery back end owns) so the two can grow
without stepping on each other; both read inside the current tenant, so a member
limited to units sees the invitations of their units only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klantpeil.collection.models import Invitation
from klantpeil.distribution.models import Delivery, DeliveryStatus, MessageKind, OptOut
from klantpeil.metrics.funnel import FunnelRow, funnel_rows
from klantpeil.metrics.periods import Period

STEP_LABELS = {
    "made": _("Made"),
    "sent": _("Sent"),
    "opened": _("Opened (form shown)"),
    "started": _("Started"),
    "completed": _("Completed"),
    "delivered": _("Delivered (confirmed by the SMS provider)"),
    "failed": _("Failed"),
    "bounced": _("Bounced"),
    "skipped_fatigue": _("Skipped: asked recently (fatigue rule)"),
    "skipped_opted_out": _("Skipped: opted out earlier"),
    "opted_out": _("Opted out through this invitation"),
    "scheduled": _("Waiting to be sent"),
    "not_sent_by_us": _("Not sent by Klantpeil (link handed out by you)"),
}


@dataclass(frozen=True)
class Funnel:
    period: Period
    instrument: str  # "" for every instrument
    counts: dict[str, int]
    rows: list[FunnelRow]


def _moment(day: date) -> datetime:
    """Local midnight at the start of ``day`` (periods are local calendar days)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def period_invitations(period: Period, instrument: str = "") -> QuerySet[Invitation]:
    invitations = Invitation.objects.filter(
        created_at__gte=_moment(period.start), created_at__lt=_moment(period.end)
    )
    if instrument:
        invitations = invitations.filter(instrument_version__instrument__key=instrument)
    return invitations


def invitation_funnel(period: Period, *, instrument: str = "") -> Funnel:
    """The funnel of the invitations made in ``period`` (optionally of one instrument).

    Three grouped queries: the invitations' own steps, their first send by status, and
    the opt-outs made through one of their messages. "sent" includes "delivered";
    "opened" includes those who started, "started" those who completed (a respondent who
    answers in one go is still counted at every step). Only the invitation's own send
    (not a reminder) decides its send status; opt-outs count through any of its messages.
    """
    invitations = period_invitations(period, instrument)
    counts = invitations.aggregate(
        made=Count("pk"),
        opened=Count(
            "pk",
            filter=Q(opened_at__isnull=False)
            | Q(started_at__isnull=False)
            | Q(measurement__isnull=False),
        ),
        started=Count("pk", filter=Q(started_at__isnull=False) | Q(measurement__isnull=False)),
        completed=Count("pk", filter=Q(measurement__isnull=False)),
    )
    by_status = dict(
        Delivery.objects.filter(
            kind=MessageKind.INVITATION, ordinal=0, invitation__in=invitations.values("pk")
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    s = DeliveryStatus
    counts.update(
        sent=by_status.get(s.SENT, 0) + by_status.get(s.DELIVERED, 0),
        delivered=by_status.get(s.DELIVERED, 0),
        failed=by_status.get(s.FAILED, 0),
        bounced=by_status.get(s.BOUNCED, 0),
        skipped_fatigue=by_status.get(s.SKIPPED_FATIGUE, 0),
        skipped_opted_out=by_status.get(s.SKIPPED_OPTED_OUT, 0),
        scheduled=by_status.get(s.SCHEDULED, 0) + by_status.get(s.SENDING, 0),
        not_sent_by_us=counts["made"] - sum(by_status.values()),
        opted_out=OptOut.objects.filter(delivery__invitation__in=invitations.values("pk"))
        .values("delivery__invitation")
        .distinct()
        .count(),
    )
    return Funnel(period=period, instrument=instrument, counts=counts, rows=funnel_rows(counts))


def recent_invitations(limit: int = 50) -> list[Invitation]:
    """The newest invitations with their sends (two queries)."""
    return list(
        Invitation.objects.select_related("instrument_version__instrument", "channel")
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.order_by("ordinal", "id"))
        )
        .order_by("-created_at", "-pk")[:limit]
    )
