"""Importing historic results from other tools: all rows valid, or nothing written.

Every problem is reported with its file, row, column, value and reason. The
file's tool is recognised from its header (:mod:`klantpeil.dataio.formats`). A
mapping (JSON) renames the file's columns to question keys, drops columns,
translates values (codes, channel names), converts scales
(:mod:`klantpeil.metrics.scales`) and reads dates in a given format::

    {"format": "qualtrics",
     "columns": {"Q1": "overall_grade", "RecordedDate": "occurred_at"},
     "drop": ["StartDate", "IPAddress"],
     "keep_only_mapped": false,
     "scales": {"Q1": "linear-1-5-to-1-10"},
     "values": {"Q3": {"A1": "1", "A2": "0"}, "channel": {"Tel": "phone"}},
     "dates": {"RecordedDate": "%Y-%m-%d %H:%M:%S"}}

``values`` is keyed by file column or by target key. Suspicious data (placeholder
dates, a 1–5 column taken as 1–10, rows imported before) is reported as warnings,
which block only a strict import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.collection.ingest import BatchError, ingest_measurements
from klantpeil.collection.models import Measurement, Source
from klantpeil.dataio.formats import normalise
from klantpeil.dataio.limits import UPLOAD_LIMITS, Limits
from klantpeil.dataio.reading import FileProblem, Table, cell_text, parse_moment, read_raw_table
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics import scales
from klantpeil.organisations.models import Unit

RESERVED = ("occurred_at", "channel", "unit", "external_id", "language")
# Channel names as Dutch exports write them.
CHANNEL_WORDS = {
    "telefoon": "phone",
    "telefonisch": "phone",
    "bellen": "phone",
    "mail": "email",
    "e-mail": "email",
    "email": "email",
    "balie": "counter",
    "loket": "counter",
    "brief": "letter",
    "post": "letter",
    "sociale media": "social",
    "social media": "social",
    "whatsapp": "messaging",
    "website": "web",
    "webformulier": "web",
}


@dataclass(frozen=True)
class ImportProblem:
    row: int  # spreadsheet row number; 1 is the header, 0 the file as a whole
    column: str
    value: str
    reason: str

    def describe(self, file: str) -> str:
        where = f"{file}, row {self.row}" if self.row else file
        if self.column:
            where += f", column {self.column!r}"
        value = f" (value {self.value!r})" if self.value not in ("", None) else ""
        return f"{where}: {self.reason}{value}"


# Dates tools write when they have none: LimeSurvey without date stamps, Excel's and
# Unix's zero. A contact on one of these days is far likelier a placeholder.
PLACEHOLDER_DATES = (date(1980, 1, 1), date(1900, 1, 1), date(1970, 1, 1))
SUSPICIOUS_ROWS = 30  # a 1–10 column holding only 1–5 over this many answers is suspect
WHOLE_TYPES = {"grade", "nps", "ces", "likert", "yes_no"}


@dataclass(frozen=True)
class ColumnPlan:
    """What the import does with one file column (shown by a dry run)."""

    column: str
    text: str  # the question text the tool wrote
    target: str  # "" when the column is dropped
    conversion: str = ""  # a scales.CONVERSIONS id, "" when none
    date_format: str = ""
    translations: int = 0  # values the mapping translates

    def describe(self) -> str:
        if not self.target:
            return _("dropped")
        parts = [_("mapped to %(target)s") % {"target": self.target}]
        if self.conversion and self.conversion != "identity":
            c = scales.conversion(self.conversion)
            parts.append(
                _("converted from scale %(source)s to %(target)s (%(id)s)")
                % {"source": c.source_label, "target": c.target_label, "id": c.id}
            )
        if self.translations:
            parts.append(_("%(count)s value(s) translated") % {"count": self.translations})
        if self.date_format:
            parts.append(_("dates read as %(format)s") % {"format": self.date_format})
        return ", ".join(parts)


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    created: int = 0
    skipped: int = 0  # rows imported before (their response id is stored)
    format: str = ""  # dataio.formats key of the detected tool
    format_label: str = ""
    plan: list[ColumnPlan] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # file column -> key
    # file column or key -> file value -> value
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()  # file columns left out
    keep_only_mapped: bool = False  # drop every column "columns" does not name
    scales: dict[str, str] = field(default_factory=dict)  # file column -> conversion id
    dates: dict[str, str] = field(default_factory=dict)  # file column -> strptime format
    format: str = ""  # the tool the mapping was made for; another one warns

    @classmethod
    def from_json(cls, text: str, name: str = "mapping") -> Mapping:
        """A mapping from its JSON text; ``FileProblem`` names what is wrong and where.

        Every name and value must be text: a number or a list where a column name or
        a value belongs is refused here, not found later as a server error.
        """
        if len(text) > UPLOAD_LIMITS.max_mapping_chars:
            raise FileProblem(
                _("%(name)s: a mapping file is at most %(limit)s characters")
                % {"name": name, "limit": f"{UPLOAD_LIMITS.max_mapping_chars:,}"}
            )
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileProblem(
                _("%(name)s: not valid JSON (line %(line)s: %(reason)s)")
                % {"name": name, "line": exc.lineno, "reason": exc.msg}
            ) from None
        except RecursionError:  # "[[[[…" nested deeper than the parser goes
            raise FileProblem(
                _("%(name)s: not valid JSON (nested too deeply)") % {"name": name}
            ) from None
        except ValueError as exc:  # a number of more than 4,300 digits
            raise FileProblem(
                _("%(name)s: not valid JSON (line %(line)s: %(reason)s)")
                % {"name": name, "line": "?", "reason": str(exc).split(":")[0]}
            ) from None
        columns = data.get("columns", {}) if isinstance(data, dict) else None
        if not isinstance(columns, dict):
            raise FileProblem(f'{name}: expected {{"columns": {{"File column": "question_key"}}}}')
        values = data.get("values", {})
        if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
            raise FileProblem(f'{name}: "values" maps a key to {{"file value": "value"}}')
        for column, key in columns.items():
            if not isinstance(key, str):
                raise FileProblem(
                    _('%(name)s: "columns" → %(column)s: a question key is text, not %(value)s')
                    % {"name": name, "column": json.dumps(column), "value": json.dumps(key)[:80]},
                    column=column,
                )
        for key, translation in values.items():
            for given, value in translation.items():
                if not isinstance(value, str):
                    raise FileProblem(
                        _('%(name)s: "values" → %(key)s → %(given)s: text expected, not %(value)s')
                        % {
                            "name": name,
                            "key": json.dumps(key),
                            "given": json.dumps(given),
                            "value": json.dumps(value)[:80],
                        },
                        column=key,
                    )
        extra = _optional_parts(data, name)
        texts = [*columns, *columns.values(), *values]
        texts += [
            t for translation in values.values() for pair in translation.items() for t in pair
        ]
        for text in texts:
            if "\x00" in text or not _encodable(text):
                raise FileProblem(
                    _("%(name)s: %(text)s is not text that can be stored")
                    % {"name": name, "text": json.dumps(text)[:80]}
                )
        return cls(columns=dict(columns), values=values, **extra)


def _optional_parts(data: dict, name: str) -> dict[str, Any]:
    """The mapping's drop, keep_only_mapped, scales, dates and format, each checked."""
    drop = data.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(c, str) for c in drop):
        raise FileProblem(f'{name}: "drop" is a list of file columns')
    keep_only = data.get("keep_only_mapped", False)
    if not isinstance(keep_only, bool):
        raise FileProblem(f'{name}: "keep_only_mapped" is true or false')
    conversions = data.get("scales", {})
    if not isinstance(conversions, dict):
        raise FileProblem(f'{name}: "scales" maps a file column to a conversion id')
    for column, conversion_id in conversions.items():
        if not isinstance(conversion_id, str) or conversion_id not in scales.CONVERSIONS:
            raise FileProblem(
                _('%(name)s: "scales" → %(column)s: unknown conversion %(value)s; known: %(known)s')
                % {
                    "name": name,
                    "column": json.dumps(column),
                    "value": json.dumps(conversion_id)[:80],
                    "known": ", ".join(sorted(scales.CONVERSIONS)),
                },
                column=column,
            )
    dates = data.get("dates", {})
    if not isinstance(dates, dict) or not all(
        isinstance(f, str) and "%" in f for f in dates.values()
    ):
        raise FileProblem(f'{name}: "dates" maps a file column to a format such as "%d-%m-%Y"')
    fmt = data.get("format", "")
    if not isinstance(fmt, str):
        raise FileProblem(f'{name}: "format" is text')
    return {
        "drop": frozenset(drop),
        "keep_only_mapped": keep_only,
        "scales": dict(conversions),
        "dates": dict(dates),
        "format": fmt,
    }


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate: "\ud800" is valid JSON
        return False
    return True


