"""Writes of the distribution app: planning deliveries, dispatching them, opting out.

The dispatcher's promise: **a send is recorded once and never lost**.

1. A delivery row is written in the same transaction as its invitation, so an
   invitation the API acknowledged always has its delivery (status ``scheduled``).
2. :func:`claim` takes a batch of due deliveries (``SELECT … FOR UPDATE SKIP LOCKED``
   on PostgreSQL; SQLite has one writer) and marks them ``sending`` with the worker's
   id and a lease, in its own committed transaction, before any mail is sent.
3. Each message goes out over the batch's one SMTP connection with a fixed
   ``Message-ID`` (from the delivery's unique idempotency key) and is marked ``sent``
   in one short commit right after the server's 250: the rest of the batch waits.
4. A delivery left ``sending`` by a worker that died (its process is gone; another
   host: its lease ran out) is put back to ``scheduled`` and sent again with the same
   Message-ID: **at least once**. The one window for a duplicate is a crash after the
   server accepted a message and before that one-row commit (microseconds per
   message); a crash anywhere else loses nothing and repeats nothing. Receivers that
   deduplicate on Message-ID (and SMS providers on ``reference``) close it entirely.
   At-most-once was rejected: it would silently lose every message of the batch that
   had not gone out yet.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from klantpeil.collection.ingest import Problem
from klantpeil.collection.models import Invitation
from klantpeil.core.tenancy import require_organisation, tenant
from klantpeil.distribution import contacts, selectors
from klantpeil.distribution.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    DistributionSettings,
    MessageKind,
    OptOut,
    ReminderRule,
)
from klantpeil.distribution.rendering import Wording, default_wording, render
from klantpeil.distribution.transports import (
    ACCEPTED,
    BOUNCED,
    PERMANENT,
    TEMPORARY,
    Email,
    EmailTransport,
    Outcome,
    Sms,
    SmsTransport,
)
from klantpeil.metrics.sending import fatigue_verdict, reminder_moments, retry_delay
from klantpeil.organisations.models import Organisation

log = logging.getLogger("klantpeil.distribution")

DELIVER_CHOICES = ("none", "email", "sms")
BATCH_SIZE = 500
# A worker on another host that holds a batch this long is taken to be gone.
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 6
RETRY_BASE = timedelta(minutes=2)
RETRY_CAP = timedelta(hours=6)
# Connections to the mail server (or SMS provider) used at once by one dispatcher; a
# lane gets at least this many messages, so a small batch uses one connection.
SMTP_CONNECTIONS = 4
MESSAGES_PER_LANE = 25
WINDOW_WAIT = "waiting for the sending window"
INTERRUPTED = "interrupted: the worker stopped while sending; sent again with the same Message-ID"
REASONS = {
    DeliveryStatus.SKIPPED_EXPIRED: "the link expired before it could be sent",
    DeliveryStatus.SKIPPED_OPTED_OUT: "the person opted out",
    DeliveryStatus.SKIPPED_STARTED: "the respondent already started or answered",
    DeliveryStatus.SKIPPED_BOUNCED: "the invitation bounced",
    DeliveryStatus.SKIPPED_NO_CONTACT: "no address any more (contact data removed)",
}


# --- planning: invitations with their deliveries -----------------------------------


@dataclass(frozen=True)
class Plan:
    channel: str
    contact_hash: str
    send_at: datetime | None


def plan_deliveries(
    events: Sequence[dict[str, Any]],
    *,
    deliver: str = "none",
    send_at: datetime | None = None,
    problems: list[Problem],
) -> list[Plan | None]:
    """Check each event's ``deliver`` (its own or the batch's) and the address it needs.
    Problems name the item's index and field. The addresses are stored as given (the
    privacy tools find a person by them) and normalised again when sent."""
    organisation = require_organisation()
    plans: list[Plan | None] = []
    for index, event in enumerate(events):
        mode = event.get("deliver") or deliver
        at = event.get("send_at") or send_at
        if mode not in DELIVER_CHOICES:
            problems.append(Problem(index, "deliver", _("must be email, sms or none"), mode))
            plans.append(None)
            continue
        if mode == "none":
            plans.append(None)
            continue
        where = "email" if mode == "email" else "phone"
        raw = (event.get(where) or "").strip()
        if not raw:
            reason = _("is required to deliver by %(channel)s") % {"channel": mode}
            problems.append(Problem(index, where, reason))
            plans.append(None)
            continue
        try:
            address = normalised(mode, raw)
        except contacts.ContactError as exc:
            problems.append(Problem(index, where, str(exc), raw))
            plans.append(None)
            continue
        plans.append(Plan(mode, contacts.contact_hash(organisation.pk, mode, address), at))
    return plans


def normalised(channel: str, raw: str) -> str:
    if channel == DeliveryChannel.EMAIL:
        return contacts.normalise_email(raw)
    return contacts.normalise_phone(raw)


def attach_deliveries(
    made: Sequence[tuple[Invitation, str]], plans: Sequence[Plan | None], *, base_url: str
) -> list[Delivery]:
    """Write the first delivery of each invitation that is to be sent (call inside the
    transaction that made the invitations) and wake the dispatcher on commit."""
    organisation = require_organisation()
    window = selectors.sending_window(selectors.distribution_settings())
    now = timezone.now()
    base = (getattr(settings, "KLANTPEIL_PUBLIC_URL", "") or base_url).rstrip("/")
    rows = []
    for (invitation, token), plan in zip(made, plans, strict=True):
        if plan is None:
            continue
        at = max(plan.send_at or now, now)
        rows.append(
            Delivery(
                organisation=organisation,
                invitation=invitation,
                kind=MessageKind.INVITATION,
                ordinal=0,
                channel=plan.channel,
                idempotency_key=f"{invitation.pk}:invitation:0",
                contact_hash=plan.contact_hash,
                sealed_token=contacts.seal(base + reverse("respond", kwargs={"token": token})),
                send_at=at,
                next_attempt_at=window.opens(at),
            )
        )
    Delivery.objects.bulk_create(rows, batch_size=2_000)
    if rows:
        from klantpeil.distribution.tasks import schedule_dispatch

        schedule_dispatch(min(r.next_attempt_at for r in rows))
    return rows


# --- the dispatcher -----------------------------------------------------------------


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    bounced: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    reclaimed: int = 0

    def skip(self, status: str, n: int = 1) -> None:
        self.skipped[status] = self.skipped.get(status, 0) + n

    def count(self, name: str) -> None:
        with _counting:
            setattr(self, name, getattr(self, name) + 1)


_counting = threading.Lock()
_worker: tuple[int, str] | None = None


def process_worker_id() -> str:
    """This process's id as a dispatcher (host:pid:random), stable for its life."""
    global _worker
    if _worker is None or _worker[0] != os.getpid():
        from klantpeil.rollups.tasks import worker_id

        _worker = (os.getpid(), worker_id())
    return _worker[1]


