"""Bulk writes from systems: measurements with their answers, and invitations.

Both are all-or-nothing: every item is validated first and every problem is
reported with the item's index and field, then everything is written in one
transaction or nothing is.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.collection.models import Invitation, Measurement
from klantpeil.collection.rows import insert_answer_rows
from klantpeil.collection.services import MeasurementError, build_answers
from klantpeil.core.events import ContactDetailsStored, MeasurementsRecorded, publish
from klantpeil.core.tenancy import current_units, require_organisation
from klantpeil.instruments.answers import has_comment
from klantpeil.instruments.models import Instrument, InstrumentVersion
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, Unit

MAX_BATCH = 10_000
LANGUAGES = ("nl", "en")
INVITATION_DAYS = 14


@dataclass(frozen=True)
class Problem:
    index: int
    field: str
    reason: str
    value: Any = None


class _Problems(list):
    """The problems of a batch, starting with those found before (the API's type checks).

    A field already refused is not reported again by the checks here (``occurred_at``
    that was no date is not also "needs a date and time"; ``answers`` that was no object
    does not make every question "required"; an item that was no object, field "",
    gets nothing more).
    """

    def __init__(self, known: Sequence[Problem] = ()) -> None:
        super().__init__(known)
        self._refused = {(p.index, p.field) for p in known}

    def append(self, problem: Problem) -> None:
        field = problem.field
        while True:  # the field, the fields it lies in, and "" (the whole item)
            if (problem.index, field) in self._refused:
                return
            if not field:
                break
            field = field.rpartition(".")[0]
        super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)


class BatchError(ValueError):
    """One or more items are invalid; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was written")
        self.problems = problems


@dataclass
class _Lookups:
    """The organisation's channels, units and instrument versions, read once per batch."""

    channels: dict[str, Channel] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    versions: dict[str, InstrumentVersion] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Lookups:
        return cls(
            channels={c.kind: c for c in Channel.objects.all()},
            units={u.code: u for u in Unit.objects.all()},
        )

    def version(self, key: str) -> InstrumentVersion | None:
        if key not in self.versions:
            try:
                self.versions[key] = latest_version(key=key)
            except Instrument.DoesNotExist:
                self.versions[key] = None
        return self.versions[key]


def _resolve(item: dict[str, Any], index: int, lookups: _Lookups, problems: list[Problem]):
    channel = unit = None
    if item.get("channel") is not None:
        channel = lookups.channels.get(item["channel"])
        if channel is None:
            problems.append(
                Problem(
                    index,
                    "channel",
                    _("unknown channel; known: %(known)s")
                    % {"known": ", ".join(sorted(lookups.channels))},
                    item["channel"],
                )
            )
    if item.get("unit"):
        unit = lookups.units.get(item["unit"])
        if unit is None:
            problems.append(Problem(index, "unit", _("unknown unit code"), item["unit"]))
    elif current_units() is not None:
        # A writer limited to units writes within them: a unit-less row would belong to
        # the whole organisation, which they cannot read back.
        problems.append(
            Problem(
                index,
                "unit",
                _("required for a writer limited to units; theirs: %(known)s")
                % {"known": ", ".join(sorted(lookups.units))},
                None,
            )
        )
    language = item.get("language") or "nl"
    if language not in LANGUAGES:
        problems.append(Problem(index, "language", _("must be nl or en"), language))
    occurred_at = item.get("occurred_at")
    if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
        problems.append(
            Problem(index, "occurred_at", _("needs a date and time with time zone"), occurred_at)
        )
    elif occurred_at > timezone.now() + timedelta(minutes=5):
        problems.append(
            Problem(index, "occurred_at", _("lies in the future"), occurred_at.isoformat())
        )
    return channel, unit, language


@dataclass(frozen=True)
class IngestResult:
    index: int
    id: int
    created: bool


def ingest_measurements(
    *,
    items: Sequence[dict[str, Any]],
    source: str,
    existing_is_error: bool = False,
    max_batch: int | None = MAX_BATCH,
    progress: Callable[[int], None] | None = None,
    known_problems: Sequence[Problem] = (),
) -> list[IngestResult]:
    """Store measurements for the current organisation; idempotent on ``external_id``.

    An item whose ``external_id`` is already stored is not stored again: its
    result points at the existing measurement with ``created=False``, so a
    client can safely retry a batch after a network error. Imports set
    ``existing_is_error`` instead: a file that repeats stored ids is refused.
    ``known_problems`` (found by the caller's own checks) are reported together with
    every problem found here, by item.
    """
    organisation = require_organisation()
    if max_batch is not None and len(items) > max_batch:
        raise BatchError([Problem(-1, "measurements", f"at most {max_batch:,} per request")])
    lookups = _Lookups.load()
    problems = _Problems(known_problems)
    seen: dict[str, int] = {}
    prepared = []
    for index, item in enumerate(items):
        channel, unit, language = _resolve(item, index, lookups, problems)
        version = lookups.version(item.get("instrument", ""))
        if version is None:
            problems.append(
                Problem(index, "instrument", _("unknown instrument"), item.get("instrument"))
            )
            continue
        external_id = (item.get("external_id") or "").strip()
        if external_id:
            if external_id in seen:
                problems.append(
                    Problem(
                        index,
                        "external_id",
                        _("repeats item %(index)s") % {"index": seen[external_id]},
                        external_id,
                    )
                )
            seen[external_id] = index
        try:
            answers = build_answers(
                version=version,
                answers=item.get("answers") or {},
                channel_kind=channel.kind if channel else None,
            )
        except MeasurementError as exc:
            problems.extend(
                Problem(index, f"answers.{key}", reason, (item.get("answers") or {}).get(key))
                for key, reason in exc.errors.items()
            )
            continue
        prepared.append((index, item, version, channel, unit, language, external_id, answers))
        if progress and index % 500 == 499:
            progress(500)
    if progress:
        progress(len(items) % 500)
    existing = _existing_ids(list(seen))
    if existing_is_error:
        problems.extend(
            Problem(index, "external_id", _("is already stored"), external_id)
            for external_id, index in seen.items()
            if external_id in existing
        )
    if problems:
        raise BatchError(sorted(problems, key=lambda p: p.index))
    try:
        created = _write(organisation, prepared, existing, source)
    except IntegrityError:
        # A concurrent request stored some of the same external ids first; those
        # now exist, so the retry treats them like any other repeat.
        existing = _existing_ids(list(seen))
        created = _write(organisation, prepared, existing, source)
    return [
        IngestResult(index, created[index], True)
        if index in created
        else IngestResult(index, existing[external_id], False)
        for index, _, _, _, _, _, external_id, _ in prepared
    ]


@transaction.atomic
def _write(organisation: Any, prepared: list, existing: dict[str, int], source: str) -> dict:
    fresh = [p for p in prepared if p[6] not in existing]
    measurements = Measurement.objects.bulk_create(
        [
            Measurement(
                organisation=organisation,
                instrument_version=version,
                method=version.instrument.method,
                channel=channel,
                unit=unit,
                occurred_at=item["occurred_at"],
                source=source,
                language=language,
                external_id=external_id,
            )
            for _, item, version, channel, unit, language, external_id, _ in fresh
        ]
    )
    insert_answer_rows(
        [
            (organisation.pk, measurement.pk, question.pk, v.number, v.text, v.moment)
            for measurement, (*_, answers) in zip(measurements, fresh, strict=True)
            for question, v in answers
        ]
    )
    if fresh:
        publish(
            MeasurementsRecorded(
                organisation.pk,
                tuple((m.pk, m.occurred_at) for m in measurements),
                comments=has_comment(pair for *_, answers in fresh for pair in answers),
            )
        )
    return {p[0]: m.pk for p, m in zip(fresh, measurements, strict=True)}


def _existing_ids(external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), 900):  # SQLite's limit on query parameters
        chunk = external_ids[start : start + 900]
        found.update(
            Measurement.objects.filter(external_id__in=chunk).values_list("external_id", "id")
        )
    return found


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitations(
    *,
    events: Sequence[dict[str, Any]],
    instrument: str = "customer-survey",
    valid_days: int = INVITATION_DAYS,
    known_problems: Sequence[Problem] = (),
) -> list[tuple[Invitation, str]]:
    """Make one single-use link per contact event; returns each invitation with its token.

    Tokens carry 192 random bits and are returned only here.
    """
    organisation = require_organisation()
    if len(events) > MAX_BATCH:
        raise BatchError([Problem(-1, "invitations", f"at most {MAX_BATCH:,} per request")])
    if not 1 <= valid_days <= 365:
        raise BatchError([Problem(-1, "valid_days", "must be between 1 and 365", valid_days)])
    lookups = _Lookups.load()
    version = lookups.version(instrument)
    problems = _Problems(known_problems)
    if version is None:
        problems.append(Problem(-1, "instrument", _("unknown instrument"), instrument))
    rows = []
    expires = timezone.now() + timedelta(days=valid_days)
    for index, event in enumerate(events):
        channel, unit, language = _resolve(event, index, lookups, problems)
        if event.get("channel") is None:
            problems.append(Problem(index, "channel", _("is required")))
        token = secrets.token_urlsafe(24)
        rows.append(
            (
                Invitation(
                    organisation=organisation,
                    token_hash=hash_token(token),
                    instrument_version=version,
                    channel=channel,
                    unit=unit,
                    occurred_at=event.get("occurred_at"),
                    language=language,
                    external_contact_id=(event.get("external_contact_id") or "")[:120],
                    respondent_email=event.get("email") or "",
                    respondent_phone=event.get("phone") or "",
                    expires_at=expires,
                ),
                token,
            )
        )
    if problems:
        raise BatchError(sorted(problems, key=lambda p: p.index))
    with transaction.atomic():
        Invitation.objects.bulk_create([invitation for invitation, _ in rows], batch_size=2_000)
        # Contact data now held must go when its retention period is over (privacy).
        publish(ContactDetailsStored(organisation.pk))
    return rows
