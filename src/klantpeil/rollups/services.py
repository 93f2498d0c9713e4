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

import itertools
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.query import QuerySet
from django.utils import timezone

from klantpeil.collection.models import Answer, Measurement
from klantpeil.core.sqlite import local_date  # no Python call per answer row on SQLite
from klantpeil.metrics.drivers import encode_cell, encode_scores, pattern_vectors, pattern_width
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


DRIVER_CHUNK = 20_000  # responses turned into packed moments at once (bounds a fold's memory)
ROWS_COST = 4  # a score row read costs about this many times a stored number
DRIVER_LAYOUT_VERSION = "2"  # month and day cells, binary, moments or score rows


def driver_layout() -> str:
    """The layout the driver cells are built in now: the format and the columns (the
    grade, then every driver). Cells built otherwise are not read (see ``RollupFold``)."""
    from klantpeil.instruments.models import Driver

    return f"{DRIVER_LAYOUT_VERSION}:{','.join([TARGET, *Driver.values])}"


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _month_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """The whole months holding ``days``, consecutive ones joined: (first day, last day)."""
    runs: list[tuple[date, date]] = []
    for month in sorted({_month_start(d) for d in days}):
        if runs and runs[-1][1] + timedelta(days=1) == month:
            runs[-1] = (runs[-1][0], _month_end(month))
        else:
            runs.append((month, _month_end(month)))
    return runs


def _fetch(queryset: QuerySet, dtype: str) -> np.ndarray:
    """The rows of a values_list queryset of numbers as one array, streamed from the
    database: no per-row conversion by Django, and no list of a tuple per row held
    (the rebuild reads hundreds of thousands of answers)."""
    sql, params = queryset.query.sql_with_params()
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(50_000):
            chunks.append(np.array(batch, dtype=dtype))
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=dtype)


def _driver_responses(
    organisation_id: int, first: date, last: date
) -> tuple[np.ndarray, np.ndarray]:
    """The survey responses with a grade of local days ``first`` to ``last``, as the
    driver cells count them: their (local day as an ordinal, unit, channel, instrument)
    and their score rows (the grade, then each driver's score, the mean of the items
    answered; NaN: none), as ``metrics.drivers.response_scores`` makes them.

    Two reads for the whole range, whatever its length: the measurements, then their
    answers in one pass over the organisation's answers (read per month, SQLite would
    walk them once per month); no Python per answer.
    """
    from klantpeil.collection.selectors import ANONYMOUS_METHODS
    from klantpeil.instruments.models import Driver

    drivers = list(Driver.values)
    start, end = _bounds(first, last)
    measurements = (
        Measurement.unscoped_all_tenants.filter(
            organisation_id=organisation_id,
            superseded_at__isnull=True,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .exclude(method__in=ANONYMOUS_METHODS)
        .exclude(_pending("pk"))
        .annotate(local_day=local_date("occurred_at", ZONE, start, end))
        .values_list(
            "id", "local_day", "unit_id", "channel_id", "instrument_version__instrument_id"
        )
        .order_by("id")
    )
    ordinal: dict = {}  # the day comes back as a date (PostgreSQL) or as ISO text (SQLite)
    chunks = [np.zeros((0, 5), dtype=np.int64)]
    sql, params = measurements.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(50_000):
            for _, d, *_ in batch:
                if d not in ordinal:
                    ordinal[d] = (d if isinstance(d, date) else date.fromisoformat(d)).toordinal()
            chunks.append(
                np.array(
                    [(i, ordinal[d], u or 0, c or 0, k) for i, d, u, c, k in batch],
                    dtype=np.int64,
                )
            )
    meta = np.concatenate(chunks)
    if not len(meta):
        return meta[:, 1:], np.zeros((0, 1 + len(drivers)))
    column = Case(
        When(question__key=TARGET, then=Value(-1)),
        *(When(question__driver=d, then=Value(j)) for j, d in enumerate(drivers)),
        default=Value(-2),
        output_field=IntegerField(),
    )
    found = _fetch(
        Answer.unscoped_all_tenants.filter(
            organisation_id=organisation_id,
            measurement__superseded_at__isnull=True,
            measurement__occurred_at__gte=start,
            measurement__occurred_at__lt=end,
            number__isnull=False,
        )
        .filter(Q(question__key=TARGET) | Q(question__driver__in=drivers))
        .annotate(column=column)
        .values_list("measurement_id", "column", "number")
        .order_by("id"),  # a response's grade answered twice: the last, as the raw read
        dtype="f8",
    ).reshape(-1, 3)
    ids = meta[:, 0]
    at = np.searchsorted(ids, found[:, 0].astype(np.int64))
    kept = (at < len(ids)) & (ids[np.minimum(at, len(ids) - 1)] == found[:, 0])
    at, col, number = at[kept], found[kept, 1].astype(np.int64), found[kept, 2]
    grade = np.full(len(ids), np.nan)
    is_grade = col == -1
    grade[at[is_grade]] = number[is_grade]  # the last one wins, as in a dict
    items = col >= 0
    totals = np.zeros((len(ids), len(drivers)))
    counts = np.zeros((len(ids), len(drivers)))
    np.add.at(totals, (at[items], col[items]), number[items])
    np.add.at(counts, (at[items], col[items]), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(counts > 0, totals / counts, np.nan)
    graded = ~np.isnan(grade)
    return meta[graded, 1:], np.column_stack([grade, scores])[graded]


def _driver_months(organisation_id: int, first: date, last: date) -> int:
    """Build the driver cells of the whole months from ``first`` to ``last`` (month
    starts and ends): a day cell per local day and a month cell per month, each per
    unit × channel and summed over units (``unit_key`` -1), channels (``channel_key``
    -1) and both, so the default read takes one cell per month. Returns rows written.

    A response's driver score is the mean of the items of that driver it answered,
    as the raw read computes it (``metrics.drivers.response_scores``). Which drivers
    an analysis keeps is decided when it is read (the IVR menu only for phone, none
    with fewer than 50 answers), and it keeps the responses that answered all of them
    (listwise deletion), so a cell cannot hold one cross-product matrix of "complete"
    responses: it holds one per answer pattern (``metrics.drivers.pattern_vectors``),
    or, when that is smaller, the responses' score rows themselves.
    """
    meta, rows = _driver_responses(organisation_id, first, last)
    cells: list[tuple] = []
    month = first
    while month <= last:
        following = _month_end(month) + timedelta(days=1)
        inside = (meta[:, 0] >= month.toordinal()) & (meta[:, 0] < following.toordinal())
        if inside.any():
            days = meta[inside]
            days[:, 0] -= month.toordinal() - 1  # the day of the month
            cells += _month_cells(organisation_id, month, days, rows[inside])
        month = following
    if not cells:
        return 0
    quote = connection.ops.quote_name
    columns = ["organisation_id", "span", "day", "unit_key", "channel_key", "instrument_id"]
    columns += ["n", "masks", "moments", "scores"]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(DriverRollup._meta.db_table)} "
            f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
            cells,
        )
    return len(cells)


