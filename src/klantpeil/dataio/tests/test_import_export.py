"""Imports of real-world office files: all or nothing, every problem named; safe exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from klantpeil.collection.ingest import ingest_measurements
from klantpeil.collection.models import Measurement
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.dataio.exports import defuse, export_rows, write_csv, write_xlsx
from klantpeil.dataio.imports import Mapping, import_measurements

FILES = Path(__file__).parent / "files"
MAPPING = Mapping.from_json((FILES / "mapping.json").read_text(encoding="utf-8"))


@pytest.fixture
def org(make_org):
    org = make_org("alpha")
    with tenant(org):
        yield org


def _import(name: str, **kwargs):
    return import_measurements(
        data=(FILES / name).read_bytes(),
        name=name,
        instrument="customer-survey",
        mapping=kwargs.pop("mapping", MAPPING),
        **kwargs,
    )


def _problems(report):
    return [(p.row, p.column, p.value, p.reason) for p in report.problems]


@pytest.mark.parametrize("name", ["good_semicolon_cp1252.csv", "good_comma_utf8_bom.csv"])
def test_dutch_office_files_import_completely(org, name):
    report = _import(name)
    assert report.ok, _problems(report)
    assert (report.rows, report.created) == (3, 3)
    stored = {m.external_id: m for m in Measurement.objects.select_related("channel", "unit")}
    assert {k: m.channel.kind for k, m in stored.items()} == {
        "R-1": "phone",
        "R-2": "email",
        "R-3": "counter",
    }
    assert stored["R-2"].unit.code == "front"  # matched by the unit's name through the mapping
    first = stored["R-1"]
    assert first.occurred_at.isoformat() == "2026-09-14T08:30:00+00:00"  # 10:30 in Amsterdam
    comments = {a.text for a in first.answers.all() if a.text}
    assert "Prima geholpen door André" in comments


def test_xlsx_with_typed_cells_imports(org):
    from datetime import datetime

    wb = Workbook()
    sheet = wb.active
    answers = {**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 8.0, "solved_first_contact": "ja"}
    # Typed cells as Excel stores them: a real date, a float grade, text for yes.
    sheet.append(["occurred_at", "channel", *answers])
    sheet.append([datetime(2026, 9, 14, 10, 30), "email", *answers.values()])
    buffer = io.BytesIO()
    wb.save(buffer)
    report = import_measurements(
        data=buffer.getvalue(), name="export.xlsx", instrument="customer-survey"
    )
    assert report.ok, _problems(report)
    assert report.created == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad_unknown_column.csv", [(1, "Leeftijd", "", "unknown column")]),
        ("bad_wrong_type.csv", [(2, "Cijfer", "acht", "enter a number")]),
        ("bad_out_of_range.csv", [(3, "Cijfer", "11", "must be between 1 and 10")]),
        (
            "bad_unknown_channel_and_unit.csv",
            [
                (2, "Kanaal", "fax", "unknown channel"),
                (3, "Afdeling", "Kelder", "unknown unit code"),
            ],
        ),
        ("bad_duplicate_external_id.csv", [(3, "Id", "R-1", "repeats item 0")]),
        (
            "bad_date.csv",
            [
                (2, "Datum", "31-02-2026 10:30", "not a date"),
                (4, "Datum", "gisteren", "not a date"),
            ],
        ),
        ("bad_missing_required.csv", [(2, "Opgelost", "", "is required")]),
        ("bad_not_text.csv", [(0, "", "", "not UTF-8 or Windows-1252 text")]),
    ],
)
def test_each_failure_class_names_row_column_value_and_reason_and_writes_nothing(
    org, name, expected
):
    report = _import(name)
    got = [(p.row, p.column, p.value, p.reason) for p in report.problems]
    assert len(got) == len(expected), got
    for (row, column, value, reason), problem in zip(expected, got, strict=True):
        assert problem[:3] == (row, column, value), problem
        assert problem[3].startswith(reason), problem
    assert Measurement.objects.count() == 0


def test_a_file_repeating_stored_ids_is_skipped_with_a_warning(org):
    assert _import("good_semicolon_cp1252.csv").ok
    again = _import("good_comma_utf8_bom.csv")
    assert again.ok and (again.created, again.skipped) == (0, 3)
    assert [(w.column, w.reason) for w in again.warnings] == [
        (
            "Id",
            "3 row(s) were imported before (their response id is stored) and are "
            "skipped: rows 2, 3, 4",
        ),
    ]
    assert Measurement.objects.count() == 3
    strict = _import("good_comma_utf8_bom.csv", strict=True)
    assert [p.reason[:25] for p in strict.problems] == ["(strict) 3 row(s) were im"]


def test_a_dry_run_checks_everything_and_writes_nothing(org):
    report = _import("good_semicolon_cp1252.csv", dry_run=True)
    assert report.ok and report.rows == 3
    assert Measurement.objects.count() == 0


def test_problem_descriptions_say_file_row_column_and_value(org):
    problem = _import("bad_out_of_range.csv").problems[0]
    assert problem.describe("bad_out_of_range.csv") == (
        "bad_out_of_range.csv, row 3, column 'Cijfer': must be between 1 and 10 (value '11')"
    )


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+31 6 1234", "'+31 6 1234"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Prima", "Prima"),
    ],
)
def test_spreadsheet_formulas_are_defused(text, safe):
    assert defuse(text) == safe


def test_exports_are_complete_and_safe_in_csv_and_xlsx(org):
    ingest_measurements(
        items=[
            {
                "instrument": "customer-survey",
                "occurred_at": __import__("datetime").datetime(
                    2026, 9, 14, 8, 30, tzinfo=__import__("datetime").UTC
                ),
                "channel": "email",
                "external_id": "=cmd|' /C calc'!A0",
                "answers": {
                    **CUSTOMER_SURVEY_ANSWERS,
                    "overall_grade": 7,
                    "comment": '=HYPERLINK("http://evil")',
                },
            }
        ],
        source="api",
    )
    header, rows = export_rows(MeasurementFilter(period="2026-09"), "customer-survey")
    data = write_csv(header, rows)
    assert data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    record = dict(zip(table[0], table[1], strict=True))
    assert record["occurred_at"] == "14-09-2026 10:30"
    assert record["comment"] == '\'=HYPERLINK("http://evil")'
    assert record["external_id"].startswith("'=")
    assert record["overall_grade"] == "7" and record["solved_first_contact"] == "1"
    header, rows = export_rows(MeasurementFilter(), "customer-survey")
    book = load_workbook(io.BytesIO(write_xlsx(header, rows)))
    cells = {c.value: book.active.cell(2, c.column) for c in book.active[1]}
    assert cells["comment"].data_type == "s" and cells["comment"].value.startswith("'=")
    assert cells["overall_grade"].value == 7