def _target_columns(
    table: Table, mapping: Mapping, questions: dict, report: ImportReport
) -> dict[str, str]:
    """File column -> target for every column kept; dropped ones are only planned."""
    targets = {}
    known = set(questions) | set(RESERVED)
    for column in table.columns:
        if column in mapping.drop or (mapping.keep_only_mapped and column not in mapping.columns):
            continue
        target = mapping.columns.get(column, column)
        if target not in known:
            report.problems.append(
                ImportProblem(
                    1,
                    column,
                    "",
                    _(
                        "unknown column: not a question key of the instrument nor occurred_at, "
                        "channel, unit, external_id, language; rename it or map it in the "
                        "mapping file"
                    ),
                )
            )
            continue
        targets[column] = target
    if "occurred_at" not in targets.values():
        report.problems.append(
            ImportProblem(1, "", "", _("no occurred_at column (when the contact happened)"))
        )
    repeated = {t for t in targets.values() if list(targets.values()).count(t) > 1}
    for column, target in targets.items():
        if target in repeated:
            report.problems.append(
                ImportProblem(
                    1,
                    column,
                    "",
                    _("%(target)s is mapped from more than one column") % {"target": target},
                )
            )
    return targets


def _conversions(
    mapping: Mapping, targets: dict[str, str], questions: dict, report: ImportReport
) -> dict[str, scales.Conversion]:
    """File column -> the conversion its values go through (identity left out)."""
    found = {}
    for column, conversion_id in mapping.scales.items():
        if column not in targets or conversion_id == "identity":
            continue
        question = questions.get(targets[column])
        c = scales.conversion(conversion_id)
        scale = question.scale if question is not None else None
        if scale is None or not (scale[0] <= c.target[0] and c.target[1] <= scale[1]):
            report.problems.append(
                ImportProblem(
                    1,
                    column,
                    conversion_id,
                    _("the conversion gives %(scale)s, which %(target)s does not take")
                    % {"scale": c.target_label, "target": targets[column]},
                )
            )
            continue
        found[column] = c
    return found


