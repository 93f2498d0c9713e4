"""Keeping the rollups current: recompute whole cells, never add to them.

A cell (organisation × local day × unit × channel × instrument) is always
recomputed from the stored measurements, so running a refresh twice, or after
a crash halfway, gives the same rollups as a full rebuild.

New measurements are found from the outbox: every write path publishes the "measurement
recorded" event (:mod:`klantpeil.rollups.events`) in the measurement's own transaction,
and a fold claims the rows it can see, deletes them and recomputes their days in one
transaction. The invariant that makes reads exact: a cell counts the current
measurements of its day that have no pending outbox row, and the reader
(:mod:`klantpeil.rollups.reader`) adds the ones that do (the "tail"). A measurement that
commits while a fold runs still has its row, so the fold leaves it out of the cells and
the next fold takes it in; no commit order can lose one (an id watermark could, on
PostgreSQL, where ids are taken at insert and become visible at commit). Folds of one
organisation take turns on its :class:`RollupFold` row, so two workers never rebuild the
same cells at once.

The answer cells are written by one ``INSERT … SELECT … GROUP BY`` per
organisation and range of days, so the database does the aggregation and no
row passes through Python; the driver moments need each response's driver
scores and answer pattern and are computed here from the grade and driver items only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.query import QuerySet
from django.utils import timezone

from klantpeil.collection.models import Answer, Measurement
from klantpeil.core.sqlite import local_date  # no Python call per answer row on SQLite
from klantpeil.metrics.drivers import encode_cell
from klantpeil.rollups.events import ROLLUPS
from klantpeil.rollups.models import (
    VALUE_COLUMNS,
    AnswerRollup,
    DriverRollup,
    MeasurementRecorded,
    RollupCheck,
    RollupFold,
)

ZONE = ZoneInfo("Europe/Amsterdam")
TARGET = "overall_grade"
ANALYSE_AFTER = 1_000  # pending measurements that call for fresh planner statistics
CLAIM_BATCH = 50_000  # outbox rows claimed per statement (bounds the memory of one fold)
log = logging.getLogger("klantpeil.rollups")


def pending_rows() -> QuerySet[MeasurementRecorded]:
    """The rollups' outbox rows not folded in yet, across organisations (filter them)."""
    return MeasurementRecorded.unscoped_all_tenants.filter(subscriber=ROLLUPS)


def _pending(measurement_id: str) -> Exists:
    """Whether the measurement (the outer query's ``measurement_id``) waits to be folded."""
    return Exists(pending_rows().filter(measurement_id=OuterRef(measurement_id)))


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants between local midnight of ``first`` and that after ``last``."""
    after = last + timedelta(days=1)
    return (
        datetime(first.year, first.month, first.day, tzinfo=ZONE),
        datetime(after.year, after.month, after.day, tzinfo=ZONE),
    )


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days joined into (first, last) ranges: one statement per range."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


_CELL_COLUMNS = (
    "day",
    "cell_unit",
    "cell_channel",
    "cell_instrument",
    "key",
    "cell_n",
    "cell_total",
    "cell_squares",
)
MEASUREMENTS = ""  # the question key of the cells that count measurements, not answers
# The unit key of the cells that add up all units of a day: most reads do not
# filter by unit, and these give them a fifth of the rows to read.
ALL_UNITS = -1
ALL = -1  # the channel key of the driver cells that add up all channels of a day


def _cell_keys(prefix: str) -> dict:
    """The cell's unit, channel and instrument (0 for none), from answers or measurements."""
    return {
        "cell_unit": Coalesce(f"{prefix}unit_id", Value(0)),
        "cell_channel": Coalesce(f"{prefix}channel_id", Value(0)),
        "cell_instrument": F(f"{prefix}instrument_version__instrument_id"),
    }


