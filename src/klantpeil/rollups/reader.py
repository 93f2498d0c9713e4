"""THE reader of the answer rollups: cells plus the not-yet-folded tail, as one figure.

A cell counts the current measurements of its day that have no pending outbox row
(:mod:`klantpeil.rollups.services`); the tail is exactly those that do, plus every
measurement of an organisation whose rollups were never built. Cells and tail are
read as of one moment (:func:`one_snapshot`), so each measurement counts once,
whatever a fold commits meanwhile. Every figure drawn from the rollups goes through
:func:`answer_sums`; callers turn its plain sums into estimates.

The organisations are passed explicitly (default: the current one), so the one read
across organisations (the sector benchmark) uses the same code as a tenant's page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from klantpeil.collection.models import Answer, Measurement
from klantpeil.core.tenancy import require_organisation
from klantpeil.metrics.periods import parse_period
from klantpeil.organisations.models import Channel
from klantpeil.rollups.models import VALUE_COLUMNS, AnswerRollup
from klantpeil.rollups.services import (
    ALL_UNITS,
    MEASUREMENTS,
    ZONE,
    folded_organisations,
    pending_rows,
)

# Past this many pending measurements (a worker far behind) the tail is found by a
# subquery instead of a list of ids.
UNFOLDED_LIMIT = 20_000
SUM_FIELDS = ("n", "total", "squares", *VALUE_COLUMNS)
# What the sums can be grouped by (in the order asked): the organisation's id, the
# channel's kind (None: no channel), the question key, the first day of the month.
GROUPS = ("organisation", "unit", "channel", "key", "month")


@contextlib.contextmanager
def one_snapshot() -> Iterator[None]:
    """Run the enclosed reads as of one moment (PostgreSQL: a read-only REPEATABLE READ
    transaction), so rollup cells and the pending tail read in separate statements never
    straddle a fold's commit. Inside a transaction already, or on SQLite, it adds nothing.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


@dataclass(frozen=True)
class Days:
    """Local days from ``first`` to ``last`` inclusive; None: unbounded on that side."""

    first: date | None = None
    last: date | None = None

    @classmethod
    def of(
        cls, period: str | None = None, since: date | None = None, until: date | None = None
    ) -> Days:
        """The days a period ("2026-Q3", …; a bad one raises ValueError) and an inclusive
        since/until leave together (their intersection)."""
        first, last = since, until
        if period:
            span = parse_period(period)
            first = max(first, span.start) if first else span.start
            end = span.end - timedelta(days=1)
            last = min(last, end) if last else end
        return cls(first, last)


def unfolded_measurements(
    measurements: QuerySet[Measurement], organisations: Iterable[int] | None = None
) -> QuerySet[Measurement]:
    """Those of ``measurements`` not in the rollups yet: the ones whose "measurement
    recorded" outbox row the worker has not consumed, and all of an organisation
    whose rollups were never built. The cells leave exactly these out, so cells plus
    this tail count each one once.

    The pending ids are read first, from the outbox (the worker's backlog, small),
    so the cost does not follow the size of the table. ``organisations``: default
    the current one.
    """
    organisations = [require_organisation().pk] if organisations is None else list(organisations)
    folded = folded_organisations(organisations)
    never = Q(organisation_id__in=[o for o in organisations if o not in folded])
    pending = pending_rows().filter(organisation_id__in=list(folded))
    ids = list(pending.values_list("measurement_id", flat=True)[: UNFOLDED_LIMIT + 1])
    if len(ids) > UNFOLDED_LIMIT:  # a worker far behind: let the database find them
        return measurements.filter(Q(id__in=pending.values("measurement_id")) | never)
    return measurements.filter(Q(id__in=ids) | never)