def _month_cells(
    organisation_id: int, month: date, meta: np.ndarray, rows: np.ndarray
) -> list[tuple]:
    """The month's cells as rows for the INSERT (see :func:`_driver_months`)."""
    if not len(rows):
        return []
    columns = rows.shape[1]
    width = pattern_width(columns - 1)
    answered = ~np.isnan(rows[:, 1:])
    masks = answered.astype(np.int64) @ (1 << np.arange(columns - 1, dtype=np.int64))
    # The finest groups: day × unit × channel × instrument × pattern; each coarser cell
    # is a sum of them, so the packed moments are made once per response.
    fine = np.column_stack([meta, masks])
    order = np.lexsort(fine.T[::-1])
    fine, rows, masks = fine[order], rows[order], masks[order]
    starts = np.flatnonzero(np.r_[True, (np.diff(fine, axis=0) != 0).any(axis=1)])
    sums = np.zeros((len(starts), width))
    bounds = [*starts, len(rows)]
    begin = 0
    while begin < len(starts):
        end = int(np.searchsorted(starts, starts[begin] + DRIVER_CHUNK, side="left"))
        end = max(end, begin + 1)
        low, high = bounds[begin], bounds[end]
        _, packed = pattern_vectors(rows[low:high])
        sums[begin:end] = np.add.reduceat(packed, starts[begin:end] - low, axis=0)
        begin = end
    groups = fine[starts]
    cells: list[tuple] = []
    dates: dict[int, object] = {}
    for span in (DriverRollup.DAY, DriverRollup.MONTH):
        for units, channels in ((False, False), (True, False), (False, True), (True, True)):
            keys = groups.copy()
            response_keys = fine[:, :4].copy()
            for k in (keys, response_keys):
                if span == DriverRollup.MONTH:
                    k[:, 0] = 1
                if units:
                    k[:, 1] = ALL_UNITS
                if channels:
                    k[:, 2] = ALL
            # Groups of the same cell and mask summed; consecutive ones make one cell.
            group_order = np.lexsort(keys.T[::-1])
            keys = keys[group_order]
            merged = np.flatnonzero(np.r_[True, (np.diff(keys, axis=0) != 0).any(axis=1)])
            totals = np.add.reduceat(sums[group_order], merged, axis=0)
            keys = keys[merged]
            cell_starts = np.flatnonzero(
                np.r_[True, (np.diff(keys[:, :4], axis=0) != 0).any(axis=1)]
            )
            row_order = np.lexsort(response_keys.T[::-1])
            row_keys = response_keys[row_order]
            ordered_rows = rows[row_order]
            row_starts = np.flatnonzero(np.r_[True, (np.diff(row_keys, axis=0) != 0).any(axis=1)])
            row_bounds = [*row_starts.tolist(), len(row_keys)]
            cell_bounds = [*cell_starts.tolist(), len(keys)]
            heads = keys[cell_starts, :4].tolist()
            # Cells and responses are both sorted by cell key: the i-th of each match.
            for i, (low, high) in enumerate(itertools.pairwise(cell_bounds)):
                on, unit, channel, instrument = heads[i]
                begin, end = row_bounds[i], row_bounds[i + 1]
                # Score rows where they are much smaller: turning a row into moments
                # costs a read more than adding a pattern's moments.
                if (end - begin) * columns * ROWS_COST <= (high - low) * width:
                    kinds, moments = b"", b""
                    scores = encode_scores(ordered_rows[begin:end])
                else:
                    kinds, moments = encode_cell(keys[low:high, 4], totals[low:high])
                    scores = b""
                if on not in dates:
                    dates[on] = connection.ops.adapt_datefield_value(month.replace(day=on))
                cells.append(
                    (
                        organisation_id,
                        span,
                        dates[on],
                        unit,
                        channel,
                        instrument,
                        end - begin,
                        kinds,
                        moments,
                        scores,
                    )
                )
    return cells