def _insert_cells(organisation_id: int, cells, value_suffix: str = "") -> int:
    """INSERT … SELECT the aggregated ``cells`` queryset into the rollup table.

    ``value_suffix``: how the value-count columns are named in ``cells`` (a
    queryset over the rollup table itself cannot reuse its field names).
    """
    select, params = cells.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(AnswerRollup._meta.db_table)
    target = ["organisation_id", "day", "unit_key", "channel_key", "instrument_id"]
    target += ["question_key", "n", "total", "total_squares", *VALUE_COLUMNS]
    # Django names each selected expression after its keyword, so the outer
    # SELECT can pick the columns by name whatever order the compiler chose.
    source = [quote(c) for c in (*_CELL_COLUMNS, *(c + value_suffix for c in VALUE_COLUMNS))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in target)}) "
            f"SELECT %s, {', '.join('cells.' + c for c in source)} FROM ({select}) cells",
            [organisation_id, *params],
        )
        return cursor.rowcount


def _insert_answer_cells(organisation_id: int, first: date, last: date) -> int:
    """Aggregate the answers, and count the measurements, of these local days in the database."""
    start, end = _bounds(first, last)
    value_counts = {
        column: Count("id", filter=Q(number=index)) for index, column in enumerate(VALUE_COLUMNS)
    }
    answers = (
        Answer.unscoped_all_tenants.filter(
            organisation_id=organisation_id,
            number__isnull=False,
            measurement__superseded_at__isnull=True,
            measurement__occurred_at__gte=start,
            measurement__occurred_at__lt=end,
        )
        .exclude(_pending("measurement_id"))
        .annotate(day=local_date("measurement__occurred_at", ZONE, start, end))
        .values("day", **_cell_keys("measurement__"), key=F("question__key"))
        .annotate(
            cell_n=Count("id"),
            cell_total=Sum("number"),
            cell_squares=Sum(F("number") * F("number")),
            **value_counts,
        )
    )
    measurements = (
        Measurement.unscoped_all_tenants.filter(
            organisation_id=organisation_id,
            superseded_at__isnull=True,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .exclude(_pending("pk"))
        .annotate(day=local_date("occurred_at", ZONE, start, end))
        .values("day", **_cell_keys(""), key=Value(MEASUREMENTS))
        .annotate(
            cell_n=Count("id"),
            cell_total=Value(0.0),
            cell_squares=Value(0.0),
            **{column: Value(0) for column in VALUE_COLUMNS},
        )
    )
    rows = _insert_cells(organisation_id, answers) + _insert_cells(organisation_id, measurements)
    sums = {f"{c}_sum": Sum(c) for c in VALUE_COLUMNS}
    all_units = (
        AnswerRollup.unscoped_all_tenants.filter(
            organisation_id=organisation_id, day__gte=first, day__lte=last, unit_key__gte=0
        )
        .values(
            "day",
            cell_unit=Value(ALL_UNITS),
            cell_channel=F("channel_key"),
            cell_instrument=F("instrument_id"),
            key=F("question_key"),
        )
        .annotate(
            cell_n=Sum("n"), cell_total=Sum("total"), cell_squares=Sum("total_squares"), **sums
        )
    )
    return rows + _insert_cells(organisation_id, all_units, value_suffix="_sum")


DRIVER_WINDOW = 31  # days of driver cells computed at once (bounds a fold's memory)


def _driver_cells(organisation_id: int, first: date, last: date) -> list[DriverRollup]:
    """The driver moments of these local days, per answer pattern (see below).

    A response's driver score is the mean of the items of that driver it answered,
    as the raw read computes it (``metrics.drivers.response_scores``). Which drivers
    an analysis keeps is decided when it is read (the IVR menu only for phone, none
    with fewer than 50 answers), and it keeps the responses that answered all of them
    (listwise deletion), so a cell cannot hold one cross-product matrix of "complete"
    responses: it holds one per answer pattern (``metrics.drivers.pattern_vectors``).
    Stored in the existing JSON fields: ``keys`` the columns (the grade, then every
    driver), ``n`` the responses with a grade, ``sums`` the pattern masks and
    ``products`` their packed moments (``metrics.drivers.encode_cell``). Besides the
    unit × channel cells, ``unit_key`` -1 holds a day's sum over units and
    ``channel_key`` -1 over channels (both -1: the day's total), so the default read
    takes one cell per day.
    """
    from klantpeil.collection.selectors import ANONYMOUS_METHODS
    from klantpeil.instruments.models import Driver
    from klantpeil.metrics.drivers import pattern_vectors, response_scores

    drivers = list(Driver.values)
    column = {d: j for j, d in enumerate(drivers)}
    cells: list[DriverRollup] = []
    day = first
    while day <= last:
        window_last = min(last, day + timedelta(days=DRIVER_WINDOW - 1))
        start, end = _bounds(day, window_last)
        measurements = {
            m[0]: m[1:]
            for m in Measurement.unscoped_all_tenants.filter(
                organisation_id=organisation_id,
                superseded_at__isnull=True,
                occurred_at__gte=start,
                occurred_at__lt=end,
            )
            .exclude(method__in=ANONYMOUS_METHODS)
            .exclude(_pending("pk"))
            .annotate(day=TruncDate("occurred_at", tzinfo=ZONE))
            .values_list("id", "day", "unit_id", "channel_id", "instrument_version__instrument_id")
        }
        answers = Answer.unscoped_all_tenants.filter(
            organisation_id=organisation_id,
            measurement__superseded_at__isnull=True,
            measurement__occurred_at__gte=start,
            measurement__occurred_at__lt=end,
            number__isnull=False,
        ).filter(Q(question__key=TARGET) | Q(question__driver__in=drivers))
        grades: dict[int, float] = {}
        items: list[tuple[int, int, float]] = []
        for measurement_id, key, driver, number in answers.values_list(
            "measurement_id", "question__key", "question__driver", "number"
        ).iterator(chunk_size=20_000):
            if measurement_id not in measurements:
                continue  # pending, superseded or anonymous
            if key == TARGET:
                grades[measurement_id] = number
            elif driver in column:
                items.append((measurement_id, column[driver], number))
        ids, rows = response_scores(grades, items, len(drivers))
        masks, packed = pattern_vectors(rows)
        meta = np.array(
            [
                (on.toordinal(), unit or 0, channel or 0, instrument)
                for on, unit, channel, instrument in (measurements[m] for m in ids)
            ],
            dtype=np.int64,
        ).reshape(-1, 4)
        for units, channels in ((False, False), (True, False), (False, True), (True, True)):
            keys = np.column_stack([meta, masks])
            if units:
                keys[:, 1] = ALL_UNITS
            if channels:
                keys[:, 2] = ALL
            cells += _sum_cells(organisation_id, keys, packed, [TARGET, *drivers])
        day = window_last + timedelta(days=1)
    return cells


def _sum_cells(
    organisation_id: int, keys: np.ndarray, packed: np.ndarray, columns: list[str]
) -> list[DriverRollup]:
    """Sum the responses' packed moments by (day, unit, channel, instrument, mask) and
    make one cell per (day, unit, channel, instrument) holding its masks."""
    if not len(keys):
        return []
    groups, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
    totals = np.add.reduceat(packed[order], starts, axis=0)
    cells = []
    # The groups are sorted by cell, then mask: consecutive rows make one cell.
    first = np.flatnonzero(np.r_[True, (np.diff(groups[:, :4], axis=0) != 0).any(axis=1)])
    for begin, end in zip(first, [*first[1:], len(groups)], strict=True):
        on, unit, channel, instrument = (int(v) for v in groups[begin, :4])
        sums, products = encode_cell(groups[begin:end, 4], totals[begin:end])
        cells.append(
            DriverRollup(
                organisation_id=organisation_id,
                day=date.fromordinal(on),
                unit_key=unit,
                channel_key=channel,
                instrument_id=instrument,
                keys=columns,
                n=int(np.rint(totals[begin:end, 0].sum())),
                sums=sums,
                products=products,
            )
        )
    return cells


@transaction.atomic
def rebuild_range(organisation_id: int, first: date, last: date) -> int:
    """Recompute every cell from local day ``first`` to ``last`` for one organisation."""
    for model in (AnswerRollup, DriverRollup):
        model.unscoped_all_tenants.filter(
            organisation_id=organisation_id, day__gte=first, day__lte=last
        ).delete()
    rows = _insert_answer_cells(organisation_id, first, last)
    drivers = _driver_cells(organisation_id, first, last)
    return rows + len(DriverRollup.unscoped_all_tenants.bulk_create(drivers, batch_size=500))


def rebuild_days(organisation_id: int, days: Iterable[date]) -> int:
    """Recompute every cell of these local days for one organisation; returns rows written."""
    return sum(rebuild_range(organisation_id, first, last) for first, last in _runs(days))


BUSY, LOCKED, FIRST = "busy", "locked", "first"


def _lock(organisation_id: int, *, wait: bool) -> str:
    """Take the organisation's fold lock for the current transaction.

    Returns BUSY when another fold holds it and ``wait`` is False, FIRST when the
    organisation has never been folded (readers then take all its measurements from
    the raw tables, and this fold must build all its days), else LOCKED. On SQLite
    every write transaction is exclusive (``BEGIN IMMEDIATE``), which serialises
    folds by itself.
    """
    folds = RollupFold.unscoped_all_tenants.filter(organisation_id=organisation_id)
    first = not folds.exists()
    if first:
        RollupFold.unscoped_all_tenants.bulk_create(
            [RollupFold(organisation_id=organisation_id)], ignore_conflicts=True
        )
    if not list(folds.select_for_update(skip_locked=not wait).values_list("pk", flat=True)):
        return BUSY
    return FIRST if first else LOCKED


def _span(organisation_id: int) -> tuple[date, date] | None:
    """The first and last local day with a measurement of the organisation."""
    span = Measurement.unscoped_all_tenants.filter(organisation_id=organisation_id).aggregate(
        first=Min("occurred_at"), last=Max("occurred_at")
    )
    if span["first"] is None:
        return None
    return span["first"].astimezone(ZONE).date(), span["last"].astimezone(ZONE).date()


def folded_organisations(organisation_ids: Iterable[int]) -> set[int]:
    """Those of the organisations whose rollups have been built (folded at least once);
    the others have no cells, and readers take all their measurements from the tail."""
    return set(
        RollupFold.unscoped_all_tenants.filter(
            organisation_id__in=list(organisation_ids)
        ).values_list("organisation_id", flat=True)
    )


def _claim(organisation_id: int) -> list[date]:
    """Delete (consume) the organisation's outbox rows this transaction can see and
    nobody else holds; returns their days, one per row."""
    table = connection.ops.quote_name(MeasurementRecorded._meta.db_table)
    days: list[date] = []
    with connection.cursor() as cursor:
        while True:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
                    "WHERE subscriber = %s AND organisation_id = %s ORDER BY id LIMIT %s "
                    "FOR UPDATE SKIP LOCKED) RETURNING day",
                    [ROLLUPS, organisation_id, CLAIM_BATCH],
                )
                got = [day for (day,) in cursor.fetchall()]
            else:
                # SQLite's write transaction is exclusive: the rows read are the rows
                # deleted (and no RETURNING, which older SQLite versions lack).
                where = f"FROM {table} WHERE subscriber = %s AND organisation_id = %s"
                cursor.execute(
                    f"SELECT id, day {where} ORDER BY id LIMIT %s",
                    [ROLLUPS, organisation_id, CLAIM_BATCH],
                )
                rows = cursor.fetchall()
                if rows:
                    cursor.execute(
                        f"DELETE {where} AND id <= %s", [ROLLUPS, organisation_id, rows[-1][0]]
                    )
                got = [d if isinstance(d, date) else date.fromisoformat(d) for _, d in rows]
            days += got
            if len(got) < CLAIM_BATCH:
                return days


