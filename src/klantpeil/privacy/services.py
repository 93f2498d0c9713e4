"""Respondents' privacy: contact data removed after the retention period, and forgetting
one respondent on request. Both are written to the audit log (without the contact data)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from klantpeil.accounts.models import User
from klantpeil.collection.models import Answer, Correction, Invitation, Measurement
from klantpeil.core.tenancy import require_organisation
from klantpeil.metrics.periods import parse_period
from klantpeil.organisations.models import Organisation
from klantpeil.privacy.models import AuditAction, AuditEvent, RetentionPolicy
from klantpeil.reports.models import ReportRun
from klantpeil.rollups.services import ZONE, refold_after_deletion

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
def purge_contact_data(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Remove the current organisation's respondents' e-mail and phone from invitations
    older than its retention period and pseudonymise their contact ids.

    Idempotent: a second run finds nothing left to do. Returns the invitations changed
    (with ``dry_run``: those that would change, and nothing is changed).
    """
    organisation = require_organisation()
    cutoff = (now or timezone.now()) - timedelta(days=retention_days(organisation))
    expired = Invitation.objects.filter(holding_contact_data(), created_at__lt=cutoff)
    if dry_run:
        return expired.count()
    _overwrite_deleted_rows()
    due = list(expired.only("id", "organisation_id", "external_contact_id"))
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
    # Stored reports whose file was deleted because it could hold the respondent's
    # answers (the report has to be made again), queued or finished background tasks
    # that named them, and audit entries whose query named them (redacted).
    reports: int = 0
    tasks: int = 0
    audit_entries: int = 0


REDACTED = "[forgotten]"
# Query parameters that carry free text a user typed (the comments page, the back
# office's search): redacted when they quote a forgotten respondent's words.
SEARCH_PARAMETERS = frozenset({"q", "search"})
MIN_QUOTED = 3  # shorter search terms ("a", "ik") name nobody
MIN_TASK_QUOTE = 8  # an answer as short as "prima" is in many tasks and names nobody


def _respondent(email: str, phone: str, contact_id: str) -> Q:
    query = Q(pk__in=[])
    if email.strip():
        query |= Q(respondent_email__iexact=email.strip())
    if phone.strip():
        query |= Q(respondent_phone=phone.strip())
    if contact_id.strip():
        query |= Q(external_contact_id__in=[contact_id.strip(), pseudonym(contact_id.strip())])
    return query


def _contact_terms(invitations, email: str, phone: str, contact_id: str) -> set[str]:
    """Everything that names the respondent: what was asked for and what their invitations
    hold (asked by e-mail, the phone number on the same invitation names them too)."""
    terms = {email.strip(), phone.strip(), contact_id.strip()}
    for row in invitations.values_list(
        "respondent_email", "respondent_phone", "external_contact_id"
    ):
        terms.update(row)
    return {t for t in terms if t and not t.startswith(PSEUDONYM_MARK)}


def _spellings(text: str) -> set[str]:
    """``text`` as it appears inside stored JSON on SQLite (ASCII escapes) and PostgreSQL."""
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


def _days_read(period: str) -> tuple[date, date] | None:
    """The days a report of ``period`` reads, as [first, end): its trend (twelve months
    up to the period's end) or the previous period it is compared with, whichever
    starts first, up to the period's end. None for a period it cannot read back."""
    try:
        chosen = parse_period(period)
        trend = date(chosen.end.year - 1, chosen.end.month, 1)
        return min(trend, chosen.previous().start), chosen.end
    except ValueError:
        return None


def _erase_reports(days: set[date]) -> int:
    """Delete the file of every stored (or running) report that read any of ``days``.

    A report is not regenerated behind the user's back: it is marked ERASED, its
    page says the respondent was forgotten and that it must be made again. A run
    still being made is marked too, and the worker then does not store its file.
    """
    if not days:
        return 0
    hit = []
    made = (ReportRun.Status.DONE, ReportRun.Status.RUNNING)
    for pk, period in ReportRun.objects.filter(status__in=made).values_list("pk", "period"):
        span = _days_read(period)
        # A period that cannot be read back is erased too (fail closed).
        if span is None or any(span[0] <= day < span[1] for day in days):
            hit.append(pk)
    return ReportRun.objects.filter(pk__in=hit).update(
        status=ReportRun.Status.ERASED, content=None, error="", step="", progress=0
    )


