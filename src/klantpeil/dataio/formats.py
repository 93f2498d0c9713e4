"""Other survey tools' native exports, recognised by their header and made into one table.

Each tool writes its header its own way; after :func:`normalise` every format is a
:class:`~klantpeil.dataio.reading.Table` with one header row of unique column
names, only data rows (their spreadsheet row numbers kept), and per column the
question text the tool wrote (used to suggest a mapping):

- ``qualtrics``: three header rows. Row 1 the column ids (``ResponseId``, ``Q1``,
  ``Q2_1``), row 2 the question texts, row 3 ``{"ImportId":"QID1"}`` JSON. Both extra
  rows are header, never data (reading them as answers was a reported bug).
- ``qualtrics-legacy``: the pre-2017 export: row 1 ``V1`` … ``Vn`` for the response's
  own fields and ``Q1`` … for questions, row 2 their names and texts. The ``V``
  columns are named by row 2 (``ResponseID``, ``EndDate``), the questions keep ``Q1``.
- ``limesurvey``: one header row, either question codes (``id``, ``submitdate``,
  ``lastpage``, ``startlanguage`` …) or the full texts (``Response ID``, ``Date
  submitted``). Answers are codes (``A1``, ``AO01``, ``Y``) or their texts. A survey
  without date stamps writes ``1980-01-01 00:00:00`` as every date.
- ``surveymonkey``: two header rows: the question in row 1 (empty over the further
  columns of a matrix or multiple choice), the sub-answer in row 2 (``Response``,
  ``Open-Ended Response`` or a row label). A column is named ``question`` or
  ``question - sub-answer``. Dates are US ``mm/dd/yyyy hh:mm:ss AM``.
- ``formbricks``: one header row: ``No.``, ``Response ID``, ``Timestamp``,
  ``Finished``, ``Survey ID``, ``Formbricks ID (internal)``, ``User ID``, ``Notes``,
  ``Tags``, metadata, then the questions' headlines.
- ``generic``: any other table with one header row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy

from klantpeil.dataio.reading import Table, cell_text, name_columns


@dataclass(frozen=True)
class Known:
    """What a tool's own (non-question) columns are: a target, or dropped."""

    targets: dict[str, str] = field(default_factory=dict)  # column -> reserved target
    drop: frozenset[str] = frozenset()
    dates: dict[str, str] = field(default_factory=dict)  # column -> strptime format


@dataclass(frozen=True)
class Format:
    key: str
    label: Any  # lazily translated text
    header_rows: int
    known: Known


QUALTRICS_DROP = frozenset(
    {
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "ExternalDataReference",
        "LocationLatitude",
        "LocationLongitude",
        "LocationAccuracy",
        "DistributionChannel",
        "ResponseSet",
        "Name",
        "EmailAddress",
    }
)

FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format(
            "qualtrics",
            gettext_lazy("Qualtrics CSV/XLSX (three header rows)"),
            3,
            Known(
                targets={
                    "RecordedDate": "occurred_at",
                    "ResponseId": "external_id",
                    "UserLanguage": "language",
                },
                drop=QUALTRICS_DROP,
                dates={"RecordedDate": "%Y-%m-%d %H:%M:%S"},
            ),
        ),
        Format(
            "qualtrics-legacy",
            gettext_lazy("Qualtrics legacy export (V1…Vn, two header rows)"),
            2,
            Known(
                targets={"EndDate": "occurred_at", "ResponseID": "external_id"},
                drop=QUALTRICS_DROP | {"StartDate"},
                dates={"EndDate": "%Y-%m-%d %H:%M:%S"},
            ),
        ),
        Format(
            "limesurvey",
            gettext_lazy("LimeSurvey response export (CSV)"),
            1,
            Known(
                targets={
                    "id": "external_id",
                    "submitdate": "occurred_at",
                    "startlanguage": "language",
                    "Response ID": "external_id",
                    "Date submitted": "occurred_at",
                    "Start language": "language",
                },
                drop=frozenset(
                    {
                        "lastpage",
                        "seed",
                        "startdate",
                        "datestamp",
                        "ipaddr",
                        "refurl",
                        "token",
                        "Last page",
                        "Seed",
                        "Date started",
                        "Date last action",
                        "IP address",
                        "Referrer URL",
                        "Access code",
                    }
                ),
                dates={"submitdate": "%Y-%m-%d %H:%M:%S", "Date submitted": "%Y-%m-%d %H:%M:%S"},
            ),
        ),
        Format(
            "surveymonkey",
            gettext_lazy("SurveyMonkey CSV (two header rows)"),
            2,
            Known(
                targets={"Respondent ID": "external_id", "End Date": "occurred_at"},
                drop=frozenset(
                    {
                        "Collector ID",
                        "Start Date",
                        "IP Address",
                        "Email Address",
                        "First Name",
                        "Last Name",
                        "Custom Data 1",
                    }
                ),
                dates={"End Date": "%m/%d/%Y %I:%M:%S %p"},
            ),
        ),
        Format(
            "formbricks",
            gettext_lazy("Formbricks CSV"),
            1,
            Known(
                targets={"Response ID": "external_id", "Timestamp": "occurred_at"},
                drop=frozenset(
                    {
                        "No.",
                        "Finished",
                        "Survey ID",
                        "Formbricks ID (internal)",
                        "User ID",
                        "Notes",
                        "Tags",
                        "url",
                        "source",
                        "action",
                        "country",
                        "userAgent - os",
                        "userAgent - device",
                        "userAgent - browser",
                        "Verified Email",
                        "Quotas",
                    }
                ),
                dates={"Timestamp": "%Y-%m-%d %H:%M:%S"},
            ),
        ),
        Format("generic", gettext_lazy("generic CSV/XLSX (one header row)"), 1, Known()),
    )
}

