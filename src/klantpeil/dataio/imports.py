"""Importing historic results from other tools: all rows valid, or nothing written.

Every problem is reported with its file, row, column, value and reason. A
mapping (JSON) renames the file's columns to question keys and translates
values such as channel names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.collection.ingest import BatchError, ingest_measurements
from klantpeil.collection.models import Source
from klantpeil.dataio.limits import UPLOAD_LIMITS, Limits
from klantpeil.dataio.reading import FileProblem, Table, cell_text, parse_moment, read_table
from klantpeil.instruments.models import Instrument
from klantpeil.instruments.selectors import latest_version
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


@dataclass
class ImportReport:
    file: str
    rows: int = 0
    created: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)  # file column -> key
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> file value -> value

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
        return cls(columns=dict(columns), values=values)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate: "\ud800" is valid JSON
        return False
    return True


def _target_columns(table: Table, mapping: Mapping, questions: dict, report: ImportReport) -> dict:
    targets = {}
    known = set(questions) | set(RESERVED)
    for column in table.columns:
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
    return targets


def _channel(value: str) -> str:
    word = value.strip().lower()
    return CHANNEL_WORDS.get(word, word)


def import_measurements(
    *,
    data: bytes,
    name: str,
    instrument: str,
    mapping: Mapping | None = None,
    progress: Callable[[int], None] | None = None,
    dry_run: bool = False,
    limits: Limits = UPLOAD_LIMITS,
) -> ImportReport:
    """Validate every row of the file and, only when all are valid, store them in one go.

    The file is held to ``limits`` while it is read, before any row is validated.
    """
    report = ImportReport(name)
    try:
        table = read_table(data, name, limits)
    except FileProblem as exc:
        reason = exc.reason.removeprefix(f"{name}: ")
        report.problems.append(ImportProblem(exc.row, exc.column, "", reason))
        return report
    report.rows = len(table.rows)
    try:
        version = latest_version(key=instrument)
    except Instrument.DoesNotExist:
        report.problems.append(ImportProblem(0, "", instrument, _("unknown instrument")))
        return report
    mapping = mapping or Mapping()
    questions = {q.key: q for q in version.questions.all()}
    targets = _target_columns(table, mapping, questions, report)
    if report.problems:
        return report
    column_of = {target: column for column, target in targets.items()}
    unit_names = {u.name.lower(): u.code for u in Unit.objects.all()}
    zone = timezone.get_default_timezone()
    items: list[dict[str, Any]] = []
    rows: list[int] = []
    for row_number, cells in table.numbered():
        item: dict[str, Any] = {"instrument": instrument, "answers": {}}
        for column, target in targets.items():
            raw = cells.get(column)
            text = cell_text(raw)
            text = mapping.values.get(target, {}).get(text, text)
            if target == "occurred_at" or (
                target in questions and questions[target].type == "timestamp"
            ):
                if text == "":
                    value = None
                else:
                    try:
                        value = parse_moment(raw if not isinstance(raw, str) else text, zone)
                    except ValueError as exc:
                        report.problems.append(ImportProblem(row_number, column, text, str(exc)))
                        continue
            else:
                value = text
            if target == "occurred_at":
                item["occurred_at"] = value
            elif target == "channel":
                item["channel"] = _channel(value) if value else None
            elif target == "unit":
                item["unit"] = unit_names.get(value.lower(), value) if value else None
            elif target in ("external_id", "language"):
                item[target] = value
            else:
                item["answers"][target] = value
        items.append(item)
        rows.append(row_number)
    if report.problems:
        return report
    try:
        results = (
            ingest_measurements(
                items=items,
                source=Source.IMPORT,
                existing_is_error=True,
                max_batch=None,
                progress=progress,
            )
            if not dry_run
            else _validate_only(items, progress)
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
    report.created = sum(1 for r in results if r.created)
    return report


class _DryRun(Exception):
    pass


def _validate_only(items: list[dict[str, Any]], progress: Callable[[int], None] | None) -> list:
    """Run the whole import in a transaction that is always rolled back."""
    from django.db import transaction

    results: list = []
    try:
        with transaction.atomic():
            results = ingest_measurements(
                items=items,
                source=Source.IMPORT,
                existing_is_error=True,
                max_batch=None,
                progress=progress,
            )
            raise _DryRun
    except _DryRun:
        pass
    return results
