"""Writing measurements: validated, atomic, append-only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from klantpeil.collection.models import Answer, Correction, Measurement
from klantpeil.core.tenancy import require_organisation
from klantpeil.instruments.answers import AnswerError, StoredValue, is_asked, to_stored
from klantpeil.instruments.models import InstrumentVersion
from klantpeil.organisations.models import Channel, Unit


class MeasurementError(ValueError):
    """The answers do not fit the instrument; ``errors`` maps question key to reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {reason}" for key, reason in errors.items()))
        self.errors = errors


def build_answers(
    *, version: InstrumentVersion, answers: Mapping[str, Any], channel_kind: str | None = None
) -> list[Answer]:
    """Validate every answer against its question; collect all problems before failing."""
    questions = {q.key: q for q in version.questions.all()}
    errors = {
        key: "is not a question of this instrument" for key in answers if key not in questions
    }
    stored: dict[str, StoredValue | None] = {}
    for key, question in questions.items():
        try:
            stored[key] = to_stored(question, answers.get(key))
        except AnswerError as exc:
            errors[key] = exc.reason
    built: list[Answer] = []
    for key, question in questions.items():
        if key in errors:
            continue
        value = stored[key]
        if value is None:
            if question.required and is_asked(question, stored, channel_kind):
                errors[key] = "is required"
            continue
        built.append(
            Answer(question=question, number=value.number, text=value.text, moment=value.moment)
        )
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
    for answer in built:
        answer.measurement = measurement
        answer.organisation = organisation
    Answer.objects.bulk_create(built)
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
    Correction.objects.create(
        original=locked, replacement=replacement, reason=reason.strip(), corrected_by=user
    )
    return replacement