_LEGACY_V = re.compile(r"^V\d+$")
_SM_PLAIN = {"Response", "Open-Ended Response", ""}


@dataclass
class SourceTable:
    """A file's table after its tool's header rows: what the importer and suggester read."""

    format: Format
    table: Table
    texts: dict[str, str]  # column -> the question text its tool wrote ("" when none)


def detect(header: list[str], rows: list[list]) -> Format:
    """The tool that wrote a table, from its first rows."""
    names = {cell_text(c) for c in header}
    second = [cell_text(c) for c in rows[0]] if rows else []
    third = [cell_text(c) for c in rows[1]] if len(rows) > 1 else []
    if any(c.startswith('{"ImportId"') for c in third):
        return FORMATS["qualtrics"]
    if ("ResponseId" in names or "ResponseID" in names) and any(
        c.startswith('{"ImportId"') or c.startswith("{'ImportId'") for c in second
    ):
        # Edited by hand: the question-text row deleted, the ImportId row kept.
        return FORMATS["qualtrics"]
    v_columns = [c for c in names if _LEGACY_V.match(c)]
    if len(v_columns) >= 3 and "V1" in names and "ResponseID" in second:
        return FORMATS["qualtrics-legacy"]
    if {"Respondent ID", "Collector ID"} <= names:
        return FORMATS["surveymonkey"]
    if (
        "Formbricks ID (internal)" in names
        or {
            "Response ID",
            "Timestamp",
            "Finished",
            "Survey ID",
        }
        <= names
    ):
        return FORMATS["formbricks"]
    if {"id", "submitdate"} <= names or {"Response ID", "Date submitted"} <= names:
        return FORMATS["limesurvey"]
    return FORMATS["generic"]


def normalise(raw: Table) -> SourceTable:
    """The raw table (row 1 as header) as its tool meant it: one header row of names."""
    fmt = detect(raw.columns, raw.rows)
    header = [cell_text(c) for c in raw.columns]
    texts = dict.fromkeys(header, "")
    if fmt.key == "qualtrics":
        first = raw.rows[0] if raw.rows else []
        if _is_import_id_row(first):  # the question-text row was deleted by hand
            skip, texts_row = 1, []
        else:
            skip, texts_row = 2, [cell_text(c) for c in first]
        texts = {c: (texts_row[i] if i < len(texts_row) else "") for i, c in enumerate(header)}
        table = Table(raw.name, header, raw.rows[skip:], raw.first_row_number + skip)
    elif fmt.key == "qualtrics-legacy":
        second = [cell_text(c) for c in raw.rows[0]]
        second += [""] * (len(header) - len(second))
        names = [second[i] if _LEGACY_V.match(c) and second[i] else c for i, c in enumerate(header)]
        texts = {n: second[i] for i, n in enumerate(names)}
        table = Table(raw.name, names, raw.rows[1:], raw.first_row_number + 1)
    elif fmt.key == "surveymonkey":
        sub = [cell_text(c) for c in raw.rows[0]] if raw.rows else []
        sub += [""] * (len(header) - len(sub))
        names, question = [], ""
        for i, cell in enumerate(header):
            question = cell or question  # a matrix names its question over its first column
            if sub[i] in _SM_PLAIN:
                names.append(question)
            else:
                names.append(f"{question} - {sub[i]}")
        texts = {n: n for n in names}
        table = Table(raw.name, names, raw.rows[1:], raw.first_row_number + 1)
    else:
        table = raw
        texts = {c: c for c in header}
    table.columns = [cell_text(c) for c in table.columns]
    name_columns(table)
    return SourceTable(fmt, table, {c: texts.get(c, "") for c in table.columns})


def _is_import_id_row(row: list) -> bool:
    return any(cell_text(c).startswith(('{"ImportId"', "{'ImportId'")) for c in row)