def _forget_tasks(terms: Iterable[str]) -> int:
    """Delete background tasks, waiting or finished, whose arguments, result or traceback
    name the respondent (an e-mail waiting to be sent, a result that quotes them). A task
    running right now is left to finish; forget again afterwards to remove its record."""
    names = Q(pk__in=[])
    for term in terms:
        for spelling in _spellings(term):
            names |= (
                Q(args_kwargs__icontains=spelling)
                | Q(return_value__icontains=spelling)
                | Q(traceback__icontains=spelling)
            )
    found = DBTaskResult.objects.filter(names).exclude(status=TaskResultStatus.RUNNING)
    return found.delete()[0]


def _redact_audit(organisation: Organisation, contacts: set[str], texts: list[str]) -> int:
    """Replace what the audit log quotes of the respondent by a mark, keeping the entry:
    query values that hold their e-mail, phone or contact id, and searches whose term
    is part of one of their answers (someone looked for their name or words)."""
    lowered_contacts = [c.lower() for c in contacts]
    lowered_texts = [t.lower() for t in texts]

    def names_them(key: str, value: str) -> bool:
        low = value.strip().lower()
        if any(c in low for c in lowered_contacts):
            return True
        return (
            key in SEARCH_PARAMETERS
            and len(low) >= MIN_QUOTED
            and any(low in t for t in lowered_texts)
        )

    quoting = Q(detail__query__has_any_keys=sorted(SEARCH_PARAMETERS))
    for contact in contacts:
        for spelling in _spellings(contact):
            quoting |= Q(detail__icontains=spelling)
    # The back office's entries have no organisation: an operator may have searched there.
    events = AuditEvent.objects.filter(Q(organisation=organisation) | Q(organisation=None), quoting)
    changed = 0
    for pk, detail in events.values_list("pk", "detail").iterator(chunk_size=2_000):
        redacted = {}
        touched = False
        for part, values in detail.items():
            if isinstance(values, dict):
                clean = {
                    k: REDACTED if isinstance(v, str) and names_them(k, v) else v
                    for k, v in values.items()
                }
                touched |= clean != values
                redacted[part] = clean
            else:
                redacted[part] = values
        if touched:
            AuditEvent.objects.filter(pk=pk).update(detail=redacted)
            changed += 1
    return changed


def _overwrite_deleted_rows() -> None:
    """On SQLite, zero what is deleted from here on (secure_delete), so a forgotten answer
    is not left readable in the database file's free space. PostgreSQL keeps dead row
    versions until (auto)vacuum reclaims them; no SQL query can read them."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def _checkpoint_sqlite() -> None:
    """Copy the write-ahead log into the database and empty it: older page images in the
    log still hold the deleted rows. Best effort: with readers active it waits for them
    (busy timeout) and may leave the log for the next checkpoint."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@transaction.atomic
def forget_respondent(
    *,
    email: str = "",
    phone: str = "",
    external_contact_id: str = "",
    by: User | None = None,
    dry_run: bool = False,
) -> Forgotten:
    """Delete one respondent of the current organisation and everything derived from them.

    - the invitations that name them (e-mail, phone or contact id) and the answers they
      gave through them, corrections included; with the answers go their comments'
      sentiment annotations (a foreign key with ON DELETE CASCADE);
    - the files of stored reports that read the days they answered on (the report is
      marked as deleted and has to be made again: see ``_erase_reports``);
    - background tasks (waiting or done) that name them, such as a queued e-mail;
    - what the audit log quotes of them in query strings (redacted, the entry stays).

    The rollups of the days concerned are recomputed (they hold sums, never text); the
    audit log records the numbers and who asked, never the contact data itself. Nothing
    caches respondents' data (the cache holds rate-limit counters and hashed addresses).
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
    _overwrite_deleted_rows()
    contacts = _contact_terms(invitations, email, phone, external_contact_id)
    # Their own words (open answers), not the keys of the choices they ticked.
    texts = list(
        Answer.objects.filter(measurement_id__in=ids, question__type="text")
        .exclude(text="")
        .values_list("text", flat=True)
    )
    invitations.delete()
    Correction.objects.filter(Q(original_id__in=ids) | Q(replacement_id__in=ids)).delete()
    Answer.objects.filter(measurement_id__in=ids).delete()
    measurements.delete()
    if days:
        refold_after_deletion(organisation.pk, days)
    result = Forgotten(
        invitations=result.invitations,
        measurements=result.measurements,
        reports=_erase_reports(days),
        tasks=_forget_tasks([*contacts, *(t for t in texts if len(t) >= MIN_TASK_QUOTE)]),
        audit_entries=_redact_audit(organisation, contacts, texts),
    )
    AuditEvent.objects.create(
        action=AuditAction.FORGET,
        user=by,
        organisation=organisation,
        detail={"invitations": result.invitations, "measurements": result.measurements},
    )
    transaction.on_commit(_checkpoint_sqlite)
    return result
