"""The invitation funnel counts exactly what a hand-built set of invitations holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from klantpeil.collection.ingest import create_invitations
from klantpeil.collection.models import Invitation
from klantpeil.collection.services import answer_invitation
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.distribution.funnel import invitation_funnel
from klantpeil.distribution.models import Delivery, OptOut
from klantpeil.metrics.funnel import funnel_rows
from klantpeil.metrics.periods import parse_period

OCTOBER = datetime(2026, 10, 14, 10, tzinfo=UTC)


def _invitations(n: int, *, when: datetime, instrument: str = "customer-survey") -> list:
    made = create_invitations(
        events=[{"channel": "email", "occurred_at": when} for _ in range(n)],
        instrument=instrument,
    )
    ids = [inv.pk for inv, _ in made]
    Invitation.objects.filter(pk__in=ids).update(created_at=when)
    return list(Invitation.objects.filter(pk__in=ids).order_by("pk"))


def _send(invitation, status: str, *, kind: str = "invitation", ordinal: int = 0, channel="email"):
    return Delivery.objects.create(
        invitation=invitation,
        kind=kind,
        ordinal=ordinal,
        channel=channel,
        status=status,
        idempotency_key=f"{invitation.pk}:{kind}:{ordinal}",
        contact_hash=f"hash-{invitation.pk}",
        send_at=OCTOBER,
        next_attempt_at=OCTOBER,
    )


def _complete(invitation) -> None:
    answer_invitation(invitation_id=invitation.pk, answers=CUSTOMER_SURVEY_ANSWERS)


@pytest.fixture
def hand_built(make_org):
    org, other = make_org("alpha"), make_org("beta")
    now = timezone.now()
    with tenant(org):
        inv = _invitations(10, when=OCTOBER)
        _send(inv[0], "sent")
        _send(inv[0], "sent", kind="reminder", ordinal=1)  # a reminder is no second "sent"
        _send(inv[1], "delivered", channel="sms")
        _send(inv[2], "sent")
        opted = _send(inv[3], "sent")
        _send(inv[4], "failed")
        _send(inv[5], "bounced")
        _send(inv[6], "skipped_fatigue")
        _send(inv[7], "skipped_opted_out")
        _send(inv[8], "scheduled")
        # inv[9]: the organisation handed the link out itself.
        Invitation.objects.filter(pk__in=[inv[0].pk, inv[1].pk, inv[2].pk]).update(opened_at=now)
        Invitation.objects.filter(pk__in=[inv[0].pk, inv[1].pk]).update(started_at=now)
        _complete(inv[0])
        _complete(inv[9])  # answered in one go: opened, started and completed
        OptOut.objects.create(contact_hash="hash-x", channel="email", source="link", delivery=opted)
        # Outside the period, another instrument, and another organisation: never counted.
        late = _invitations(1, when=OCTOBER + timedelta(days=30))
        _send(late[0], "sent")
        _invitations(2, when=OCTOBER, instrument="employee-survey")
    with tenant(other):
        _send(_invitations(1, when=OCTOBER)[0], "sent")
    return org


EXPECTED = {
    "made": 10,
    "sent": 4,
    "opened": 4,
    "started": 3,
    "completed": 2,
    "delivered": 1,
    "failed": 1,
    "bounced": 1,
    "skipped_fatigue": 1,
    "skipped_opted_out": 1,
    "opted_out": 1,
    "scheduled": 1,
    "not_sent_by_us": 1,
}


def test_the_funnel_counts_each_step_exactly(hand_built, django_assert_max_num_queries):
    with tenant(hand_built):
        with django_assert_max_num_queries(3):
            funnel = invitation_funnel(parse_period("2026-10"), instrument="customer-survey")
        assert funnel.counts == EXPECTED
        every = invitation_funnel(parse_period("2026-10"))
        assert every.counts["made"] == 12 and every.counts["not_sent_by_us"] == 3
        year = invitation_funnel(parse_period("2026"), instrument="customer-survey")
        assert year.counts["made"] == 11 and year.counts["sent"] == 5
        assert invitation_funnel(parse_period("2026-09")).counts["made"] == 0


def test_shares_and_step_conversions():
    rows = {r.key: r for r in funnel_rows(EXPECTED)}
    assert rows["made"].of_made == 1.0 and rows["made"].of_previous is None
    assert rows["sent"].of_made == pytest.approx(0.4)
    assert rows["opened"].of_previous == pytest.approx(1.0)  # 4 of 4 sent
    assert rows["started"].of_previous == pytest.approx(0.75)
    assert rows["completed"].of_previous == pytest.approx(2 / 3)
    assert rows["bounced"].of_made == pytest.approx(0.1) and not rows["bounced"].main
    empty = funnel_rows({})
    assert all(r.of_made is None and r.count == 0 for r in empty)
