"""Writing measurements: validated, atomic, append-only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from klantpeil.collection.models import (
    Correction,
    Invitation,
    Measurement,
    OpenLink,
    Source,
)
from klantpeil.collection.rows import insert_answer_rows
from klantpeil.core.errors import FieldErrors
from klantpeil.core.events import (
    ZONE,
    MeasurementsRecorded,
    MeasurementsSuperseded,
    publish,
)
from klantpeil.core.tenancy import require_organisation
from klantpeil.instruments.answers import (
    AnswerError,
    StoredValue,
    has_comment,
    is_asked,
    to_stored,
)
from klantpeil.instruments.models import InstrumentVersion
from klantpeil.organisations.models import Channel, Unit


class MeasurementError(FieldErrors):
    """The answers do not fit the instrument; ``errors`` maps question key to reason."""


def build_answers(
    *, version: InstrumentVersion, answers: Mapping[str, Any], channel_kind: str | None = None
) -> list[tuple[Any, StoredValue]]:
    """Validate every answer against its question; collect all problems before failing.

    Returns (question, stored value) pairs for the answers given.
    """
    questions = {q.key: q for q in version.questions.all()}
    errors = {
        key: _("is not a question of this instrument") for key in answers if key not in questions
    }
    stored: dict[str, StoredValue | None] = {}
    for key, question in questions.items():
        try:
            stored[key] = to_stored(question, answers.get(key))
        except AnswerError as exc:
            errors[key] = exc.reason
    built: list[tuple[Any, StoredValue]] = []
    for key, question in questions.items():
        if key in errors:
            continue
        value = stored[key]
        if value is None:
            if question.required and is_asked(question, stored, channel_kind):
                errors[key] = _("is required")
            continue
        built.append((question, value))
    if errors:
        raise MeasurementError(errors)
    return built


@transaction.atomic
def record_measurement(
    *,
    version: InstrumentVersion,
    answers: Mapping[str, Any],
    occurred_at: datetime,
    source: str,
    channel: Channel | None = None,
    unit: Unit | None = None,
    language: str = "",
    external_id: str = "",
) -> Measurement:
    """Store one filled instrument for the current organisation."""
    organisation = require_organisation()
    built = build_answers(
        version=version, answers=answers, channel_kind=channel.kind if channel else None
    )
    measurement = Measurement.objects.create(
        organisation=organisation,
        instrument_version=version,
        method=version.instrument.method,
        channel=channel,
        unit=unit,
        occurred_at=occurred_at,
        source=source,
        language=language,
        external_id=external_id,
    )
    insert_answer_rows(
        [
            (organisation.pk, measurement.pk, question.pk, v.number, v.text, v.moment)
            for question, v in built
        ]
    )
    # The rollups' outbox row is written now, in this transaction; the rollups' worker
    # and the text analysis are woken once it commits (klantpeil.core.events).
    publish(
        MeasurementsRecorded(
            organisation.pk, ((measurement.pk, occurred_at),), comments=has_comment(built)
        )
    )
    return measurement


@transaction.atomic
def correct_measurement(
    *, measurement: Measurement, answers: Mapping[str, Any], reason: str, user: Any = None
) -> Measurement:
    """Replace a measurement by a corrected copy; the original stays, marked superseded."""
    if not reason.strip():
        raise MeasurementError({"reason": "a correction needs a reason"})
    locked = Measurement.objects.select_for_update().get(pk=measurement.pk)
    if locked.superseded_at is not None:
        raise MeasurementError({"measurement": "was already corrected; correct the newest version"})
    replacement = record_measurement(
        version=locked.instrument_version,
        answers=answers,
        occurred_at=locked.occurred_at,
        source=locked.source,
        channel=locked.channel,
        unit=locked.unit,
        language=locked.language,
        external_id="",
    )
    Measurement.objects.filter(pk=locked.pk).update(superseded_at=timezone.now())
    # The original is in the rollups as current: recompute its day now, so no reader
    # counts it beside its replacement (which waits in the outbox like any new one).
    publish(
        MeasurementsSuperseded(
            locked.organisation_id, frozenset({locked.occurred_at.astimezone(ZONE).date()})
        )
    )
    Correction.objects.create(
        original=locked, replacement=replacement, reason=reason.strip(), corrected_by=user
    )
    return replacement


@dataclass(frozen=True)
class Submission:
    measurement: Measurement
    created: bool


@transaction.atomic
def answer_invitation(*, invitation_id: int, answers: Mapping[str, Any]) -> Submission:
    """Record the respondent's answers once; a repeat returns the first measurement.

    The invitation row is locked (PostgreSQL) or the write transaction is
    exclusive (SQLite), and the invitation's one-to-one link to its
    measurement is unique, so two tabs, a double tap or a retry never make a
    second measurement.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("channel", "unit", "instrument_version__instrument")
        .get(pk=invitation_id)
    )
    if invitation.measurement_id is not None:
        return Submission(invitation.measurement, created=False)
    if invitation.expires_at <= timezone.now():
        raise InvitationClosed("expired")
    measurement = record_measurement(
        version=invitation.instrument_version,
        answers=answers,
        occurred_at=invitation.occurred_at,
        source=Source.WEB_FORM,
        channel=invitation.channel,
        unit=invitation.unit,
        language=translation.get_language() or invitation.language,
    )
    Invitation.objects.filter(pk=invitation.pk).update(measurement=measurement)
    return Submission(measurement, created=True)


def mark_invitation_opened(invitation: Invitation) -> None:
    """The funnel's "opened": the first time the form was shown (one UPDATE, only once)."""
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )


def mark_invitation_started(invitation: Invitation) -> None:
    """The funnel's "started": the first submission of the form, valid or not (the form
    is one page). Reminders are not sent once an invitation has started."""
    if invitation.started_at is None:
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, started_at__isnull=True).update(
            started_at=now, opened_at=Coalesce("opened_at", Value(now))
        )


class InvitationClosed(Exception):
    """The link has expired (or was withdrawn); the respondent gets a friendly page."""


def answer_open_link(
    *, link: OpenLink, submission_id: str, answers: Mapping[str, Any]
) -> Submission:
    """Record an answer to an open link; the form's submission id makes a repeat harmless."""
    external_id = f"open-{link.pk}-{submission_id}"[:120]
    existing = Measurement.objects.filter(external_id=external_id).first()
    if existing is not None:
        return Submission(existing, created=False)
    try:
        measurement = record_measurement(
            version=link.instrument_version,
            answers=answers,
            occurred_at=timezone.now(),
            source=Source.WEB_FORM,
            channel=link.channel,
            unit=link.unit,
            language=translation.get_language() or link.language,
            external_id=external_id,
        )
    except IntegrityError:
        # The same form was submitted twice at the same moment; the other one won.
        return Submission(Measurement.objects.get(external_id=external_id), created=False)
    return Submission(measurement, created=True)
