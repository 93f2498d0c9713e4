"""Writes of the mystery fieldwork: planning a study, the shopper's taps and scores,
and the callback recorded afterwards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from klantpeil.accounts.models import Membership
from klantpeil.collection.models import Measurement, Source
from klantpeil.collection.selectors import answers_as_dict, with_answers
from klantpeil.collection.services import correct_measurement, record_measurement
from klantpeil.core.tenancy import require_organisation, tenant
from klantpeil.fieldwork import sampling
from klantpeil.fieldwork.models import Assignment, Scenario, Study, Target
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics.holidays import dutch_holidays
from klantpeil.organisations.models import Channel, Unit

CALLBACK_HOURS = 24


@dataclass(frozen=True)
class TargetSpec:
    label: str
    address: str
    unit_code: str = ""


@dataclass(frozen=True)
class ScenarioSpec:
    question: str
    answer_key: str


class PlanError(ValueError):
    """A study that cannot be planned as asked; the message says why."""


def _closed_days(start: date, end: date) -> set[date]:
    return {h.day for year in range(start.year, end.year + 1) for h in dutch_holidays(year)}


@transaction.atomic
def plan_study(
    *,
    name: str,
    protocol: str,
    channel_kind: str,
    starts_on: date,
    ends_on: date,
    contacts: int,
    targets: Sequence[TargetSpec],
    scenarios: Sequence[ScenarioSpec],
    shoppers: Sequence[Any],
    seed: int,
    created_by: Any = None,
    series: str = "",
) -> Study:
    """Create a study with its sampling plan and every contact assigned to a shopper.

    Contacts fall on working days (Dutch public holidays excluded) spread over
    weekdays, time blocks and targets; the same seed gives the same plan.
    """
    organisation = require_organisation()
    units = {u.code: u for u in Unit.objects.all()}
    unknown = sorted({t.unit_code for t in targets if t.unit_code and t.unit_code not in units})
    if unknown:
        raise PlanError(f"unknown unit code(s): {', '.join(unknown)}")
    if not Channel.objects.filter(kind=channel_kind).exists():
        raise PlanError(f"the organisation has no {channel_kind} channel")
    study = Study.objects.create(
        organisation=organisation,
        name=name,
        series=series,
        protocol=protocol,
        channel_kind=channel_kind,
        starts_on=starts_on,
        ends_on=ends_on,
        contacts=contacts,
        seed=seed,
        created_by=created_by,
    )
    target_rows = {
        f"T{i}": Target.objects.create(
            organisation=organisation,
            study=study,
            key=f"T{i}",
            label=spec.label,
            address=spec.address,
            unit=units.get(spec.unit_code),
        )
        for i, spec in enumerate(targets, start=1)
    }
    scenario_rows = {
        f"S{i}": Scenario.objects.create(
            organisation=organisation,
            study=study,
            key=f"S{i}",
            question=spec.question,
            answer_key=spec.answer_key,
        )
        for i, spec in enumerate(scenarios, start=1)
    }
    try:
        planned = sampling.plan(
            targets=list(target_rows),
            scenarios=list(scenario_rows),
            start=starts_on,
            end=ends_on,
            contacts=contacts,
            seed=seed,
            closed_days=_closed_days(starts_on, ends_on),
        )
        people = {str(shopper.pk): shopper for shopper in shoppers}
        chosen = sampling.assign(planned, list(people), seed=seed)
    except ValueError as exc:
        raise PlanError(str(exc)) from exc
    Assignment.objects.bulk_create(
        Assignment(
            organisation=organisation,
            study=study,
            target=target_rows[contact.target],
            scenario=scenario_rows[contact.scenario],
            shopper=people[shopper],
            block=contact.block,
            scheduled_at=contact.scheduled_at,
        )
        for contact, shopper in zip(planned, chosen, strict=True)
    )
    return study


@transaction.atomic
def plan_series(
    *,
    organisations: Sequence[Any],
    targets: Mapping[str, Sequence[TargetSpec]],
    shoppers: Sequence[Any],
    **study: Any,
) -> list[Study]:
    """The same study for several organisations: one study each, sharing the name as
    their series, all planned or none. ``targets`` by organisation slug ("" for the
    current one); each organisation's contacts go to the chosen shoppers who are
    shoppers there."""
    current = require_organisation()
    planned = []
    for organisation in [current, *organisations]:
        theirs = set(
            Membership.objects.filter(
                organisation=organisation, role="shopper", user__in=shoppers
            ).values_list("user_id", flat=True)
        )
        with tenant(organisation):
            try:
                planned.append(
                    plan_study(
                        targets=targets["" if organisation == current else organisation.slug],
                        shoppers=[s for s in shoppers if s.pk in theirs],
                        series=study["name"] if organisations else "",
                        **study,
                    )
                )
            except PlanError as exc:
                raise PlanError(f"{organisation.name}: {exc}") from exc
    return planned


def tap(assignment: Assignment, event: str, at: datetime | None = None) -> Assignment:
    """Record the moment the shopper dialled (or sent) and the moment a person answered."""
    if event not in ("dialled", "answered"):
        raise ValueError(f"unknown event {event!r}")
    if assignment.completed_at:
        raise ValueError("this contact is already scored")
    moment = at or timezone.now()
    if event == "dialled":
        assignment.dialled_at, assignment.answered_at = moment, None
    else:
        assignment.answered_at = moment
        assignment.dialled_at = assignment.dialled_at or moment
    assignment.save(update_fields=["dialled_at", "answered_at"])
    return assignment


@transaction.atomic
def score(assignment: Assignment, answers: Mapping[str, Any]) -> Assignment:
    """Store the shopper's scores as a measurement of the study's protocol.

    Raises MeasurementError (per-field messages) when the answers do not fit
    the protocol; nothing is written then.
    """
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.completed_at:
        return assignment  # a double tap on "save" stores the contact once
    study = assignment.study
    measurement = record_measurement(
        version=latest_version(key=study.protocol),
        answers=answers,
        occurred_at=assignment.dialled_at or timezone.now(),
        source=Source.FIELD_FORM,
        channel=Channel.objects.get(kind=study.channel_kind),
        unit=assignment.target.unit,
        language="nl",
        external_id=f"study-{study.pk}-assignment-{assignment.pk}",
    )
    assignment.measurement = measurement
    assignment.completed_at = timezone.now()
    promised = str(answers.get("callback_promised", "")).lower() in ("1", "true", "yes", "ja")
    if promised and answers.get("callback_hours") in (None, ""):
        assignment.callback_due_at = assignment.completed_at + timedelta(hours=CALLBACK_HOURS)
    assignment.save(update_fields=["measurement", "completed_at", "callback_due_at"])
    return assignment


@transaction.atomic
def record_callback(assignment: Assignment, came_at: datetime | None, user: Any = None) -> None:
    """Close a promised callback: it came at ``came_at``, or (None) it never came.

    A callback that came is written into the contact's scores as a correction
    (``callback_hours`` from the promise, at the end of the call, to the
    callback), so the original scores stay on record.
    """
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if not assignment.callback_pending:
        raise ValueError("no callback is pending for this contact")
    promised_at = assignment.completed_at
    if came_at is not None:
        if came_at < promised_at:
            raise ValueError("the callback cannot come before it was promised")
        hours = round((came_at - promised_at).total_seconds() / 3600, 1)
        measurement = with_answers(Measurement.objects.filter(pk=assignment.measurement_id)).get()
        answers = answers_as_dict(measurement)
        assignment.measurement = correct_measurement(
            measurement=measurement,
            answers={**answers, "callback_hours": hours},
            reason="callback recorded by the shopper",
            user=user,
        )
        assignment.callback_at = came_at
    assignment.callback_closed_at = timezone.now()
    assignment.save(update_fields=["measurement", "callback_at", "callback_closed_at"])