def _fold(
    organisation_id: int, *, wait: bool, span: tuple[date, date] | None = None
) -> dict[str, int] | None:
    """Fold the organisation's pending measurements into its rollups (and recompute the
    days of ``span``), in one transaction; None when another fold holds the organisation.

    Cells, claimed rows and the fold's record move together: a worker killed halfway
    leaves all as they were, and readers never count a measurement twice.
    """
    with transaction.atomic():
        state = _lock(organisation_id, wait=wait)
        if state == BUSY:
            return None
        if state == FIRST and span is None:
            span = _span(organisation_id)
        claimed = _claim(organisation_id)
        days = set(claimed)
        rows = recomputed = 0
        if span:
            rows += rebuild_range(organisation_id, *span)
            days = {day for day in days if not span[0] <= day <= span[1]}
            recomputed = (span[1] - span[0]).days + 1
        rows += rebuild_days(organisation_id, days)
        RollupFold.unscoped_all_tenants.filter(organisation_id=organisation_id).update(
            folded_at=timezone.now(), folded=F("folded") + len(claimed)
        )
    return {"days": recomputed + len(days), "rows": rows, "measurements": len(claimed)}


def refold_days(organisation_id: int, days: Iterable[date]) -> int:
    """Recompute these local days now, in the caller's transaction: after measurements on
    them were deleted (a respondent forgotten) or superseded (a correction). Returns rows.

    Pending measurements stay pending (the cells leave them out, the readers' tail adds
    them), so this needs no claim and costs one day, whatever the worker's backlog.
    """
    with transaction.atomic():
        if _lock(organisation_id, wait=True) == FIRST:
            span = _span(organisation_id)
            days = [d for d in days if not span or not span[0] <= d <= span[1]]
            rows = rebuild_range(organisation_id, *span) if span else 0
            return rows + rebuild_days(organisation_id, days)
        return rebuild_days(organisation_id, days)


