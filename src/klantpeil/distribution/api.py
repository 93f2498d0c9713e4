"""Deliveries over the API: what became of each send of an invitation."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from klantpeil.api.errors import Error
from klantpeil.collection.models import Invitation
from klantpeil.distribution import selectors

router = Router(tags=["invitations"])


class DeliveryOut(Schema):
    id: int
    kind: str
    ordinal: int
    channel: str
    status: str
    reason: str
    attempts: int
    send_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    provider_message_id: str
    last_error: str


class InvitationDeliveries(Schema):
    invitation: int
    opened_at: datetime | None
    started_at: datetime | None
    completed: bool
    deliveries: list[DeliveryOut]


@router.get(
    "/invitations/{invitation_id}/deliveries",
    response={200: InvitationDeliveries, 401: Error, 404: Error, 422: Error},
    summary="The sends of one invitation (invitation and reminders) and the funnel steps",
    description=(
        "status is one of scheduled, sending, sent, delivered, failed, bounced, "
        "skipped_fatigue, skipped_opted_out, skipped_started, skipped_bounced, "
        "skipped_expired, skipped_no_contact; reason says why in words."
    ),
)
def invitation_deliveries(request: HttpRequest, invitation_id: int) -> dict:
    invitation = get_object_or_404(Invitation.objects.all(), pk=invitation_id)
    deliveries = list(selectors.deliveries_of(invitation.pk))
    return {
        "invitation": invitation.pk,
        "opened_at": invitation.opened_at,
        "started_at": invitation.started_at,
        "completed": invitation.measurement_id is not None,
        "deliveries": [
            {
                "id": d.pk,
                "kind": d.kind,
                "ordinal": d.ordinal,
                "channel": d.channel,
                "status": d.status,
                "reason": d.reason,
                "attempts": d.attempts,
                "send_at": d.send_at,
                "next_attempt_at": d.next_attempt_at if d.status == "scheduled" else None,
                "sent_at": d.sent_at,
                "provider_message_id": d.provider_message_id,
                "last_error": d.last_error,
            }
            for d in deliveries
        ],
    }
