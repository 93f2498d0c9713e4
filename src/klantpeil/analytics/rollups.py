"""Keeping the rollups current: recompute whole cells, never add to them.

A cell (organisation × local day × unit × channel × instrument) is always
recomputed from the stored measurements, so running a refresh twice, or after
a crash halfway, gives the same rollups as a full rebuild. New measurements
are found from a watermark (the highest measurement id already folded in);
a correction adds a new measurement to the same cell, so it is picked up the
same way and the superseded original drops out of the recomputed cell.

The answer cells are written by one ``INSERT … SELECT … GROUP BY`` per
organisation and range of days, so the database does the aggregation and no
row passes through Python; the driver cross-products need the complete cases
of each response and are computed here from the driver items only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from klantpeil.analytics.models import VALUE_COLUMNS, AnswerRollup, DriverRollup, RollupWatermark
from klantpeil.collection.models import Answer, Measurement
from klantpeil.instruments.models import Question

ZONE = ZoneInfo("Europe/Amsterdam")
WATERMARK = "answers"
TARGET = "overall_grade"
ANALYSE_AFTER = 1_000  # new measurements since the watermarks that call for fresh statistics


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
        Answer.all_tenants.filter(
            organisation_id=organisation_id,
            number__isnull=False,
            measurement__superseded_at__isnull=True,
            measurement__occurred_at__gte=start,
            measurement__occurred_at__lt=end,
        )
        .annotate(day=TruncDate("measurement__occurred_at", tzinfo=ZONE))
        .values("day", **_cell_keys("measurement__"), key=F("question__key"))
        .annotate(
            cell_n=Count("id"),
            cell_total=Sum("number"),
            cell_squares=Sum(F("number") * F("number")),
            **value_counts,
        )
    )
    measurements = (
        Measurement.all_tenants.filter(
            organisation_id=organisation_id,
            superseded_at__isnull=True,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=ZONE))
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
        AnswerRollup.all_tenants.filter(
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


def _driver_keys() -> dict[int, list[str]]:
    """Per instrument version: the overall grade followed by its driver items, in order."""
    keys: dict[int, list[str]] = defaultdict(list)
    for version_id, key in (
        Question.objects.filter(Q(key=TARGET) | ~Q(driver=""))
        .order_by("version_id", "position")
        .values_list("version_id", "key")
    ):
        keys[version_id].append(key)
    return {v: k for v, k in keys.items() if TARGET in k and len(k) > 1}


def _driver_cells(organisation_id: int, first: date, last: date) -> list[DriverRollup]:
    versions = _driver_keys()
    if not versions:
        return []
    start, end = _bounds(first, last)
    measurements = {
        m["id"]: m
        for m in Measurement.all_tenants.filter(
            organisation_id=organisation_id,
            superseded_at__isnull=True,
            occurred_at__gte=start,
            occurred_at__lt=end,
            instrument_version_id__in=list(versions),
        )
        .annotate(day=TruncDate("occurred_at", tzinfo=ZONE))
        .values(
            "id",
            "day",
            "unit_id",
            "channel_id",
            "instrument_version_id",
            "instrument_version__instrument_id",
        )
    }
    values: dict[int, dict[str, float]] = defaultdict(dict)
    answers = Answer.all_tenants.filter(
        organisation_id=organisation_id,
        measurement__superseded_at__isnull=True,
        measurement__occurred_at__gte=start,
        measurement__occurred_at__lt=end,
        measurement__instrument_version_id__in=list(versions),
        question__key__in={key for keys in versions.values() for key in keys},
        number__isnull=False,
    ).values_list("measurement_id", "question__key", "number")
    for measurement_id, key, number in answers.iterator(chunk_size=20_000):
        if measurement_id in measurements:
            values[measurement_id][key] = number
    # Complete cases per cell; the key set follows what was asked (the IVR item only by phone).
    vectors: dict[tuple, list[list[float]]] = defaultdict(list)
    for measurement_id, meta in measurements.items():
        given = values.get(measurement_id, {})
        keys = [k for k in versions[meta["instrument_version_id"]] if k in given]
        if TARGET not in keys or len(keys) < 2:
            continue
        cell = (
            meta["day"],
            meta["unit_id"] or 0,
            meta["channel_id"] or 0,
            meta["instrument_version__instrument_id"],
            tuple(keys),
        )
        vectors[cell].append([given[k] for k in keys])
    cells: dict[tuple, DriverRollup] = {}
    for (day, unit, channel, instrument, keys), rows in vectors.items():
        matrix = np.asarray(rows, dtype=float)
        # A cell keeps the key set of most of its responses; the few others
        # (an unanswered optional item) would make a second row for the same cell.
        key = (day, unit, channel, instrument)
        if key in cells and cells[key].n >= len(rows):
            continue
        cells[key] = DriverRollup(
            organisation_id=organisation_id,
            day=day,
            unit_key=unit,
            channel_key=channel,
            instrument_id=instrument,
            keys=list(keys),
            n=len(rows),
            sums=matrix.sum(axis=0).tolist(),
            products=(matrix.T @ matrix).tolist(),
        )
    return list(cells.values())


@transaction.atomic
def rebuild_range(organisation_id: int, first: date, last: date) -> int:
    """Recompute every cell from local day ``first`` to ``last`` for one organisation."""
    for model in (AnswerRollup, DriverRollup):
        model.all_tenants.filter(
            organisation_id=organisation_id, day__gte=first, day__lte=last
        ).delete()
    rows = _insert_answer_cells(organisation_id, first, last)
    drivers = _driver_cells(organisation_id, first, last)
    return rows + len(DriverRollup.all_tenants.bulk_create(drivers, batch_size=500))


def rebuild_days(organisation_id: int, days: Iterable[date]) -> int:
    """Recompute every cell of these local days for one organisation; returns rows written."""
    return sum(rebuild_range(organisation_id, first, last) for first, last in _runs(days))


def watermark_name(organisation_id: int) -> str:
    return f"{WATERMARK}:{organisation_id}"


def folded_up_to(organisation_ids: Iterable[int]) -> dict[int, int]:
    """Per organisation, the highest measurement id already in its rollups (0: none)."""
    ids = list(organisation_ids)
    marks = dict(
        RollupWatermark.objects.filter(name__in=[watermark_name(o) for o in ids]).values_list(
            "name", "last_measurement_id"
        )
    )
    return {o: marks.get(watermark_name(o), 0) for o in ids}


def _refresh_organisation(
    organisation_id: int, newest: int, extra_days: Iterable[date] = ()
) -> tuple[int, int]:
    # Cells and watermark move together in one short transaction per organisation:
    # a worker killed halfway leaves both as they were, and readers (which add the
    # measurements above the watermark to the cells) never count one twice.
    with transaction.atomic():
        mark, _ = RollupWatermark.objects.select_for_update().get_or_create(
            name=watermark_name(organisation_id)
        )
        fresh = Measurement.all_tenants.filter(
            organisation_id=organisation_id, id__gt=mark.last_measurement_id, id__lte=newest
        )
        days = {
            moment.astimezone(ZONE).date() for moment in fresh.values_list("occurred_at", flat=True)
        } | set(extra_days)
        rows = rebuild_days(organisation_id, days)
        mark.last_measurement_id = max(newest, mark.last_measurement_id)
        mark.save(update_fields=["last_measurement_id", "updated_at"])
    return len(days), rows


def refold_after_deletion(organisation_id: int, days: Iterable[date]) -> int:
    """Recompute these local days after measurements on them were deleted (a respondent
    forgotten), folding in whatever is new at the same time so the watermark stays true."""
    newest = Measurement.all_tenants.filter(organisation_id=organisation_id).aggregate(m=Max("id"))
    return _refresh_organisation(organisation_id, newest["m"] or 0, extra_days=days)[1]


def refresh() -> dict[str, int]:
    """Fold measurements recorded since each organisation's watermark into its rollups.

    Idempotent: every affected day is recomputed whole, so running it twice, or
    after a crash, gives what a full rebuild gives.
    """
    marks = dict(
        RollupWatermark.objects.filter(name__startswith=f"{WATERMARK}:").values_list(
            "name", "last_measurement_id"
        )
    )
    newest = Measurement.all_tenants.values_list("organisation_id").annotate(m=Max("id"))
    pending = [
        (organisation_id, last_id)
        for organisation_id, last_id in newest.order_by("organisation_id")
        if last_id > marks.get(watermark_name(organisation_id), 0)
    ]
    if pending and connection.vendor == "postgresql":
        # After a bulk load the planner's statistics are stale (autovacuum comes later)
        # and the fold walks the answers once per measurement: 17 s instead of 1 s for
        # 3,000 measurements in the fault tests. Fresh statistics cost a sample.
        lowest = min(marks.get(watermark_name(o), 0) for o, _ in pending)
        if Measurement.all_tenants.filter(id__gt=lowest).count() >= ANALYSE_AFTER:
            _analyse(Measurement, Answer)
    result = {"organisations": 0, "days": 0, "rows": 0}
    for organisation_id, last_id in pending:
        days, rows = _refresh_organisation(organisation_id, last_id)
        result["organisations"] += 1
        result["days"] += days
        result["rows"] += rows
    return result


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
        Measurement.all_tenants.values_list("organisation_id")
        .annotate(first=Min("occurred_at"), last=Max("occurred_at"), newest=Max("id"))
        .order_by("organisation_id")
    )
    rows = 0
    for organisation_id, first, last, newest in spans:
        with transaction.atomic():
            # One range per organisation: empty days in between cost nothing.
            rows += rebuild_range(
                organisation_id, first.astimezone(ZONE).date(), last.astimezone(ZONE).date()
            )
            RollupWatermark.objects.update_or_create(
                name=watermark_name(organisation_id), defaults={"last_measurement_id": newest}
            )
        if progress:
            progress(1)
    kept = [span[0] for span in spans]
    for model in (AnswerRollup, DriverRollup):
        model.all_tenants.exclude(organisation_id__in=kept).delete()
    # SQLite has no statistics until told, and without them reads skip the rollup
    # index. Only these tables: on the answers, SQLite's plan without statistics
    # (scan one organisation's answers in order) is the fastest for the rebuild.
    _analyse(AnswerRollup, DriverRollup)
    return {"organisations": len(spans), "rows": rows}