refold_after_deletion = refold_days  # the name the privacy service knows


def refresh() -> dict[str, int]:
    """Fold every pending measurement (the rollups' outbox) into the rollups.

    Idempotent: every affected day is recomputed whole, so running it twice, or
    after a crash, gives what a full rebuild gives. Organisations another fold
    holds are skipped first and waited for at the end, so whatever was committed
    before this refresh started is folded when it returns.
    """
    waiting = sorted(
        set(pending_rows().values_list("organisation_id", flat=True).distinct().order_by())
    )
    # After a bulk load the planner's statistics are stale (autovacuum comes later)
    # and the fold walks the answers once per measurement: 17 s instead of 1 s for
    # 3,000 measurements in the fault tests. Fresh statistics cost a sample.
    if waiting and connection.vendor == "postgresql" and pending_rows().count() >= ANALYSE_AFTER:
        _analyse(Measurement, Answer, MeasurementRecorded)
    result = {"organisations": 0, "days": 0, "rows": 0, "measurements": 0}
    busy = []
    for organisation_id in waiting:
        done = _fold(organisation_id, wait=False)
        if done is None:
            busy.append(organisation_id)
            continue
        _add(result, done)
    for organisation_id in busy:
        _add(result, _fold(organisation_id, wait=True))
    return result