def reclaim_interrupted(now: datetime | None = None) -> int:
    """Put back to ``scheduled`` what a dead worker left ``sending`` (module docstring)."""
    from klantpeil.rollups.tasks import _worker_alive

    now = now or timezone.now()
    stuck = Delivery.unscoped_all_tenants.filter(status=DeliveryStatus.SENDING).values_list(
        "claimed_by", "lease_until"
    )
    gone: set[str] = set()
    for worker, lease_until in set(stuck):
        claimed_at = (lease_until or now) - LEASE
        alive = _worker_alive(worker, claimed_at)
        if alive is False or (alive is None and (lease_until is None or lease_until <= now)):
            gone.add(worker)
    if not gone:
        return 0
    reclaimed = Delivery.unscoped_all_tenants.filter(
        status=DeliveryStatus.SENDING, claimed_by__in=gone
    ).update(
        status=DeliveryStatus.SCHEDULED,
        claimed_by="",
        lease_until=None,
        next_attempt_at=now,
        last_error=INTERRUPTED,
        updated_at=now,
    )
    if reclaimed:
        log.warning("%d deliveries were left sending by %s; sent again", reclaimed, gone)
    return reclaimed


@contextlib.contextmanager
def asynchronous_commits() -> Iterator[None]:
    """On PostgreSQL, commits in this block do not wait for the disk
    (``synchronous_commit`` off for this connection until the block ends).

    The outcome of a send is in the database server the moment the commit returns,
    so a killed worker loses nothing; only a crash of the database server itself
    within a fraction of a second could forget a "sent", and that message would be
    sent again (at least once, as after any interrupted send). It saves a disk flush
    per message."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def smtp_connections() -> int:
    return int(getattr(settings, "KLANTPEIL_SMTP_CONNECTIONS", SMTP_CONNECTIONS))


def claim(batch_size: int, worker: str, now: datetime) -> list[int]:
    """Mark up to ``batch_size`` due deliveries ``sending`` for ``worker``; committed."""
    with transaction.atomic():
        due = Delivery.unscoped_all_tenants.filter(
            status=DeliveryStatus.SCHEDULED, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        if ids:
            Delivery.unscoped_all_tenants.filter(pk__in=ids).update(
                status=DeliveryStatus.SENDING,
                claimed_by=worker,
                lease_until=now + LEASE,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
    return ids


def dispatch_due(
    *,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
    worker: str | None = None,
    max_batches: int | None = None,
) -> DispatchReport:
    """Send every delivery that is due, batch by batch; returns what happened.

    ``now`` fixes the clock for the whole run (tests of windows and fatigue)."""
    worker = worker or process_worker_id()
    report = DispatchReport()

    def clock() -> datetime:
        return now or timezone.now()

    report.reclaimed = reclaim_interrupted(clock())
    batches = 0
    while max_batches is None or batches < max_batches:
        ids = claim(batch_size, worker, clock())
        if not ids:
            break
        batches += 1
        report.claimed += len(ids)
        rows = list(
            Delivery.unscoped_all_tenants.filter(
                pk__in=ids, status=DeliveryStatus.SENDING, claimed_by=worker
            )
            .select_related("invitation__instrument_version", "organisation")
            .order_by("id")
        )
        by_organisation: dict[int, list[Delivery]] = defaultdict(list)
        for row in rows:
            by_organisation[row.organisation_id].append(row)
        for rows_of_one in by_organisation.values():
            organisation = rows_of_one[0].organisation
            with tenant(organisation):
                _Batch(organisation, rows_of_one, worker, clock, report).run()
    return report


class _Batch:
    """One organisation's part of a claimed batch."""

    def __init__(
        self,
        organisation: Organisation,
        rows: list[Delivery],
        worker: str,
        clock: Callable[[], datetime],
        report: DispatchReport,
    ) -> None:
        self.organisation = organisation
        self.rows = rows
        self.worker = worker
        self.clock = clock
        self.report = report
        self.config = selectors.distribution_settings()
        self.window = selectors.sending_window(self.config)
        self.wordings = selectors.custom_wordings()
        self.rules = {r.instrument_id: r for r in ReminderRule.objects.filter(reminders__gt=0)}
        self._dates: dict[tuple[str, Any], str] = {}

    def _mine(self, ids: Sequence[int]) -> Any:
        return Delivery.objects.filter(
            pk__in=ids, status=DeliveryStatus.SENDING, claimed_by=self.worker
        )

    def run(self) -> None:
        now = self.clock()
        hashes = {d.contact_hash for d in self.rows}
        opted = set(
            OptOut.objects.filter(contact_hash__in=hashes).values_list("contact_hash", flat=True)
        )
        earlier: dict[str, list[datetime]] = defaultdict(list)
        first_hashes = {d.contact_hash for d in self.rows if d.kind == MessageKind.INVITATION}
        if first_hashes and (self.config.fatigue_days or self.config.fatigue_per_year):
            for contact, sent_at in Delivery.objects.filter(
                contact_hash__in=first_hashes,
                kind=MessageKind.INVITATION,
                status__in=(DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
                sent_at__gt=now - timedelta(days=365),
            ).values_list("contact_hash", "sent_at"):
                earlier[contact].append(sent_at)
        reminder_of = [d.invitation_id for d in self.rows if d.kind == MessageKind.REMINDER]
        bounced = set(
            Delivery.objects.filter(
                invitation_id__in=reminder_of, status=DeliveryStatus.BOUNCED
            ).values_list("invitation_id", flat=True)
        )
        opens = self.window.opens(now)
        skipped: dict[tuple[str, str], list[int]] = defaultdict(list)
        deferred: list[int] = []
        to_send: list[Delivery] = []
        for d in self.rows:
            invitation = d.invitation
            address = (
                invitation.respondent_email
                if d.channel == DeliveryChannel.EMAIL
                else invitation.respondent_phone
            )
            if invitation.expires_at <= now:
                status = DeliveryStatus.SKIPPED_EXPIRED
            elif d.contact_hash in opted:
                status = DeliveryStatus.SKIPPED_OPTED_OUT
            elif d.kind == MessageKind.REMINDER and (
                invitation.started_at or invitation.measurement_id
            ):
                status = DeliveryStatus.SKIPPED_STARTED
            elif d.kind == MessageKind.REMINDER and invitation.pk in bounced:
                status = DeliveryStatus.SKIPPED_BOUNCED
            elif not address:
                status = DeliveryStatus.SKIPPED_NO_CONTACT
            elif opens > now:
                deferred.append(d.pk)
                continue
            elif d.kind == MessageKind.INVITATION and (
                verdict := fatigue_verdict(
                    earlier[d.contact_hash],
                    now,
                    days=self.config.fatigue_days,
                    per_year=self.config.fatigue_per_year,
                )
            ):
                skipped[(DeliveryStatus.SKIPPED_FATIGUE, verdict)].append(d.pk)
                continue
            else:
                if d.kind == MessageKind.INVITATION:
                    earlier[d.contact_hash].append(now)
                to_send.append(d)
                continue
            skipped[(status, REASONS[status])].append(d.pk)
        with transaction.atomic():
            for (status, reason), ids in skipped.items():
                self._mine(ids).update(
                    status=status, reason=reason, claimed_by="", lease_until=None, updated_at=now
                )
                self.report.skip(status, len(ids))
            if deferred:
                # Not an attempt: the window was closed.
                self._mine(deferred).update(
                    status=DeliveryStatus.SCHEDULED,
                    reason=WINDOW_WAIT,
                    next_attempt_at=opens,
                    attempts=F("attempts") - 1,
                    claimed_by="",
                    lease_until=None,
                    updated_at=now,
                )
                self.report.deferred += len(deferred)
        if to_send:
            self._send(to_send)

    # --- sending ---

    def _sender(self) -> tuple[str, str]:
        name = self.config.sender_name or self.organisation.name
        address = self.config.sender_address or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        return name, address

    def _expires(self, invitation: Invitation) -> str:
        key = (invitation.language, invitation.expires_at.date())
        if key not in self._dates:
            with translation.override(invitation.language):
                self._dates[key] = formats.date_format(
                    timezone.localtime(invitation.expires_at), "DATE_FORMAT"
                )
        return self._dates[key]

    def _wording(self, d: Delivery) -> Wording:
        language = d.invitation.language if d.invitation.language in ("nl", "en") else "nl"
        key = (d.channel, d.kind, language)
        return self.wordings.get(key) or default_wording(*key)

    def _prepare(self, d: Delivery, sender: str, name: str, domain: str) -> Email | Sms | None:
        """The message for one delivery, or None (its failure already recorded)."""
        link = contacts.unseal(d.sealed_token)
        if link is None:
            self._record(d, Outcome(PERMANENT, error="the link cannot be restored"))
            return None
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(link))
        token = contacts.opt_out_token(d.pk)
        opt_out_link = origin + reverse("opt-out", kwargs={"token": token})
        invitation = d.invitation
        raw = (
            invitation.respondent_email
            if d.channel == DeliveryChannel.EMAIL
            else invitation.respondent_phone
        )
        try:
            to = normalised(d.channel, raw)
        except contacts.ContactError as exc:
            self._record(d, Outcome(PERMANENT, error=f"the address {exc}"))
            return None
        context = {
            "link": link,
            "organisation": self.organisation.name,
            "opt_out_link": opt_out_link,
            "expires_at": self._expires(invitation),
        }
        message = render(self._wording(d), context, language=invitation.language)
        if d.channel == DeliveryChannel.EMAIL:
            key = d.idempotency_key.replace(":", ".")
            return Email(
                sender=sender,
                to=to,
                subject=message.subject,
                text=message.text,
                html=message.html,
                message_id=f"<kp.{self.organisation.pk}.{key}@{domain}>",
                unsubscribe_url=opt_out_link,
            )
        return Sms(to=to, text=message.text, reference=d.idempotency_key, sender=name)

    def _send(self, rows: list[Delivery]) -> None:
        """Send over up to ``smtp_connections()`` connections at once, one thread each;
        every thread records each answer itself, one short commit right after the
        server's reply, so the window for a repeat stays as small as with one thread."""
        name, address = self._sender()
        sender = formataddr((name, address))
        domain = address.rpartition("@")[2] or "klantpeil.invalid"
        prepared = [(d, m) for d in rows if (m := self._prepare(d, sender, name, domain))]
        lanes = max(1, min(smtp_connections(), len(prepared) // MESSAGES_PER_LANE))

        def lane(items: list[tuple[Delivery, Email | Sms]]) -> None:
            with asynchronous_commits(), EmailTransport() as mail, SmsTransport() as sms:
                for d, message in items:
                    try:
                        outcome = (
                            mail.send(message) if isinstance(message, Email) else sms.send(message)
                        )
                    except Exception as exc:
                        # Anything unforeseen is a temporary failure: recorded, tried again.
                        outcome = Outcome(TEMPORARY, error=f"{type(exc).__name__}: {exc}")
                    self._record(d, outcome)

        if lanes == 1:
            lane(prepared)
            return

        def in_thread(items: list[tuple[Delivery, Email | Sms]]) -> None:
            try:
                lane(items)
            finally:
                connection.close()  # this thread's own database connection

        # Each thread runs in a copy of this context: the current organisation goes along.
        threads = [
            threading.Thread(
                target=contextvars.copy_context().run, args=(in_thread, prepared[i::lanes])
            )
            for i in range(lanes)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _record(self, d: Delivery, outcome: Outcome) -> None:
        """One short commit per message, right after the server answered (``_send``
        makes these commits asynchronous on PostgreSQL)."""
        now = self.clock()
        done = {"claimed_by": "", "lease_until": None, "updated_at": now}
        # A lone UPDATE commits by itself; with reminders to plan, both in one transaction.
        plans_reminders = (
            outcome.result == ACCEPTED and d.kind == MessageKind.INVITATION and self.rules
        )
        with transaction.atomic() if plans_reminders else contextlib.nullcontext():
            self._write(d, outcome, now, done)

    def _write(self, d: Delivery, outcome: Outcome, now: datetime, done: dict) -> None:
        if outcome.result == ACCEPTED:
            changed = self._mine([d.pk]).update(
                status=DeliveryStatus.SENT,
                reason="",
                sent_at=now,
                provider_message_id=outcome.provider_id,
                last_error="",
                **done,
            )
            if changed and d.kind == MessageKind.INVITATION:
                self._plan_reminders(d, now)
            self.report.count("sent")
        elif outcome.result == BOUNCED:
            self._mine([d.pk]).update(
                status=DeliveryStatus.BOUNCED,
                reason="refused for this recipient",
                last_error=outcome.error[:500],
                **done,
            )
            self.report.count("bounced")
        elif outcome.result == PERMANENT or d.attempts >= MAX_ATTEMPTS:
            reason = (
                "refused by the server"
                if outcome.result == PERMANENT
                else f"gave up after {d.attempts} attempts"
            )
            self._mine([d.pk]).update(
                status=DeliveryStatus.FAILED, reason=reason, last_error=outcome.error[:500], **done
            )
            self.report.count("failed")
        else:
            retry_at = self.window.opens(
                now + retry_delay(d.attempts, base=RETRY_BASE, cap=RETRY_CAP)
            )
            self._mine([d.pk]).update(
                status=DeliveryStatus.SCHEDULED,
                reason="temporary failure; will try again",
                next_attempt_at=retry_at,
                last_error=outcome.error[:500],
                **done,
            )
            self.report.count("retrying")

    def _plan_reminders(self, d: Delivery, sent_at: datetime) -> None:
        invitation = d.invitation
        rule = self.rules.get(invitation.instrument_version.instrument_id)
        if rule is None:
            return
        reminders = [
            Delivery(
                organisation=self.organisation,
                invitation=invitation,
                kind=MessageKind.REMINDER,
                ordinal=n,
                channel=d.channel,
                idempotency_key=f"{invitation.pk}:reminder:{n}",
                contact_hash=d.contact_hash,
                sealed_token=d.sealed_token,
                send_at=at,
                next_attempt_at=self.window.opens(at),
            )
            for n, at in enumerate(
                reminder_moments(sent_at, reminders=rule.reminders, days_after=rule.days_after),
                start=1,
            )
            if at < invitation.expires_at
        ]
        Delivery.objects.bulk_create(reminders, ignore_conflicts=True)


def next_due() -> datetime | None:
    """When the next scheduled delivery (of any organisation) is due."""
    return (
        Delivery.unscoped_all_tenants.filter(status=DeliveryStatus.SCHEDULED)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


# --- opting out ---------------------------------------------------------------------


def delivery_for_opt_out(token: str) -> Delivery | None:
    """The delivery an opt-out link names (the signed token is the capability)."""
    delivery_id = contacts.delivery_from_token(token)
    if delivery_id is None:
        return None
    return (
        Delivery.unscoped_all_tenants.select_related("organisation", "invitation")
        .filter(pk=delivery_id)
        .first()
    )


def opt_out(delivery: Delivery, *, source: str) -> tuple[OptOut, bool]:
    """Record that the person this delivery went to wants no more invitations from its
    organisation, and hold back everything still scheduled for them. Idempotent."""
    with tenant(delivery.organisation), transaction.atomic():
        record, created = OptOut.objects.get_or_create(
            contact_hash=delivery.contact_hash,
            defaults={"channel": delivery.channel, "source": source, "delivery": delivery},
        )
        Delivery.objects.filter(
            contact_hash=delivery.contact_hash, status=DeliveryStatus.SCHEDULED
        ).update(
            status=DeliveryStatus.SKIPPED_OPTED_OUT,
            reason=REASONS[DeliveryStatus.SKIPPED_OPTED_OUT],
            updated_at=timezone.now(),
        )
    return record, created


def save_settings(**values: Any) -> DistributionSettings:
    """Create or change the current organisation's settings (validated by the caller's
    form; the database refuses a window whose start is not before its end)."""
    config = selectors.distribution_settings()
    for name, value in values.items():
        setattr(config, name, value)
    config.full_clean(exclude=["organisation"])
    config.save()
    return config