def unfolded_answers(
    measurements: QuerySet[Measurement], organisations: Iterable[int] | None = None
) -> QuerySet[Answer]:
    """The answers of ``measurements`` not yet in the rollups.

    The ids are fetched first and passed as a list, so the database looks the
    answers up by measurement; given a subquery, SQLite would rather scan the
    organisation's answers. The ids carry the scope, hence ``unscoped_all_tenants``.
    """
    unfolded = unfolded_measurements(measurements, organisations)
    ids = list(unfolded.values_list("id", flat=True)[: UNFOLDED_LIMIT + 1])
    if len(ids) > UNFOLDED_LIMIT:
        return Answer.unscoped_all_tenants.filter(measurement__in=unfolded)
    return Answer.unscoped_all_tenants.filter(measurement_id__in=ids)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE)


def _month(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def answer_sums(
    *,
    keys: Collection[str],
    organisations: Iterable[int] | None = None,
    instrument: str | None = None,
    exclude_methods: Collection[str] = (),
    days: Days = Days(),
    channel: str | None = None,
    units: Collection[int] | None = None,
    by: Sequence[str] = ("channel", "key"),
) -> dict[tuple, dict[str, Any]]:
    """n, Σx, Σx² and the count of each answer value 0…10 of the current numeric answers
    to the question ``keys`` (``MEASUREMENTS``: count the measurements themselves),
    grouped ``by`` some of :data:`GROUPS`: from the rollup cells plus the tail, as of
    one moment.

    ``organisations``: default the current one. ``instrument``: an instrument key;
    ``exclude_methods``: collection methods left out (the employee survey). ``days``:
    local days. ``channel``: a channel kind. ``units``: unit ids (a scope, or one
    unit); None takes all units, from the cells that add them up (or, grouped by
    unit, from each unit's own cells; 0 is the group of answers without a unit). Only groups with
    data are returned; every value is a plain number.
    """
    unknown = set(by) - set(GROUPS)
    if unknown:
        raise ValueError(f"cannot group by {sorted(unknown)}; choose from {GROUPS}")
    organisations = [require_organisation().pk] if organisations is None else list(organisations)
    keys = list(keys)
    cells = _cells(
        organisations, keys, instrument, exclude_methods, days, channel, units, "unit" in by
    )
    if "month" in by:
        cells = cells.annotate(month=TruncMonth("day"))
    kinds = dict(
        Channel.unscoped_all_tenants.filter(organisation_id__in=organisations).values_list(
            "id", "kind"
        )
    )
    measurements = _measurements(organisations, instrument, exclude_methods, days, channel, units)
    sums: dict[tuple, dict[str, Any]] = {}
    with one_snapshot():  # cells and tail as of one moment, whatever a fold commits meanwhile
        for row in (
            cells.values(*_cell_groups(by))
            .order_by()
            .annotate(
                n=Sum("n"),
                total=Sum("total"),
                squares=Sum("total_squares"),
                **{c: Sum(c) for c in VALUE_COLUMNS},
            )
        ):
            group = tuple(
                kinds.get(row["channel_key"]) if g == "channel" else row[_CELL_GROUP[g]] for g in by
            )
            _add(sums, group, row)
        for row in _tail(measurements, organisations, keys, by):
            group = tuple(_tail_group(g, row[f"g_{g}"]) for g in by)
            _add(sums, group, row)
    return sums


_CELL_GROUP = {
    "organisation": "organisation_id",
    "unit": "unit_key",
    "channel": "channel_key",
    "key": "question_key",
    "month": "month",
}


def _tail_group(group: str, value: Any) -> Any:
    """A tail row's group value as the cells spell it: a month as its first day, no
    unit as 0 (the cells' key for answers without a unit)."""
    if group == "month":
        return _month(value)
    if group == "unit":
        return value or 0
    return value


def _cell_groups(by: Sequence[str]) -> list[str]:
    return [_CELL_GROUP[g] for g in by]


def _add(sums: dict[tuple, dict[str, Any]], group: tuple, row: dict[str, Any]) -> None:
    if group in sums:
        cell = sums[group]
        for field in SUM_FIELDS:
            cell[field] += row[field] or 0
    else:
        sums[group] = {field: row[field] or 0 for field in SUM_FIELDS}


def _cells(
    organisations: list[int],
    keys: list[str],
    instrument: str | None,
    exclude_methods: Collection[str],
    days: Days,
    channel: str | None,
    units: Collection[int] | None,
    per_unit: bool,
) -> QuerySet[AnswerRollup]:
    cells = AnswerRollup.unscoped_all_tenants.filter(
        organisation_id__in=organisations, question_key__in=keys
    )
    if instrument:
        cells = cells.filter(instrument__key=instrument)
    if exclude_methods:
        cells = cells.exclude(instrument__method__in=list(exclude_methods))
    if days.first:
        cells = cells.filter(day__gte=days.first)
    if days.last:
        cells = cells.filter(day__lte=days.last)
    if channel:
        of_kind = Channel.unscoped_all_tenants.filter(
            organisation_id__in=organisations, kind=channel
        )
        cells = cells.filter(channel_key__in=of_kind.values("pk"))
    if units is not None:
        return cells.filter(unit_key__in=list(units))
    # Per unit: every unit's own cells (0: answers without a unit), never their sum.
    return cells.exclude(unit_key=ALL_UNITS) if per_unit else cells.filter(unit_key=ALL_UNITS)


def _measurements(
    organisations: list[int],
    instrument: str | None,
    exclude_methods: Collection[str],
    days: Days,
    channel: str | None,
    units: Collection[int] | None,
) -> QuerySet[Measurement]:
    """The current measurements the cells describe (anonymous ones too, like the cells);
    the tail is those of them not folded in yet."""
    measurements = Measurement.unscoped_all_tenants.filter(
        organisation_id__in=organisations, superseded_at__isnull=True
    )
    if instrument:
        measurements = measurements.filter(instrument_version__instrument__key=instrument)
    if exclude_methods:
        measurements = measurements.exclude(method__in=list(exclude_methods))
    if days.first:
        measurements = measurements.filter(occurred_at__gte=_midnight(days.first))
    if days.last:
        measurements = measurements.filter(occurred_at__lt=_midnight(days.last + timedelta(days=1)))
    if channel:
        measurements = measurements.filter(channel__kind=channel)
    if units is not None:
        measurements = measurements.filter(unit_id__in=list(units))
    return measurements


def _tail(
    measurements: QuerySet[Measurement],
    organisations: list[int],
    keys: list[str],
    by: Sequence[str],
) -> list[dict[str, Any]]:
    """The tail's sums per group (``g_`` + group: a plain name would clash with the
    models' fields): measurements counted for ``MEASUREMENTS``, numeric answers for the
    other keys."""
    rows: list[dict[str, Any]] = []
    if MEASUREMENTS in keys:
        groups = {
            "organisation": F("organisation_id"),
            "unit": F("unit_id"),
            "channel": F("channel__kind"),
            "month": TruncMonth("occurred_at", tzinfo=ZONE),
        }
        counted = (
            unfolded_measurements(measurements, organisations)
            .values(**{f"g_{g}": groups[g] for g in by if g != "key"})
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in counted:
            rows.append(
                {"g_key": MEASUREMENTS, **row, "total": 0.0, "squares": 0.0}
                | dict.fromkeys(VALUE_COLUMNS, 0)
            )
    asked = [key for key in keys if key != MEASUREMENTS]
    if asked:
        groups = {
            "organisation": F("organisation_id"),
            "unit": F("measurement__unit_id"),
            "channel": F("measurement__channel__kind"),
            "key": F("question__key"),
            "month": TruncMonth("measurement__occurred_at", tzinfo=ZONE),
        }
        answers = (
            unfolded_answers(measurements, organisations)
            .filter(question__key__in=asked, number__isnull=False)
            .values(**{f"g_{g}": groups[g] for g in by})
            .annotate(
                n=Count("id"),
                total=Sum("number"),
                squares=Sum(F("number") * F("number")),
                **{c: Count("id", filter=Q(number=i)) for i, c in enumerate(VALUE_COLUMNS)},
            )
            .order_by()
        )
        rows += list(answers)
    return rows