def _add(result: dict[str, int], done: dict[str, int]) -> None:
    if done["measurements"] or done["days"]:
        result["organisations"] += 1
        for key in ("days", "rows", "measurements"):
            result[key] += done[key]


def check(*, repair: bool = True, trigger: str = "schedule") -> RollupCheck:
    """Compare the rollups' measurement counts with the raw counts per organisation and
    local day; rebuild the days that differ (with ``repair``), log them and record the run.

    Each organisation is compared under its fold lock, where both sides are stable:
    a measurement committed meanwhile waits in the outbox, which both sides leave out.
    """
    from klantpeil.organisations.models import Organisation

    record = RollupCheck.objects.create(trigger=trigger)
    organisations = dict(Organisation.objects.values_list("pk", "slug"))
    # An organisation never folded has no cells: readers take it all from the raw tables.
    for organisation_id in sorted(folded_organisations(organisations)):
        with transaction.atomic():
            _lock(organisation_id, wait=True)
            raw = _counts(
                Measurement.unscoped_all_tenants.filter(
                    organisation_id=organisation_id, superseded_at__isnull=True
                )
                .exclude(_pending("pk"))
                .annotate(day=TruncDate("occurred_at", tzinfo=ZONE)),
                Count("id"),
            )
            cells = AnswerRollup.unscoped_all_tenants.filter(
                organisation_id=organisation_id, question_key=MEASUREMENTS
            )
            per_unit = _counts(cells.filter(unit_key__gte=0), Sum("n"))
            all_units = _counts(cells.filter(unit_key=ALL_UNITS), Sum("n"))
            days = set(raw) | set(per_unit) | set(all_units)
            different = sorted(
                d for d in days if not raw.get(d, 0) == per_unit.get(d, 0) == all_units.get(d, 0)
            )
            record.organisations += 1
            record.days += len(days)
            for day in different:
                record.differences.append(
                    {
                        "organisation": organisations.get(organisation_id, str(organisation_id)),
                        "day": day.isoformat(),
                        "rollups": per_unit.get(day, 0),
                        "raw": raw.get(day, 0),
                    }
                )
            if different:
                log.warning(
                    "rollups of organisation %s differ from the raw counts on %d day(s): %s%s",
                    organisations.get(organisation_id, organisation_id),
                    len(different),
                    ", ".join(d.isoformat() for d in different[:10]),
                    "; rebuilt" if repair else "",
                )
                record.days_different += len(different)
                if repair:
                    rebuild_days(organisation_id, different)
                    record.days_repaired += len(different)
    record.finished_at = timezone.now()
    record.save()
    return record