def _channel(value: str) -> str:
    word = value.strip().lower()
    return CHANNEL_WORDS.get(word, word)


def _number(text: str) -> float:
    return float(text.strip().replace(",", "."))


# Formats datetime.fromisoformat reads exactly, thirty times faster than strptime (the
# date of every row of a 100,000-row export is parsed).
ISO_FORMATS = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"}
_ISO_LENGTHS = {"%Y-%m-%d %H:%M:%S": 19, "%Y-%m-%d %H:%M": 16, "%Y-%m-%d": 10}


def _moment(raw: Any, text: str, date_format: str, zone: Any) -> datetime:
    if date_format and isinstance(raw, str | None):
        if date_format in ISO_FORMATS and len(text) == _ISO_LENGTHS.get(date_format, 19):
            try:
                return parse_moment(datetime.fromisoformat(text), zone)
            except ValueError:
                pass  # strptime below says what is wrong
        try:
            moment = datetime.strptime(text, date_format)
        except ValueError:
            raise ValueError(
                _("not a date in the format %(format)s") % {"format": date_format}
            ) from None
        return parse_moment(moment, zone)
    return parse_moment(raw if not isinstance(raw, str) else text, zone)


def _rows_list(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:5])
    return shown + (", …" if len(rows) > 5 else "")


