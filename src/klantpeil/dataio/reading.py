"""Reading tables from the files Dutch offices really have.

CSV with ``;`` or ``,`` or tabs, UTF-8 with or without BOM or Windows-1252,
and XLSX. Cells stay as the file gives them (strings for CSV; numbers, dates
and strings for XLSX); turning them into answers is the importer's job.
Only Django's gettext is used (when Django runs), so messages follow the reader's
language; commands that read a plain file without a database use it too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

DELIMITERS = ";,\t|"


def _(text: str) -> str:
    """Translated when Django runs; as written when a command reads a file without a database."""
    return gettext(text) if settings.configured else text


class FileProblem(ValueError):
    """The file as a whole cannot be read."""


@dataclass
class Table:
    name: str
    columns: list[str]
    rows: list[list[Any]]  # data rows, without the header
    first_row_number: int = 2  # the spreadsheet row number of rows[0]

    def numbered(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for offset, row in enumerate(self.rows):
            padded = list(row) + [None] * (len(self.columns) - len(row))
            yield self.first_row_number + offset, dict(zip(self.columns, padded, strict=False))


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as Windows-1252 (é, ë, € in Dutch names).
        return data.decode("cp1252", errors="strict")


def _read_csv(data: bytes, name: str) -> Table:
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _("%(name)s: not UTF-8 or Windows-1252 text (%(reason)s)")
            % {"name": name, "reason": exc.reason}
        ) from None
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [row for row in reader]
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise FileProblem(_("%(name)s: the file is empty") % {"name": name})
    header = [cell.strip() for cell in rows[0]]
    return Table(name, header, rows[1:])


def _read_xlsx(data: bytes, name: str) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileProblem(
            _("%(name)s: not a readable XLSX file (%(error)s)")
            % {"name": name, "error": type(exc).__name__}
        ) from None
    sheet = workbook.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    while rows and all(cell in (None, "") for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise FileProblem(_("%(name)s: the first sheet is empty") % {"name": name})
    header = ["" if cell is None else str(cell).strip() for cell in rows[0]]
    return Table(name, header, rows[1:])


def read_table(data: bytes, name: str) -> Table:
    """Read a CSV or XLSX file's first table; the name decides which (and is used in messages)."""
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(data, name)
    elif suffix in (".csv", ".txt", ".tsv"):
        table = _read_csv(data, name)
    else:
        raise FileProblem(_("%(name)s: use a .csv or .xlsx file") % {"name": name})
    # R and some exports leave the row-name column unnamed; give it a name to refer to.
    table.columns = [c or f"column {i}" for i, c in enumerate(table.columns, start=1)]
    duplicates = {c for c in table.columns if table.columns.count(c) > 1}
    if duplicates:
        raise FileProblem(
            _("%(name)s: the header repeats %(columns)s")
            % {"name": name, "columns": ", ".join(sorted(duplicates))}
        )
    return table


DATE_FORMATS = (
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


def parse_moment(value: Any, zone: Any) -> datetime:
    """A cell as an aware datetime; dates without a zone are local time in ``zone``.

    Accepts dd-mm-yyyy (the Dutch way), yyyy-mm-dd, both with an optional time,
    ISO 8601 with a zone, and the date cells of XLSX.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        moment = None
        for fmt in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(_("not a date (use dd-mm-yyyy or dd-mm-yyyy hh:mm)")) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def cell_text(value: Any) -> str:
    """A cell as text: 8.0 from XLSX becomes "8", None becomes "", NUL characters go."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # A NUL character (some exports pad with them) means nothing; PostgreSQL cannot store it.
    return str(value).replace("\x00", "").strip()
