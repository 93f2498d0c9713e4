"""Respondents' privacy: contact data removed after the retention period, and forgetting
one respondent on request. Both are written to the audit log (without the contact data)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from klantpeil.accounts.models import User
from klantpeil.analytics.rollups import ZONE, refold_after_deletion
from klantpeil.collection.models import Answer, Correction, Invitation, Measurement
from klantpeil.core.tenancy import require_organisation
from klantpeil.organisations.models import Organisation
from klantpeil.privacy.models import AuditAction, AuditEvent, RetentionPolicy

PSEUDONYM_MARK = "~"  # a pseudonymised contact id starts with this


def pseudonym(value: str) -> str:
    """A keyed hash of a contact id: stable (the same id, the same pseudonym), not reversible
    without the secret key, and recognisable so it is never hashed twice."""
    if not value or value.startswith(PSEUDONYM_MARK):
        return value
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_MARK + digest[:32]


def retention_days(organisation: Organisation) -> int:
    policy = RetentionPolicy.objects.filter(organisation=organisation).first()
    return policy.contact_days if policy else settings.KLANTPEIL_CONTACT_RETENTION_DAYS


def holding_contact_data() -> Q:
    return (
        ~Q(respondent_email="")
        | ~Q(respondent_phone="")
        | (~Q(external_contact_id="") & ~Q(external_contact_id__startswith=PSEUDONYM_MARK))
    )


@transaction.atomic
def purge_contact_data(*, now: datetime | None = None) -> int:
    """Remove the current organisation's respondents' e-mail and phone from invitations
    older than its retention period and pseudonymise their contact ids.

    Idempotent: a second run finds nothing left to do. Returns the invitations changed.
    """
    organisation = require_organisation()
    cutoff = (now or timezone.now()) - timedelta(days=retention_days(organisation))
    due = list(
        Invitation.objects.filter(holding_contact_data(), created_at__lt=cutoff).only(
            "id", "organisation_id", "external_contact_id"
        )
    )
    for invitation in due:
        invitation.respondent_email = ""
        invitation.respondent_phone = ""
        invitation.external_contact_id = pseudonym(invitation.external_contact_id)
    Invitation.objects.bulk_update(
        due, ["respondent_email", "respondent_phone", "external_contact_id"], batch_size=1_000
    )
    if due:
        AuditEvent.objects.create(
            action=AuditAction.PURGE,
            organisation=organisation,
            detail={"invitations": len(due), "older_than": cutoff.isoformat()},
        )
    return len(due)


@dataclass(frozen=True)
class Forgotten:
    invitations: int
    measurements: int


def _respondent(email: str, phone: str, contact_id: str) -> Q:
    query = Q(pk__in=[])
    if email.strip():
        query |= Q(respondent_email__iexact=email.strip())
    if phone.strip():
        query |= Q(respondent_phone=phone.strip())
    if contact_id.strip():
        query |= Q(external_contact_id__in=[contact_id.strip(), pseudonym(contact_id.strip())])
    return query


@transaction.atomic
def forget_respondent(
    *,
    email: str = "",
    phone: str = "",
    external_contact_id: str = "",
    by: User | None = None,
    dry_run: bool = False,
) -> Forgotten:
    """Delete one respondent of the current organisation: the invitations that name them
    (e-mail, phone or contact id) and the answers they gave through them, corrections
    included. The rollups of the days concerned are recomputed; the audit log records
    the numbers and who asked, never the contact data itself.
    """
    if not (email.strip() or phone.strip() or external_contact_id.strip()):
        raise ValueError("Name the respondent by e-mail, phone or contact id")
    organisation = require_organisation()
    invitations = Invitation.objects.filter(_respondent(email, phone, external_contact_id))
    ids = set(invitations.exclude(measurement=None).values_list("measurement_id", flat=True))
    # A correction replaces a measurement by another: both are the respondent's answers.
    while True:
        linked = Correction.objects.filter(Q(original_id__in=ids) | Q(replacement_id__in=ids))
        more = {i for pair in linked.values_list("original_id", "replacement_id") for i in pair}
        if more <= ids:
            break
        ids |= more
    measurements = Measurement.objects.filter(pk__in=ids)
    days = {m.astimezone(ZONE).date() for m in measurements.values_list("occurred_at", flat=True)}
    result = Forgotten(invitations=invitations.count(), measurements=len(ids))
    if dry_run:
        return result
    invitations.delete()
    Correction.objects.filter(Q(original_id__in=ids) | Q(replacement_id__in=ids)).delete()
    Answer.objects.filter(measurement_id__in=ids).delete()
    measurements.delete()
    if days:
        refold_after_deletion(organisation.pk, days)
    AuditEvent.objects.create(
        action=AuditAction.FORGET,
        user=by,
        organisation=organisation,
        detail={"invitations": result.invitations, "measurements": result.measurements},
    )
    return result