def import_measurements(
    *,
    data: bytes,
    name: str,
    instrument: str,
    mapping: Mapping | None = None,
    progress: Callable[[int], None] | None = None,
    dry_run: bool = False,
    limits: Limits = UPLOAD_LIMITS,
    strict: bool = False,
) -> ImportReport:
    """Validate every row of the file and, only when all are valid, store them in one go.

    The file is held to ``limits`` while it is read, before any row is validated.
    Warnings (placeholder dates, a 1–5 column taken as 1–10, rows imported before)
    do not stop the import unless ``strict``; rows imported before are skipped.
    """
    report = ImportReport(name, dry_run=dry_run)
    try:
        source = normalise(read_raw_table(data, name, limits))
    except FileProblem as exc:
        reason = exc.reason.removeprefix(f"{name}: ")
        report.problems.append(ImportProblem(exc.row, exc.column, "", reason))
        return report
    table = source.table
    report.format, report.format_label = source.format.key, str(source.format.label)
    report.rows = len(table.rows)
    try:
        version = latest_version(key=instrument)
    except Instrument.DoesNotExist:
        report.problems.append(ImportProblem(0, "", instrument, _("unknown instrument")))
        return report
    mapping = mapping or Mapping()
    if mapping.format and mapping.format != source.format.key:
        report.warnings.append(
            ImportProblem(
                0,
                "",
                source.format.key,
                _("the mapping was made for %(expected)s files, this file is %(found)s")
                % {"expected": mapping.format, "found": str(source.format.label)},
            )
        )
    questions = {q.key: q for q in version.questions.all()}
    targets = _target_columns(table, mapping, questions, report)
    conversions = _conversions(mapping, targets, questions, report)
    translations = {
        column: mapping.values.get(column) or mapping.values.get(target) or {}
        for column, target in targets.items()
    }
    report.plan = [
        ColumnPlan(
            column=column,
            text=source.texts.get(column, ""),
            target=targets.get(column, ""),
            conversion=conversions[column].id if column in conversions else "",
            date_format=mapping.dates.get(column, "") if column in targets else "",
            translations=len(translations.get(column, {})),
        )
        for column in table.columns
    ]
    if report.problems:
        return report
    column_of = {target: column for column, target in targets.items()}
    unit_names = {u.name.lower(): u.code for u in Unit.objects.all()}
    zone = timezone.get_default_timezone()
    whole = {
        column
        for column, target in targets.items()
        if target in questions and questions[target].type in WHOLE_TYPES
    }
    dates = {
        column
        for column, target in targets.items()
        if target == "occurred_at"
        or (target in questions and questions[target].type == "timestamp")
    }
    # Columns read as 1–10 or 0–10 without a conversion: their highest value and count.
    watched = {
        column: [0, -1.0]
        for column, target in targets.items()
        if column not in conversions
        and target in questions
        and questions[target].scale in ((1, 10), (0, 10))
    }
    placeholders: dict[str, list[int]] = {}
    items: list[dict[str, Any]] = []
    rows: list[int] = []
    plan = list(targets.items())
    for row_number, cells in table.numbered():
        item: dict[str, Any] = {"instrument": instrument, "answers": {}}
        for column, target in plan:
            raw = cells.get(column)
            text = cell_text(raw)
            translation = translations[column]
            if text in translation:
                text = translation[text]
                raw = text
            if column in dates:
                if text == "":
                    value = None
                else:
                    try:
                        value = _moment(raw, text, mapping.dates.get(column, ""), zone)
                    except ValueError as exc:
                        report.problems.append(ImportProblem(row_number, column, text, str(exc)))
                        continue
                    if value.date() in PLACEHOLDER_DATES:
                        placeholders.setdefault(column, []).append(row_number)
            elif column in conversions and text != "":
                c = conversions[column]
                try:
                    number = scales.yes_no(text) if c.id == "yes-no" else _number(text)
                except ValueError:
                    reason = _("answer yes or no") if c.id == "yes-no" else _("enter a number")
                    report.problems.append(ImportProblem(row_number, column, text, reason))
                    continue
                if not c.source[0] <= number <= c.source[1]:
                    report.problems.append(
                        ImportProblem(
                            row_number,
                            column,
                            text,
                            _("outside the source scale %(scale)s of %(id)s")
                            % {"scale": c.source_label, "id": c.id},
                        )
                    )
                    continue
                converted = c.convert(number)
                value = str(scales.to_whole(converted)) if column in whole else f"{converted:g}"
            else:
                value = text
                if column in watched and text != "":
                    try:
                        number = _number(text)
                    except ValueError:
                        pass
                    else:
                        seen = watched[column]
                        seen[0] += 1
                        seen[1] = max(seen[1], number)
            if target == "occurred_at":
                item["occurred_at"] = value
            elif target == "channel":
                item["channel"] = _channel(value) if value else None
            elif target == "unit":
                item["unit"] = unit_names.get(value.lower(), value) if value else None
            elif target in ("external_id", "language"):
                item[target] = value.lower() if target == "language" else value
            else:
                item["answers"][target] = value
        items.append(item)
        rows.append(row_number)
    for column, found in placeholders.items():
        report.warnings.append(
            ImportProblem(
                0,
                column,
                "",
                _(
                    "%(count)s row(s) have a placeholder date (1980-01-01, 1900-01-01 or "
                    "1970-01-01), which tools write when they kept no date: rows %(rows)s"
                )
                % {"count": len(found), "rows": _rows_list(found)},
            )
        )
    for column, (count, highest) in watched.items():
        if count >= SUSPICIOUS_ROWS and highest <= 5:
            report.warnings.append(
                ImportProblem(
                    0,
                    column,
                    "",
                    _(
                        "all %(count)s answers are 5 or less, but %(target)s is on a 1–10 "
                        "scale: a 1–5 scale? Convert it in the mapping "
                        '("scales": {"%(column)s": "linear-1-5-to-1-10"})'
                    )
                    % {"count": count, "target": targets[column], "column": column},
                )
            )
    if report.problems:
        return report
    items, rows = _skip_imported(items, rows, column_of.get("external_id", ""), report)
    if strict and report.warnings:
        report.problems = [
            ImportProblem(w.row, w.column, w.value, _("(strict) %(reason)s") % {"reason": w.reason})
            for w in report.warnings
        ]
        return report
    try:
        if dry_run:
            results = _validate_only(items, progress)
        else:
            with transaction.atomic():
                results = _ingest(items, progress)
                report.batch_id = _record_batch(
                    name, source.format.key, instrument, targets, conversions, items, results
                )
    except BatchError as exc:
        for problem in exc.problems:
            key = problem.field.removeprefix("answers.")
            column = column_of.get(key, key)
            value = "" if problem.value is None else str(problem.value)
            report.problems.append(
                ImportProblem(rows[problem.index], column, value, problem.reason)
            )
        return report
    # A dry run's measurements were rolled back: nothing was created.
    report.created = 0 if dry_run else sum(1 for r in results if r.created)
    return report