def _rebuild_answers(organisation_id: int, first: date, last: date) -> int:
    AnswerRollup.unscoped_all_tenants.filter(
        organisation_id=organisation_id, day__gte=first, day__lte=last
    ).delete()
    return _insert_answer_cells(organisation_id, first, last)


def _rebuild_drivers(organisation_id: int, first: date, last: date) -> int:
    """The driver cells of the whole months from ``first`` to ``last`` (a month cell
    changes with any of its days, so a day is rebuilt with its month)."""
    DriverRollup.unscoped_all_tenants.filter(
        organisation_id=organisation_id, day__gte=first, day__lte=last
    ).delete()
    return _driver_months(organisation_id, first, last)


@transaction.atomic
def rebuild_range(organisation_id: int, first: date, last: date) -> int:
    """Recompute every cell from local day ``first`` to ``last`` for one organisation
    (the driver cells of the whole months they fall in)."""
    rows = _rebuild_answers(organisation_id, first, last)
    return rows + _rebuild_drivers(organisation_id, _month_start(first), _month_end(last))


@transaction.atomic
def rebuild_days(organisation_id: int, days: Iterable[date]) -> int:
    """Recompute every cell of these local days for one organisation (the driver cells
    of their months, each once); returns rows written."""
    days = set(days)
    rows = sum(_rebuild_answers(organisation_id, *run) for run in _runs(days))
    return rows + sum(_rebuild_drivers(organisation_id, *run) for run in _month_runs(days))


BUSY, LOCKED, FIRST, STALE = "busy", "locked", "first", "stale"


def _lock(organisation_id: int, *, wait: bool) -> str:
    """Take the organisation's fold lock for the current transaction.

    Returns BUSY when another fold holds it and ``wait`` is False, FIRST when the
    organisation has never been folded (readers then take all its measurements from
    the raw tables, and this fold must build all its days), STALE when its driver
    cells are of an older layout (this fold rebuilds all its days too), else LOCKED. On SQLite
    every write transaction is exclusive (``BEGIN IMMEDIATE``), which serialises
    folds by itself.
    """
    folds = RollupFold.unscoped_all_tenants.filter(organisation_id=organisation_id)
    first = not folds.exists()
    if first:
        RollupFold.unscoped_all_tenants.bulk_create(
            [RollupFold(organisation_id=organisation_id)], ignore_conflicts=True
        )
    locked = list(folds.select_for_update(skip_locked=not wait).values_list("driver_layout"))
    if not locked:
        return BUSY
    if first:
        return FIRST
    return LOCKED if locked[0][0] == driver_layout() else STALE


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


