"""The files an attacker sent the upload pages (issue 21), made in memory.

Shared by the tests (through the real views) and ``bench/fuzz_uploads.py``. The
XLSX is written as raw zip parts, not through openpyxl: a 200,000-row sheet is
made in a fraction of a second that way.
"""

from __future__ import annotations

import io
import json
import zipfile

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(value: object) -> str:
    # No cell references: readers count cells and rows in order (and identical rows
    # compress a thousandfold, as the attacker's did).
    if isinstance(value, int | float):
        return f"<c><v>{value}</v></c>"
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def xlsx(rows: list[list[object]], *, repeat: int = 1, dimension: str | None = None) -> bytes:
    """A minimal XLSX whose first sheet holds ``rows``; the last row is repeated
    ``repeat`` times (how a small file unpacks into a huge sheet)."""
    parts = ["<row>" + "".join(_cell(v) for v in row) + "</row>" for row in rows]
    parts += parts[-1:] * (repeat - 1)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + "<sheetData>"
        + "".join(parts)
        + "</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def zip_bomb_xlsx(rows: int = 200_000) -> bytes:
    """The attacker's XLSX: about 86 KB that unpacks to some 22 MB of sheet XML."""
    header = ["occurred_at", "channel", "overall_grade", "comment"]
    return xlsx([header, ["14-09-2026 10:30", "phone", 8, "Prima geholpen"]], repeat=rows)


def sparse_sheet_xlsx() -> bytes:
    """A valid customer-survey row in a sheet that claims 16,384 columns and a million
    rows (openpyxl would pad every row to the claimed width)."""
    from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_FORM

    header = ["occurred_at", "channel", *CUSTOMER_SURVEY_FORM]
    row = ["14-09-2026 10:30", "email", *CUSTOMER_SURVEY_FORM.values()]
    return xlsx([header, row], dimension="A1:XFD1048576")


def long_cell_csv(characters: int = 140_000) -> bytes:
    """A CSV with one cell over the csv module's own 128 KB field limit."""
    return f"occurred_at;comment\n14-09-2026;{'x' * characters}\n".encode()


def bad_bytes_csv() -> bytes:
    """Bytes valid neither as UTF-8 nor as Windows-1252 (0x81 is unassigned in both)."""
    return b"occurred_at;comment\n14-09-2026;caf\x81\x8d\n"


# Mappings whose names or values have the wrong type.
WRONG_TYPE_MAPPINGS = {
    "number as key": {"columns": {"Datum": 1}},
    "list as key": {"columns": {"Datum": ["occurred_at"]}},
    "number as value": {"values": {"unit": {"Balie": 3}}},
    "object as value": {"values": {"channel": {"Tel": {"kind": "phone"}}}},
    "columns a list": {"columns": ["Datum"]},
    "values a string": {"values": "unit"},
    "a list": [1, 2, 3],
}
# A number longer than Python reads from text (4,300 digits) where a name belongs.
HUGE_NUMBER_MAPPING = b'{"columns": {"Datum": ' + b"9" * 5000 + b"}}"


def mapping_bytes(mapping: object) -> bytes:
    return json.dumps(mapping).encode()


# Social-media exports the attacker sent: a missing id, a numeric date, an integer author.
def _x(item: dict) -> bytes:
    return json.dumps({"data": [item]}).encode()


HOSTILE_SOCIAL = {
    "missing id": _x({"text": "hoi", "created_at": "2026-03-02T08:00:00Z"}),
    "numeric date": _x({"id": "1", "text": "hoi", "created_at": 1772438400}),
    "integer author": _x(
        {"id": "1", "text": "hoi", "created_at": "2026-03-02T08:00:00Z", "author_id": 7}
    ),
    "text an object": _x({"id": "1", "text": {"a": 1}, "created_at": "2026-03-02T08:00:00Z"}),
    "year 1 at +14:00": _x({"id": "1", "text": "hoi", "created_at": "0001-01-01T00:00:00+14:00"}),
    "id too long": _x({"id": "9" * 500, "text": "hoi", "created_at": "2026-03-02T08:00:00Z"}),
    "nested too deeply": b"[" * 100_000,
    "number of 5,000 digits": b'{"data": [{"id": ' + b"1" * 5000 + b"}]}",
    "year 9999": _x({"id": "1", "text": "hoi", "created_at": "9999-12-31T23:30:00Z"}),
    "bad bytes csv": b"id,created at,text\n1,2026-03-02T08:00:00Z,caf\x81\x8d\n",
    "long cell csv": b"id,created at,text\n1,2026-03-02T08:00:00Z," + b"x" * 140_000 + b"\n",
    "empty id csv": b"id,created at,text\n,2026-03-02T08:00:00Z,hoi\n",
}
