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
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from klantpeil.dataio.limits import UPLOAD_LIMITS, Limits, megabytes

DELIMITERS = ";,\t|"
SNIFF_CHARACTERS = 4_000
# The csv module refuses a field over 128 KB with a bare csv.Error that names no
# column; our own check (Limits.max_cell_chars, far below this) names row and
# column, so the module's own limit only has to stay out of its way. Only ever raised.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


def _(text: str) -> str:
    """Translated when Django runs; as written when a command reads a file without a database."""
    return gettext(text) if settings.configured else text


class FileProblem(ValueError):
    """The file cannot be read; ``row`` (spreadsheet row, 0 for the whole file) and
    ``column`` say where when a single place is to blame, ``reason`` what is wrong."""

    def __init__(
        self, message: str, *, row: int = 0, column: str = "", reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.row, self.column, self.reason = row, column, reason or message

    @classmethod
    def at(cls, name: str, reason: str, *, row: int = 0, column: str = "") -> FileProblem:
        """ "name, row 7, column 'comment': reason", with the parts kept apart too."""
        where = name
        if row:
            where += ", " + _("row %(row)s") % {"row": row}
        if column:
            where += ", " + _("column %(column)s") % {"column": repr(column)}
        return cls(f"{where}: {reason}", row=row, column=column, reason=reason)


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


def check_size(size: int, name: str, limits: Limits = UPLOAD_LIMITS) -> None:
    """Refuse a file larger than the limit before a byte of it is parsed."""
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise FileProblem(
            _("%(name)s: the file is %(size)s, more than the %(limit)s an upload may be")
            % {"name": name, "size": megabytes(size), "limit": megabytes(limits.max_bytes)}
        )


class _Rows:
    """Collects a file's rows as they stream in and holds them to the limits: too many
    rows, columns or characters in a cell stop the reading at once, naming the place.
    Empty rows are kept back until a row with content follows, so trailing empty rows
    (Excel leaves them behind) are dropped without being stored."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name, self.limits = name, limits
        self.rows: list[list[Any]] = []
        self.pending: list[Sequence[Any]] = []  # empty rows, kept as written
        self.empty_pending = 0  # all empty rows since the last row with content

    def add(self, row: Sequence[Any]) -> None:
        number = len(self.rows) + self.empty_pending + 1  # the spreadsheet row number
        if not any(cell not in (None, "") and str(cell).strip() for cell in row):
            self.empty_pending += 1
            # Beyond the row limit they can only end in "too many rows": not kept.
            if self.limits.max_rows is None or len(self.pending) <= self.limits.max_rows:
                self.pending.append(row)
            return
        limits = self.limits
        if limits.max_rows is not None and number - 1 > limits.max_rows:
            raise FileProblem.at(
                self.name,
                _("more than %(limit)s data rows; split the file")
                % {"limit": f"{limits.max_rows:,}"},
                row=number,
            )
        if len(row) > limits.max_columns:
            # Trailing empty cells do not count: some tools pad every row.
            width = max(i for i, cell in enumerate(row, start=1) if cell not in (None, ""))
            if width > limits.max_columns:
                raise FileProblem.at(
                    self.name,
                    _("more than %(limit)s columns") % {"limit": f"{limits.max_columns:,}"},
                    row=number,
                )
            row = row[:width]
        for index, cell in enumerate(row):
            if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
                raise FileProblem.at(
                    self.name,
                    _("a cell of %(length)s characters, more than %(limit)s")
                    % {"length": f"{len(cell):,}", "limit": f"{limits.max_cell_chars:,}"},
                    row=number,
                    column=self.column_name(index),
                )
        if self.empty_pending:
            self.rows.extend(list(empty) for empty in self.pending)
            self.pending, self.empty_pending = [], 0
        self.rows.append(list(row))

    def column_name(self, index: int) -> str:
        header = self.rows[0] if self.rows else []
        if index < len(header) and header[index] not in (None, ""):
            return str(header[index]).strip()
        return f"column {index + 1}"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as Windows-1252 (é, ë, € in Dutch names).
        return data.decode("cp1252", errors="strict")


def _read_csv(data: bytes, name: str, limits: Limits) -> Table:
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _("%(name)s: not UTF-8 or Windows-1252 text (%(reason)s)")
            % {"name": name, "reason": exc.reason}
        ) from None
    # The sniffer's quote-guessing is quadratic in its sample: 20,000 characters of ',"'
    # kept a server thread busy for half a minute (found by fuzzing). Whole lines of
    # the first 4,000 characters are enough to see the delimiter.
    sample = text[:SNIFF_CHARACTERS]
    if len(text) > SNIFF_CHARACTERS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    collected = _Rows(name, limits)
    try:
        for row in reader:
            collected.add(row)
    except csv.Error as exc:  # a NUL byte, a field over the module's own limit
        raise FileProblem.at(
            name,
            _("not readable as CSV (%(reason)s)") % {"reason": exc},
            row=len(collected.rows) + collected.empty_pending + 1,
        ) from None
    rows = collected.rows
    if not rows:
        raise FileProblem(_("%(name)s: the file is empty") % {"name": name})
    header = [cell.strip() for cell in rows[0]]
    return Table(name, header, rows[1:])


def _unpacked_size(data: bytes, name: str, limits: Limits) -> None:
    """Refuse an XLSX whose parts unpack to more than the limit, from its zip directory
    alone: nothing is decompressed (the sizes it declares bound what Python's zip
    reader will ever return)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:  # zipfile raises many kinds for a damaged directory (found by fuzzing)
        raise FileProblem(
            _("%(name)s: not a readable XLSX file (%(error)s)")
            % {"name": name, "error": "BadZipFile"}
        ) from None
    if limits.max_unpacked_bytes is not None and unpacked > limits.max_unpacked_bytes:
        raise FileProblem(
            _("%(name)s: unpacks to %(size)s, more than the %(limit)s an XLSX file may hold")
            % {
                "name": name,
                "size": megabytes(unpacked),
                "limit": megabytes(limits.max_unpacked_bytes),
            }
        )


_ROW_START = re.compile(rb"<row[\s>]")
_VALUE = re.compile(rb"<v[\s>]|<is[\s>]")


def _count_rows_before_parsing(data: bytes, name: str, limits: Limits) -> None:
    """Count each sheet's rows that hold a value in its raw XML, a hundred times faster
    than parsing it, and refuse a sheet with too many before anything is parsed.

    A small file can unpack into 200,000 rows that take a minute to parse, and openpyxl
    reads every sheet without a declared size to its end as it opens the file. Only
    rows with a value count (Excel also writes formatted empty rows); a sheet written
    with prefixed tags is not counted here and meets the same limit while it is read.
    """
    if limits.max_rows is None:
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for part in archive.namelist():
            if not (part.startswith("xl/worksheets/") and part.endswith(".xml")):
                continue
            rows, carry = 0, b""
            with archive.open(part) as stream:
                while True:
                    chunk = stream.read(1 << 20)
                    pieces = _ROW_START.split(carry + chunk)
                    # The last row may go on in the next chunk: kept back, still a row.
                    carry = b"<row>" + pieces.pop() if chunk and len(pieces) > 1 else b""
                    rows += sum(1 for piece in pieces[1:] if _VALUE.search(piece))
                    if rows > limits.max_rows + 1:  # the header row is not a data row
                        raise FileProblem.at(
                            name,
                            _("a sheet (%(part)s) holds over %(limit)s data rows; split the file")
                            % {
                                "part": part.removeprefix("xl/worksheets/"),
                                "limit": f"{limits.max_rows:,}",
                            },
                        )
                    if not chunk:
                        break


def _read_xlsx(data: bytes, name: str, limits: Limits) -> Table:
    from openpyxl import load_workbook

    _unpacked_size(data, name, limits)
    # Before openpyxl opens it: opening alone reads a sheet without a <dimension> to its end.
    try:
        _count_rows_before_parsing(data, name, limits)
    except FileProblem:
        raise
    except Exception:
        # A damaged part, an unknown compression, a password, a bad offset (zipfile raises
        # many kinds, found by fuzzing): openpyxl could not read it either.
        raise FileProblem(
            _("%(name)s: not a readable XLSX file (%(error)s)")
            % {"name": name, "error": "BadZipFile"}
        ) from None
    collected = _Rows(name, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileProblem(
            _("%(name)s: not a readable XLSX file (%(error)s)")
            % {"name": name, "error": type(exc).__name__}
        ) from None
    try:
        if not workbook.worksheets:
            raise FileProblem(_("%(name)s: the first sheet is empty") % {"name": name})
        sheet = workbook.worksheets[0]
        # The sheet's declared size may claim 16,384 columns and a million rows, and
        # openpyxl would pad every row to it: read each row as wide as its cells instead.
        sheet.reset_dimensions()
        for row in sheet.iter_rows(values_only=True):
            collected.add(row)
    except FileProblem:
        raise
    except Exception as exc:  # broken XML inside, a cell openpyxl cannot convert
        raise FileProblem.at(
            name,
            _("not a readable XLSX file (%(error)s)") % {"error": type(exc).__name__},
            row=len(collected.rows) + collected.empty_pending + 1,
        ) from None
    finally:
        workbook.close()
    rows = collected.rows
    if not rows:
        raise FileProblem(_("%(name)s: the first sheet is empty") % {"name": name})
    # As wide as the widest row: a value under an empty header cell is still seen.
    width = max(len(row) for row in rows)
    header = ["" if cell is None else str(cell).strip() for cell in rows[0]]
    header += [""] * (width - len(header))
    return Table(name, header, rows[1:])


def read_raw_table(data: bytes, name: str, limits: Limits = UPLOAD_LIMITS) -> Table:
    """The file's first table as written: row 1 as the header, unnamed and repeated
    header cells kept (other tools' exports spread their header over several rows,
    see :mod:`klantpeil.dataio.formats`, which calls :func:`name_columns` after)."""
    check_size(len(data), name, limits)
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, name, limits)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(data, name, limits)
    raise FileProblem(_("%(name)s: use a .csv or .xlsx file") % {"name": name})


def read_table(data: bytes, name: str, limits: Limits = UPLOAD_LIMITS) -> Table:
    """Read a CSV or XLSX file's first table; the name decides which (and is used in messages).

    Held to ``limits`` while it is read (``FileProblem`` names the row and column).
    """
    return name_columns(read_raw_table(data, name, limits))


def name_columns(table: Table) -> Table:
    """Give unnamed columns a name and refuse a header that repeats one."""
    name = table.name
    # R and some exports leave the row-name column unnamed; give it a name to refer to.
    table.columns = [c or f"column {i}" for i, c in enumerate(table.columns, start=1)]
    duplicates = {c for c in table.columns if table.columns.count(c) > 1}
    if duplicates:
        raise FileProblem(
            _("%(name)s: the header repeats %(columns)s")
            % {"name": name, "columns": ", ".join(sorted(duplicates))},
            row=1,
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
    try:
        moment.astimezone(UTC)  # stored in UTC: the year 1 at +14:00 has no UTC time
    except OverflowError:
        raise ValueError(_("not a date that can be stored")) from None
    return moment


def cell_text(value: Any) -> str:
    """A cell as text: 8.0 from XLSX becomes "8", None becomes "", NUL characters go."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # A NUL character (some exports pad with them) means nothing; PostgreSQL cannot store it.
    return str(value).replace("\x00", "").strip()