def _counts(queryset: QuerySet, total) -> dict[date, int]:
    return {day: n for day, n in queryset.values_list("day").annotate(n=total).order_by() if n}


def _analyse(*models: type) -> None:
    """Fresh planner statistics for these models' tables (all tables if none given)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in [quote(m._meta.db_table) for m in models] or [""]:
            cursor.execute(f"ANALYZE {table}")


def rebuild_all(progress: Callable[[int], object] | None = None) -> dict[str, int]:
    """Throw all rollups away and compute them again from the measurements.

    One transaction per organisation, so the database stays writable for
    respondents in between, and its figures stay exact throughout.
    """
    if connection.vendor == "postgresql":
        # After a bulk load PostgreSQL's statistics are stale, and it then walks the
        # answers once per measurement (minutes instead of seconds). SQLite without
        # statistics scans an organisation's answers in order, its fastest plan here.
        _analyse()
    spans = list(
        Measurement.unscoped_all_tenants.values_list("organisation_id")
        .annotate(first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("organisation_id")
    )
    rows = 0
    for organisation_id, first, last in spans:
        # One range per organisation (empty days in between cost nothing), and its
        # pending measurements folded in at the same time.
        span = (first.astimezone(ZONE).date(), last.astimezone(ZONE).date())
        rows += _fold(organisation_id, wait=True, span=span)["rows"]
        if progress:
            progress(1)
    kept = [span[0] for span in spans]
    for model in (AnswerRollup, DriverRollup):
        model.unscoped_all_tenants.exclude(organisation_id__in=kept).delete()
    # SQLite has no statistics until told, and without them reads skip the rollup
    # index. Only these tables: on the answers, SQLite's plan without statistics
    # (scan one organisation's answers in order) is the fastest for the rebuild.
    _analyse(AnswerRollup, DriverRollup)
    return {"organisations": len(spans), "rows": rows}