def _skip_imported(
    items: list[dict[str, Any]], rows: list[int], column: str, report: ImportReport
) -> tuple[list[dict[str, Any]], list[int]]:
    """Leave out rows whose response id an earlier import (or the API) stored, with a warning."""
    ids = [(item.get("external_id") or "").strip() for item in items]
    wanted = sorted({i for i in ids if i})
    stored: set[str] = set()
    for start in range(0, len(wanted), 900):  # SQLite's limit on query parameters
        stored.update(
            Measurement.objects.filter(external_id__in=wanted[start : start + 900]).values_list(
                "external_id", flat=True
            )
        )
    if not stored:
        return items, rows
    again = [row for row, i in zip(rows, ids, strict=True) if i in stored]
    report.skipped = len(again)
    report.warnings.append(
        ImportProblem(
            0,
            column,
            "",
            _(
                "%(count)s row(s) were imported before (their response id is stored) and are "
                "skipped: rows %(rows)s"
            )
            % {"count": len(again), "rows": _rows_list(again)},
        )
    )
    kept = [(item, row) for item, row, i in zip(items, rows, ids, strict=True) if i not in stored]
    return [item for item, _row in kept], [row for _item, row in kept]


def _record_batch(
    name: str,
    file_format: str,
    instrument: str,
    targets: dict[str, str],
    conversions: dict[str, scales.Conversion],
    items: list[dict[str, Any]],
    results: list,
) -> int:
    """Store the batch and link each new measurement to it (inside the import's transaction)."""
    from klantpeil.core.tenancy import require_organisation
    from klantpeil.dataio.models import ImportBatch

    organisation = require_organisation()
    moments = [item["occurred_at"] for item in items]
    batch = ImportBatch.objects.create(
        organisation=organisation,
        file_name=name[:255],
        file_format=file_format,
        instrument_key=instrument,
        measurements=sum(1 for r in results if r.created),
        conversions={
            column: {
                "question": targets[column],
                "conversion": c.id,
                "source_scale": c.source_label,
            }
            for column, c in conversions.items()
        },
        first_occurred_at=min(moments) if moments else None,
        last_occurred_at=max(moments) if moments else None,
    )
    _insert_links(
        [(organisation.pk, r.id, batch.pk, bool(conversions)) for r in results if r.created]
    )
    return batch.pk


def _insert_links(rows: list[tuple[int, int, int, bool]]) -> None:
    """(organisation, measurement, batch, converted) rows, without a model instance each:
    at 100,000 rows the instances cost more than the database (as for answers)."""
    from django.db import connection

    from klantpeil.dataio.models import ImportedMeasurement

    table = ImportedMeasurement._meta.db_table
    columns = "organisation_id, measurement_id, batch_id, converted"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"
        for start in range(0, len(rows), 10_000):
            cursor.executemany(sql, rows[start : start + 10_000])


class _DryRun(Exception):
    pass


def _ingest(items: list[dict[str, Any]], progress: Callable[[int], None] | None) -> list:
    """The import's one write path, for the real run and the dry run alike."""
    return ingest_measurements(
        items=items,
        source=Source.IMPORT,
        existing_is_error=True,
        max_batch=None,
        progress=progress,
    )


def _validate_only(items: list[dict[str, Any]], progress: Callable[[int], None] | None) -> list:
    """Run the whole import in a transaction that is always rolled back."""
    results: list = []
    try:
        with transaction.atomic():
            results = _ingest(items, progress)
            raise _DryRun
    except _DryRun:
        pass
    return results