def stale_organisations() -> list[int]:
    """Organisations folded before, whose driver cells are of an older layout (after an
    upgrade): the next refresh rebuilds them; until then the driver report reads the
    raw answers."""
    return list(
        RollupFold.unscoped_all_tenants.exclude(driver_layout=driver_layout()).values_list(
            "organisation_id", flat=True
        )
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
        if state in (FIRST, STALE) and span is None:
            span = _span(organisation_id) or ()
        claimed = _claim(organisation_id)
        days = set(claimed)
        rows = recomputed = 0
        if span:
            rows += rebuild_range(organisation_id, *span)
            days = {day for day in days if not span[0] <= day <= span[1]}
            recomputed = (span[1] - span[0]).days + 1
        rows += rebuild_days(organisation_id, days)
        built = {"driver_layout": driver_layout()} if span is not None else {}
        RollupFold.unscoped_all_tenants.filter(organisation_id=organisation_id).update(
            folded_at=timezone.now(), folded=F("folded") + len(claimed), **built
        )
    return {"days": recomputed + len(days), "rows": rows, "measurements": len(claimed)}


def refold_days(organisation_id: int, days: Iterable[date]) -> int:
    """Recompute these local days now, in the caller's transaction: after measurements on
    them were deleted (a respondent forgotten) or superseded (a correction). Returns rows.

    Pending measurements stay pending (the cells leave them out, the readers' tail adds
    them), so this needs no claim and costs one day, whatever the worker's backlog.
    """
    with transaction.atomic():
        if _lock(organisation_id, wait=True) in (FIRST, STALE):
            span = _span(organisation_id)
            days = [d for d in days if not span or not span[0] <= d <= span[1]]
            rows = rebuild_range(organisation_id, *span) if span else 0
            RollupFold.unscoped_all_tenants.filter(organisation_id=organisation_id).update(
                driver_layout=driver_layout()
            )
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
        | set(stale_organisations())
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
    The driver cells are compared too: each day cell's graded responses with the raw
    count, each month cell's with the sum of its days (``"cells": "drivers"`` marks a
    day where only they differ; a month cell is reported on the month's first day).

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
            answers = {
                d for d in days if not raw.get(d, 0) == per_unit.get(d, 0) == all_units.get(d, 0)
            }
            drivers = _driver_differences(organisation_id)
            different = sorted(answers | set(drivers))
            record.organisations += 1
            record.days += len(days)
            for day in different:
                where = {
                    "organisation": organisations.get(organisation_id, str(organisation_id)),
                    "day": day.isoformat(),
                }
                if day in answers:
                    where |= {"rollups": per_unit.get(day, 0), "raw": raw.get(day, 0)}
                else:
                    where |= {"rollups": drivers[day][0], "raw": drivers[day][1]}
                    where["cells"] = "drivers"
                record.differences.append(where)
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


def _driver_differences(organisation_id: int) -> dict[date, tuple[int, int]]:
    """Days whose driver cells (all units, all channels) count other graded responses than
    the raw answers, and months whose cell differs from the sum of its day cells (on the
    month's first day): {day: (rollups, raw or the days' sum)}."""
    from klantpeil.collection.selectors import ANONYMOUS_METHODS

    raw = _counts(
        Answer.unscoped_all_tenants.filter(
            organisation_id=organisation_id,
            question__key=TARGET,
            number__isnull=False,
            measurement__superseded_at__isnull=True,
        )
        .exclude(measurement__method__in=ANONYMOUS_METHODS)
        .exclude(_pending("measurement_id"))
        .annotate(day=TruncDate("measurement__occurred_at", tzinfo=ZONE)),
        Count("measurement_id", distinct=True),
    )
    cells = DriverRollup.unscoped_all_tenants.filter(
        organisation_id=organisation_id, unit_key=ALL_UNITS, channel_key=ALL
    )
    per_day = _counts(cells.filter(span=DriverRollup.DAY), Sum("n"))
    per_month = _counts(cells.filter(span=DriverRollup.MONTH), Sum("n"))
    days_of_month: dict[date, int] = {}
    for day, n in per_day.items():
        days_of_month[_month_start(day)] = days_of_month.get(_month_start(day), 0) + n
    different = {
        day: (per_day.get(day, 0), raw.get(day, 0))
        for day in set(raw) | set(per_day)
        if per_day.get(day, 0) != raw.get(day, 0)
    }
    for month in set(per_month) | set(days_of_month):
        if month not in different and per_month.get(month, 0) != days_of_month.get(month, 0):
            different[month] = (per_month.get(month, 0), days_of_month.get(month, 0))
    return different


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
