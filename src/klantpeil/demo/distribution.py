"""Invitations with their sends for the demo organisations: a funnel that reads like a
real one (about a third of the invitations answered; bounces, fatigue skips, a few
opt-outs), kept apart from the rest of the demo so it can be changed on its own.

Completed invitations point at survey responses the demo already made (every tenth or
so), so "completed" in the funnel and the responses on the dashboards agree. The rest
of the funnel is drawn around them: an invitation's outcome first (sent, opened,
started; failed, bounced, skipped), then its moments. Everything is written with
``bulk_create`` in a handful of statements per organisation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import F
from django.db.models.functions import Mod

from klantpeil.collection.models import Invitation, Measurement
from klantpeil.distribution.models import Delivery, DeliveryStatus, OptOut
from klantpeil.instruments.models import InstrumentVersion
from klantpeil.organisations.models import Channel, Organisation

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
COMPLETED_PER_ORGANISATION = 60  # at scale 1: some 180 invitations a year each
COMPLETED_SHARE = 0.33  # of the invitations made
# What happened to an invitation that was not answered, as shares of those invitations.
OUTCOMES = {
    "sent": 0.46,  # sent, never opened
    "opened": 0.16,  # form shown, nothing submitted
    "started": 0.06,  # submitted with errors, never finished
    "failed": 0.02,
    "bounced": 0.04,
    "skipped_fatigue": 0.10,
    "skipped_opted_out": 0.02,
    "none": 0.14,  # the organisation handed out the link itself
}
OPT_OUT_RATE = 0.012  # of the invitations sent
REMINDED = 0.7  # of the sent invitations not started, one reminder


@contextmanager
def _made_at_as_given() -> Iterator[None]:
    """Invitation.created_at is ``auto_now_add``; the demo's invitations were made over
    the past year. Switched off for the one insert (an UPDATE of every row afterwards
    cost more than the rest of the funnel together), on again whatever happens."""
    field = Invitation._meta.get_field("created_at")
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def _hash(rng: np.random.Generator) -> str:
    return hashlib.sha256(rng.bytes(16)).hexdigest()


def _moment(day: date, rng: np.random.Generator) -> datetime:
    minutes = int(rng.integers(8 * 60, 18 * 60))
    return datetime.combine(day, time(minutes // 60, minutes % 60), AMSTERDAM)


def _organisation_funnel(
    rng: np.random.Generator,
    org: Organisation,
    version: InstrumentVersion,
    today: date,
    scale: float,
) -> tuple[int, int]:
    channels = {c.kind: c for c in Channel.unscoped_all_tenants.filter(organisation=org)}
    if not channels:
        return 0, 0
    wanted = max(3, int(COMPLETED_PER_ORGANISATION * scale))
    expected_responses = max(1, int(4_700 * scale))
    step = max(1, expected_responses // wanted)
    answered = list(
        Measurement.unscoped_all_tenants.filter(
            organisation=org, instrument_version=version, superseded_at__isnull=True
        )
        .annotate(slot=Mod(F("id"), step))
        .filter(slot=0)
        .values_list("id", "occurred_at", "channel_id", "unit_id", "language")[:wanted]
    )
    others = int(len(answered) * (1 - COMPLETED_SHARE) / COMPLETED_SHARE)
    outcomes = list(OUTCOMES)
    drawn = rng.choice(len(outcomes), size=others, p=np.array(list(OUTCOMES.values())))
    start = today - timedelta(days=364)
    channel_ids = [c.pk for c in channels.values()]
    plan = []  # (invitation, outcome, send channel, created)
    for measurement_id, occurred, channel_id, unit_id, language in answered:
        created = occurred + timedelta(minutes=int(rng.integers(5, 240)))
        invitation = Invitation(
            organisation=org,
            token_hash=_hash(rng),
            instrument_version=version,
            channel_id=channel_id or channel_ids[0],
            unit_id=unit_id,
            occurred_at=occurred,
            language=language or "nl",
            expires_at=created + timedelta(days=14),
            measurement_id=measurement_id,
        )
        plan.append((invitation, "completed", created))
    for index in drawn:
        day = start + timedelta(days=int(rng.integers(0, 365)))
        occurred = _moment(day, rng)
        created = occurred + timedelta(minutes=int(rng.integers(5, 240)))
        invitation = Invitation(
            organisation=org,
            token_hash=_hash(rng),
            instrument_version=version,
            channel_id=channel_ids[int(rng.integers(0, len(channel_ids)))],
            occurred_at=occurred,
            language="en" if rng.random() < 0.08 else "nl",
            expires_at=created + timedelta(days=14),
        )
        plan.append((invitation, outcomes[index], created))
    for invitation, outcome, created in plan:
        invitation.created_at = created
        sent = created + timedelta(minutes=int(rng.integers(1, 90)))
        if outcome in ("opened", "started", "completed"):
            invitation.opened_at = sent + timedelta(minutes=int(rng.lognormal(4.5, 1.2)))
        if outcome in ("started", "completed"):
            invitation.started_at = invitation.opened_at + timedelta(seconds=40)
    with _made_at_as_given():
        invitations = Invitation.unscoped_all_tenants.bulk_create(
            [p[0] for p in plan], batch_size=1_000
        )
    deliveries, reminders, opted = [], [], []
    for invitation, (_, outcome, created) in zip(invitations, plan, strict=True):
        if outcome == "none" or (outcome == "completed" and rng.random() < 0.1):
            continue
        by_sms = "sms" if rng.random() < 0.22 else "email"
        sent_at = created + timedelta(minutes=int(rng.integers(1, 90)))
        status, reason, attempts = DeliveryStatus.SENT, "", 1
        if outcome in ("failed", "bounced", "skipped_fatigue", "skipped_opted_out"):
            status = DeliveryStatus(outcome)
            reason = {
                "failed": "provider unreachable after 5 attempts",
                "bounced": "550 5.1.1 mailbox unknown",
                "skipped_fatigue": "invited within the last 30 days",
                "skipped_opted_out": "opted out earlier",
            }[outcome]
            attempts = {"failed": 5, "bounced": 1}.get(outcome, 0)
        elif by_sms == "sms":
            status = DeliveryStatus.DELIVERED
        is_sent = status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
        contact = _hash(rng)
        delivery = Delivery(
            organisation=org,
            invitation=invitation,
            kind="invitation",
            ordinal=0,
            channel=by_sms,
            status=status,
            reason=reason,
            idempotency_key=f"{invitation.pk}:invitation:0",
            contact_hash=contact,
            send_at=created,
            next_attempt_at=sent_at,
            attempts=attempts,
            sent_at=sent_at if is_sent else None,
            delivered_at=sent_at + timedelta(seconds=8)
            if status == DeliveryStatus.DELIVERED
            else None,
            provider_message_id=f"demo-{invitation.pk}" if is_sent else "",
        )
        deliveries.append(delivery)
        reminder_at = sent_at + timedelta(days=3)
        if (
            is_sent
            and outcome in ("sent", "opened")
            and reminder_at.date() < today
            and rng.random() < REMINDED
        ):
            reminders.append(
                Delivery(
                    organisation=org,
                    invitation=invitation,
                    kind="reminder",
                    ordinal=1,
                    channel=by_sms,
                    status=DeliveryStatus.SENT,
                    idempotency_key=f"{invitation.pk}:reminder:1",
                    contact_hash=contact,
                    send_at=reminder_at,
                    next_attempt_at=reminder_at,
                    attempts=1,
                    sent_at=reminder_at,
                    provider_message_id=f"demo-{invitation.pk}-r1",
                )
            )
        if is_sent and outcome == "sent" and rng.random() < OPT_OUT_RATE / 0.46:
            opted.append((contact, by_sms, delivery))
    Delivery.unscoped_all_tenants.bulk_create(deliveries + reminders, batch_size=1_000)
    OptOut.unscoped_all_tenants.bulk_create(
        [
            OptOut(organisation=org, contact_hash=c, channel=ch, source="link", delivery=d)
            for c, ch, d in opted
        ]
    )
    return len(invitations), len(deliveries) + len(reminders)


def generate_invitation_funnels(
    *, rng: np.random.Generator, today: date, scale: float
) -> tuple[int, int]:
    """Invitations and sends for every demo organisation; (invitations, sends) made."""
    version = (
        InstrumentVersion.objects.filter(
            instrument__key="customer-survey", instrument__organisation__isnull=True
        )
        .order_by("-number")
        .first()
    )
    if version is None:
        return 0, 0
    made = sends = 0
    for org in Organisation.objects.order_by("pk"):
        m, s = _organisation_funnel(rng, org, version, today, scale)
        made, sends = made + m, sends + s
    return made, sends
