"""Reads of the mystery fieldwork for the current organisation (the tenant scope applies)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from klantpeil.accounts.models import Membership
from klantpeil.accounts.permissions import MANAGE_DATA
from klantpeil.collection.models import Answer, Measurement
from klantpeil.core.tenancy import current_units, require_organisation
from klantpeil.fieldwork.models import Assignment, Study
from klantpeil.fieldwork.reachability_selectors import (
    email_kpis_of,
    organisation_norms,
    reachability_of,
)
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics.reachability import Norms, proportion_kpi
from klantpeil.metrics.stats import Estimate, statistic
from klantpeil.organisations.models import Organisation


def studies() -> QuerySet[Study]:
    # Counting through the join bypasses the assignments' manager, so a member limited
    # to units (core/tenancy.py) gets the condition spelled out: their units' contacts.
    units = current_units()
    mine = Q() if units is None else Q(assignments__target__unit__in=sorted(units))
    return Study.objects.annotate(
        planned=Count("assignments", filter=mine if units is not None else None),
        done=Count("assignments", filter=mine & Q(assignments__completed_at__isnull=False)),
    )


def study_by_id(pk: int) -> Study:
    return get_object_or_404(studies(), pk=pk)


def shoppers() -> QuerySet[Any]:
    """Members of the current organisation with the shopper role."""
    from klantpeil.accounts.models import User

    ids = Membership.objects.filter(organisation=require_organisation(), role="shopper")
    return User.objects.filter(pk__in=ids.values("user_id")).order_by("email")


def organisations_to_plan_for(user: Any) -> QuerySet[Organisation]:
    """Other organisations where ``user`` may plan studies (their own memberships decide)."""
    roles = Membership.objects.filter(user=user, role__in=MANAGE_DATA).exclude(
        organisation=require_organisation()
    )
    return Organisation.objects.filter(pk__in=roles.values("organisation_id")).order_by("name")


def own_assignment(pk: int, user: Any) -> Assignment:
    """One of the user's own assignments, or 404 (another shopper's is 'not found')."""
    return get_object_or_404(
        Assignment.objects.select_related("study", "target", "scenario", "measurement"),
        pk=pk,
        shopper=user,
    )


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def todo(user: Any, day: date) -> QuerySet[Assignment]:
    """The shopper's unscored contacts planned up to the end of ``day`` (late ones first)."""
    return Assignment.objects.select_related("study", "target", "scenario").filter(
        shopper=user, completed_at__isnull=True, scheduled_at__lte=_day_end(day)
    )


def upcoming(user: Any, day: date, limit: int = 10) -> QuerySet[Assignment]:
    return Assignment.objects.select_related("study", "target").filter(
        shopper=user, completed_at__isnull=True, scheduled_at__gt=_day_end(day)
    )[:limit]


def pending_callbacks(user: Any | None = None) -> QuerySet[Assignment]:
    """Promised callbacks not yet closed, the earliest deadline first."""
    pending = Assignment.objects.select_related("study", "target", "shopper").filter(
        callback_due_at__isnull=False, callback_closed_at__isnull=True
    )
    if user is not None:
        pending = pending.filter(shopper=user)
    return pending.order_by("callback_due_at")


def overdue_callbacks(now: datetime | None = None) -> QuerySet[Assignment]:
    """Promised callbacks past their deadline that nobody has closed: for the analyst."""
    return pending_callbacks().filter(callback_due_at__lt=now or timezone.now())


def study_measurements(study: Study) -> QuerySet[Measurement]:
    return Measurement.objects.current().filter(
        pk__in=study.assignments.filter(measurement__isnull=False).values("measurement_id")
    )


def study_kpis(study: Study) -> tuple[dict[str, Estimate], Norms]:
    """The study's KPIs: reachability against the organisation's norms for calls,
    response within two working days, correctness and completeness for e-mails, and
    for the other channels each yes/no measurement point's share and each number's mean."""
    norms = organisation_norms()
    measurements = study_measurements(study)
    if study.protocol == "mystery-email":
        return email_kpis_of(measurements), norms
    if study.protocol == "mystery-phone":
        return reachability_of(measurements, norms), norms
    return protocol_summary(measurements, latest_version(key=study.protocol)), norms


def protocol_summary(measurements: QuerySet[Measurement], version: Any) -> dict[str, Estimate]:
    """Share yes (Wilson interval) of every yes/no point, mean and n of every number,
    keyed by question label, in the protocol's order."""
    questions = [q for q in version.questions.all() if q.type not in ("text", "timestamp")]
    values: dict[str, list[float]] = {q.key: [] for q in questions}
    for key, number in Answer.objects.filter(
        measurement__in=measurements, question__key__in=values, number__isnull=False
    ).values_list("question__key", "number"):
        values[key].append(number)
    summary: dict = {}
    for q in questions:
        given = values[q.key]
        if q.type == "yes_no":
            summary[q.label] = proportion_kpi(int(sum(given)), len(given))
        else:
            summary[q.label] = statistic(sum(given) / len(given) if given else None, len(given))
    return summary
