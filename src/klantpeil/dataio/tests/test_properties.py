"""Property tests of reading office files and importing them (hypothesis).

What a Dutch office writes comes back as written: any table in ``;``, ``,`` or tab
CSV, in UTF-8 (with or without BOM) or Windows-1252; numbers with a decimal comma;
dates as dd-mm-yyyy with or without a time. And however a file is built, one bad
row means nothing at all is written, and that row is the one named.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from klantpeil.collection.models import Measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_FORM
from klantpeil.core.tenancy import tenant
from klantpeil.dataio.exports import write_csv
from klantpeil.dataio.imports import Mapping, import_measurements
from klantpeil.dataio.reading import cell_text, parse_moment, read_table
from klantpeil.instruments.answers import to_stored

ZONE = ZoneInfo("Europe/Amsterdam")
# Letters of Dutch names and comments, digits and the punctuation offices type.
DUTCH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéëïöüèáàçÉ0123456789 .-'/€()!?"
CELL = st.text(alphabet=DUTCH + ';,"\t', max_size=25)
NAME = st.text(alphabet=DUTCH.replace(" ", "_"), min_size=1, max_size=12).map(str.strip)
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")


@st.composite
def tables(draw) -> tuple[list[str], list[list[str]]]:
    header = draw(st.lists(NAME.filter(bool), min_size=2, max_size=6, unique=True))
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)), max_size=12))
    # A row of empty cells at the end is what Excel leaves behind, and is dropped.
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return header, rows


@settings(max_examples=150, deadline=None)
@given(table=tables(), delimiter=st.sampled_from(";,\t"), encoding=st.sampled_from(ENCODINGS))
def test_any_table_reads_back_as_written_whatever_the_delimiter_and_encoding(
    table, delimiter, encoding
):
    header, rows = table
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    data = buffer.getvalue().encode(encoding)
    if encoding == "cp1252":
        # Windows-1252 bytes that also happen to be valid UTF-8 ("é" and two "€"
        # in a row) cannot be told apart: UTF-8 wins, as it must.
        try:
            data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
    read = read_table(data, "export.csv")
    assert read.columns == header
    assert read.rows == rows


@settings(max_examples=200, deadline=None)
@given(
    number=st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False).map(float)
)
@example(number=12345.678)  # six significant digits would have written 12345,7
@example(number=1234567.0)  # and this as 1,23457e+06
def test_numbers_written_the_dutch_way_read_back_exactly(number):
    class Question:
        key, type, choices, scale = "amount", "number", [], None

    data = write_csv(["amount"], iter([[number]]), dutch=True)
    written = read_table(data, "export.csv").rows[0][0]
    assert "." not in written  # a decimal comma, never a point
    assert to_stored(Question(), cell_text(written)).number == number


MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)
DUTCH_FORMATS = (
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


@settings(max_examples=200, deadline=None)
@given(moment=MOMENTS, fmt=st.sampled_from(DUTCH_FORMATS))
def test_dates_with_a_time_read_back_as_that_local_time(moment, fmt):
    text = moment.strftime(fmt)
    expected = moment if "%S" in fmt else moment.replace(second=0)
    assert parse_moment(text, ZONE) == expected.replace(tzinfo=ZONE)


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)))
def test_a_bare_date_is_local_midnight_in_every_way_it_is_written(day):
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZONE)
    for text in (day.strftime("%d-%m-%Y"), day.strftime("%d/%m/%Y"), day.isoformat()):
        assert parse_moment(text, ZONE) == midnight
    assert parse_moment(day, ZONE) == midnight  # an XLSX date cell


@settings(max_examples=100, deadline=None)
@given(moment=MOMENTS, offset=st.integers(min_value=-12 * 4, max_value=14 * 4))
def test_iso_8601_with_a_zone_keeps_its_zone(moment, offset):
    aware = moment.replace(tzinfo=UTC) + timedelta(minutes=15 * offset)
    zoned = aware.astimezone(timezone(timedelta(minutes=15 * offset)))
    assert parse_moment(zoned.isoformat(), ZONE) == aware


# Ways a row goes wrong: (column, value, start of the reason).
BAD_CELLS = [
    ("Cijfer", "11", "must be between 1 and 10"),
    ("Cijfer", "acht", "enter a number"),
    ("Cijfer", "7,5", "must be a whole number"),
    ("Datum", "31-02-2026", "not a date"),
    ("Datum", "gisteren", "not a date"),
    ("Kanaal", "fax", "unknown channel"),
    ("Opgelost", "misschien", "answer yes or no"),
    ("Aanbevelen", "-1", "must be between 0 and 10"),
]
COLUMNS = {
    "Datum": "occurred_at",
    "Kanaal": "channel",
    "Cijfer": "overall_grade",
    "Aanbevelen": "nps",
    "Opgelost": "solved_first_contact",
}


@st.composite
def files_with_one_bad_row(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    rows = []
    for i in range(n):
        day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
        rows.append(
            {
                "Datum": day.strftime("%d-%m-%Y") + draw(st.sampled_from(["", " 10:30"])),
                "Kanaal": draw(st.sampled_from(["Telefoon", "E-mail", "balie", "email"])),
                "Cijfer": str(draw(st.integers(1, 10))),
                "Aanbevelen": str(draw(st.integers(0, 10))),
                "Opgelost": draw(st.sampled_from(["ja", "nee", "1", "0", "Ja"])),
                "Id": f"R-{i}",
            }
        )
    bad_index = draw(st.integers(0, n - 1))
    column, value, reason = draw(st.sampled_from(BAD_CELLS))
    return rows, bad_index, column, value, reason


def _csv(rows: list[dict]) -> bytes:
    other = {k: v for k, v in CUSTOMER_SURVEY_FORM.items() if k not in COLUMNS.values()}
    other["ivr_menu"] = "6"  # asked after a phone call only; ignored for the others
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([*rows[0], *other])
    for row in rows:
        writer.writerow([*row.values(), *other.values()])
    return buffer.getvalue().encode("cp1252")


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=files_with_one_bad_row())
def test_one_bad_row_anywhere_means_nothing_is_written_and_that_row_is_named(make_org, case):
    from klantpeil.organisations.models import Organisation

    rows, bad_index, column, value, reason = case
    org = Organisation.objects.filter(slug="alpha").first() or make_org("alpha")
    mapping = Mapping(columns={**COLUMNS, "Id": "external_id"})
    with tenant(org), transaction.atomic():
        good = import_measurements(
            data=_csv(rows), name="upload.csv", instrument="customer-survey", mapping=mapping
        )
        assert good.ok and good.created == len(rows), good.problems
        transaction.set_rollback(True)  # the next example starts from an empty database
    rows[bad_index][column] = value
    with tenant(org):
        report = import_measurements(
            data=_csv(rows), name="upload.csv", instrument="customer-survey", mapping=mapping
        )
        assert not report.ok
        assert Measurement.objects.count() == 0
        [problem] = report.problems
        assert (problem.row, problem.column, problem.value) == (bad_index + 2, column, value)
        assert problem.reason.startswith(reason), problem.reason


@pytest.mark.django_db
def test_nul_characters_in_cells_never_reach_the_database(make_org):
    rows = [
        {
            "Datum": "14-09-2026 10:30",
            "Kanaal": "Telefoon",
            "Cijfer": "8\x00",
            "Aanbevelen": "9",
            "Opgelost": "ja",
            "Id": "R-\x001",
        }
    ]
    mapping = Mapping(columns={**COLUMNS, "Id": "external_id"})
    with tenant(make_org("alpha")):
        report = import_measurements(
            data=_csv(rows), name="upload.csv", instrument="customer-survey", mapping=mapping
        )
        assert report.ok, report.problems
        assert Measurement.objects.get().external_id == "R-1"
