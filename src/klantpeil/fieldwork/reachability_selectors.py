"""Mystery-call reachability and mystery e-mail KPIs of the current organisation."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date

from django.db.models import QuerySet

from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import (
    MeasurementFilter,
    filtered_measurements,
)
from klantpeil.core.tenancy import require_organisation
from klantpeil.metrics.reachability import (
    CALL_FIELDS,
    CALL_TEXT,
    CALL_YES_NO,
    MysteryCall,
    MysteryEmail,
    Norms,
    counts_from_calls,
    email_kpis,
    reachability_kpis,
)
from klantpeil.metrics.stats import Estimate
from klantpeil.organisations.selectors import channel_calendar

PHONE_PROTOCOL = "mystery-phone"


def organisation_norms() -> Norms:
    """NEN 8878 defaults, overridden by what the organisation has configured."""
    configured = require_organisation().norms or {}
    known = {k: float(v) for k, v in configured.items() if k in Norms.__dataclass_fields__}
    return Norms(**known)


def reachability_of(measurements: QuerySet, norms: Norms) -> dict[str, Estimate]:
    """The reachability KPIs of these mystery-call measurements."""
    calls: dict[int, dict] = defaultdict(dict)
    for measurement_id, key, number, text in Answer.objects.filter(
        measurement__in=measurements, question__key__in=CALL_FIELDS
    ).values_list("measurement_id", "question__key", "number", "text"):
        if key in CALL_TEXT:
            calls[measurement_id][key] = text
        elif key in CALL_YES_NO:
            calls[measurement_id][key] = bool(number) if number is not None else None
        else:
            calls[measurement_id][key] = number
    counts = counts_from_calls((MysteryCall(**values) for values in calls.values()), norms)
    return reachability_kpis(counts, norms)


def reachability(filters: MeasurementFilter) -> tuple[dict[str, Estimate], Norms]:
    """The reachability KPIs of the organisation's mystery calls matching ``filters``."""
    norms = organisation_norms()
    measurements = filtered_measurements(dataclasses.replace(filters, instrument=PHONE_PROTOCOL))
    return reachability_of(measurements, norms), norms


EMAIL_NORM_HOURS = 16  # two working days of eight office hours (the government e-mail code)


def email_norm_hours() -> float:
    """The organisation's e-mail norm (settings: "answered within N working days") in
    office hours; two working days when it set none."""
    days = (require_organisation().norms or {}).get("email_working_days")
    return float(days) * 8 if days else EMAIL_NORM_HOURS


def email_kpis_of(measurements: QuerySet) -> dict[str, Estimate]:
    """The mystery e-mail KPIs of these measurements, in business hours: the e-mail
    channel's opening hours (office hours when none are entered), the Dutch public
    holidays and the organisation's closing days, Europe/Amsterdam, clock changes
    included (organisations.selectors.channel_calendar)."""
    fields = {f.name for f in dataclasses.fields(MysteryEmail)}
    emails: dict[int, dict] = defaultdict(dict)
    for measurement_id, key, number, moment in Answer.objects.filter(
        measurement__in=measurements, question__key__in=fields
    ).values_list("measurement_id", "question__key", "number", "moment"):
        if key in ("sent_at", "answered_at"):
            emails[measurement_id][key] = moment
        elif key in ("answer_correct", "complete"):
            emails[measurement_id][key] = None if number is None else bool(number)
        else:
            emails[measurement_id][key] = number
    sent = [MysteryEmail(**values) for values in emails.values() if values.get("sent_at")]
    years = {e.sent_at.year for e in sent} | {e.answered_at.year for e in sent if e.answered_at}
    calendar = channel_calendar("email", years or {date.today().year})
    return email_kpis(sent, calendar, email_norm_hours())
