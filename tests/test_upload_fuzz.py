"""Property-based fuzzing of every upload parser (Hypothesis): arbitrary bytes and
structured-but-wrong files give the parser's own error, never another exception.

The parsers and the error each one raises (which its page turns into a form error
or a 4xx, never a 500):

- results import, CSV and XLSX (``read_table``): ``FileProblem``;
- the column mapping (``Mapping.from_json``): ``FileProblem``;
- the whole import, through validation, on a dry run (``import_measurements``): a
  report listing problems, never an exception, and nothing written;
- social-media exports, CSV and X JSON (``CsvAdapter``, ``XJsonAdapter``):
  ``SocialImportError``; what they accept fits the database's columns;
- calibration (``agreement_from_table``): ``CalibrationError``.

Bounded and reproducible in the suite (derandomised, a few seconds each). The longer
hunt is ``python bench/fuzz_uploads.py`` (bench/README.md), which runs these same
properties with many more examples.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from datetime import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from klantpeil.analytics.calibration import CalibrationError, agreement_from_table
from klantpeil.dataio.imports import RESERVED, Mapping
from klantpeil.dataio.reading import FileProblem, Table, read_table
from klantpeil.dataio.tests import hostile
from klantpeil.textanalysis.social_import import (
    MAX_AUTHOR,
    MAX_ID,
    MAX_PLATFORM,
    CsvAdapter,
    SocialImportError,
    XJsonAdapter,
)

# Examples per property in the suite; the bench raises it (KLANTPEIL_UPLOAD_FUZZ=2000).
EXAMPLES = int(os.environ.get("KLANTPEIL_UPLOAD_FUZZ", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The import's organisation is the same for every example: a dry run writes nothing.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# Cells as hostile as files get: any characters (NUL and control characters too),
# delimiters, quotes and line breaks, impossible dates, huge and non-finite numbers.
CELL = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=';,"\t\r\n\x00 ab1', max_size=12),
    st.sampled_from(["", "31-02-2026", "0001-01-01T00:00+14:00", "9999-12-31 23:59", "1e400"]),
    st.sampled_from(["nan", "-inf", "ja", "nee", "8,5", "10", "0", "-1", "9" * 60]),
)
KNOWN_COLUMNS = [*RESERVED, "overall_grade", "nps", "comment", "solved_first_contact", "Datum"]
HEADER = st.lists(
    st.one_of(st.sampled_from(KNOWN_COLUMNS), st.text(max_size=8)), min_size=1, max_size=6
)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=16,
)


@st.composite
def csv_files(draw) -> bytes:
    """A table as some office tool might write it, then perhaps damaged."""
    header = draw(HEADER)
    rows = draw(st.lists(st.lists(CELL, max_size=len(header) + 2), max_size=8))
    delimiter = draw(st.sampled_from(";,\t|"))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([header, *rows])
    text = buffer.getvalue()
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if draw(st.booleans()):  # a byte or two that belong to no encoding
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data


@st.composite
def xlsx_files(draw) -> bytes:
    """A real XLSX (raw parts, so control characters can make its XML invalid), perhaps
    with a few bytes of the zip overwritten."""
    header = draw(HEADER)
    value = st.one_of(CELL, st.integers(-(10**20), 10**20), st.floats())
    rows = draw(st.lists(st.lists(value, max_size=len(header) + 2), max_size=6))
    dimension = draw(st.sampled_from([None, "A1:XFD1048576", "A1:B2", "ZZZ"]))
    data = hostile.xlsx([header, *rows], dimension=dimension)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at + 8 :]
    return data


def _check_table(table: Table) -> None:
    # (No columns at all is a table too: the import then names the missing occurred_at.)
    assert len(set(table.columns)) == len(table.columns)
    for _number, cells in table.numbered():
        assert set(cells) == set(table.columns)


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), csv_files()))
def test_csv_reading_gives_a_table_or_a_file_problem(data):
    try:
        _check_table(read_table(data, "upload.csv"))
    except FileProblem as exc:
        assert str(exc).startswith("upload.csv")


@FUZZ
@given(data=st.one_of(st.binary(max_size=400), xlsx_files()))
def test_xlsx_reading_gives_a_table_or_a_file_problem(data):
    try:
        _check_table(read_table(data, "upload.xlsx"))
    except FileProblem as exc:
        assert str(exc).startswith("upload.xlsx")


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=60),
        JSON.map(json.dumps),
        st.fixed_dictionaries({"columns": JSON, "values": JSON}).map(json.dumps),
        st.fixed_dictionaries(
            {
                "columns": st.dictionaries(st.text(max_size=6), JSON, max_size=3),
                "values": st.dictionaries(
                    st.sampled_from(["unit", "channel"]),
                    st.dictionaries(st.text(max_size=6), JSON, max_size=3),
                    max_size=2,
                ),
            }
        ).map(json.dumps),
    )
)
@example(text=hostile.HUGE_NUMBER_MAPPING.decode())
def test_a_mapping_is_read_or_refused_with_a_file_problem(text):
    try:
        mapping = Mapping.from_json(text, "mapping.json")
    except FileProblem as exc:
        assert str(exc).startswith("mapping.json")
    else:  # everything the import will look up is text
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.columns.items())
        for translation in mapping.values.values():
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in translation.items())


def _storable(record) -> None:
    """What an adapter accepts fits SocialPost's columns on every database."""
    assert record.external_id and len(record.external_id) <= MAX_ID
    assert len(record.parent_external_id or "") <= MAX_ID
    assert len(record.author) <= MAX_AUTHOR and len(record.platform) <= MAX_PLATFORM
    assert isinstance(record.posted_at, datetime) and record.posted_at.tzinfo is not None
    for text in (record.external_id, record.author, record.text, record.platform):
        assert "\x00" not in text
        text.encode("utf-8")  # no unpaired surrogates


SOCIAL_VALUE = st.one_of(
    JSON,
    st.sampled_from(
        [
            "2026-03-02T08:00:00Z",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "x" * 200,
        ]
    ),
)


@st.composite
def x_documents(draw) -> bytes:
    item = st.dictionaries(
        st.sampled_from(["id", "text", "created_at", "author_id", "referenced_tweets", "lang"]),
        SOCIAL_VALUE,
        max_size=6,
    )
    document = {"data": draw(st.lists(item | JSON, max_size=4))}
    if draw(st.booleans()):
        document["includes"] = draw(
            st.fixed_dictionaries({"users": st.lists(JSON, max_size=3)}) | JSON
        )
    return json.dumps(document).encode()


@st.composite
def social_csv_files(draw) -> bytes:
    names = ["id", "in reply to", "author", "created at", "text", "platform", "own", "x"]
    header = draw(st.lists(st.sampled_from(names), min_size=1, max_size=7))
    rows = draw(
        st.lists(
            st.lists(st.one_of(CELL, SOCIAL_VALUE.map(str)), max_size=len(header) + 1),
            max_size=5,
        )
    )
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=draw(st.sampled_from(";,"))).writerows([header, *rows])
    return buffer.getvalue().encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), x_documents()))
@example(data=hostile.HOSTILE_SOCIAL["number of 5,000 digits"])
def test_an_x_json_export_gives_posts_or_a_social_import_error(data):
    try:
        records = XJsonAdapter().parse(data, own_handles=["gemeente"])
    except SocialImportError:
        return
    for record in records:
        _storable(record)


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), social_csv_files()))
def test_a_social_csv_export_gives_posts_or_a_social_import_error(data):
    try:
        records = CsvAdapter().parse(data, own_handles=["gemeente"])
    except SocialImportError:
        return
    for record in records:
        _storable(record)


@st.composite
def calibration_tables(draw) -> tuple[Table, dict[str, str]]:
    items = draw(
        st.lists(
            st.sampled_from(["connected", "exp_tone", "seconds_to_answer", "x"]),
            min_size=0,
            max_size=3,
            unique=True,
        )
    )
    columns = draw(st.sampled_from([["contact", "rater"], ["contact"], ["rater", "contact"]]))
    columns = columns + items
    score = st.one_of(CELL, st.integers(-5, 12).map(str), st.sampled_from(["1", "2", "ja"]))
    rows = draw(
        st.lists(
            st.lists(
                st.sampled_from(["c1", "c2", "c3", ""]) | score,
                min_size=len(columns),
                max_size=len(columns),
            ),
            max_size=8,
        )
    )
    levels = draw(
        st.dictionaries(
            st.sampled_from([*items, "missing"]),
            st.sampled_from(["nominal", "ordinal", "interval"]),
            max_size=3,
        )
    )
    return Table("scores.csv", columns, rows), levels


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(case=calibration_tables())
def test_calibration_gives_agreement_or_a_calibration_error(case):
    table, levels = case
    try:
        result = agreement_from_table(table, "contact", "rater", levels)
    except CalibrationError as exc:
        assert str(exc).startswith("scores.csv")
    else:
        assert result["statistic"] == "krippendorff_alpha"


@settings(FUZZ, max_examples=max(10, EXAMPLES // 2))
@given(data=st.one_of(csv_files(), st.binary(max_size=200)))
def test_calibration_upload_bytes_give_a_file_or_calibration_error(data):
    """The calibration page's whole path: read the upload, then compare the evaluators."""
    try:
        table = read_table(data, "scores.csv")
        agreement_from_table(table, "contact", "rater", {"overall_grade": "ordinal"})
    except (FileProblem, CalibrationError):
        pass


# The import as a whole, through validation, on a database (a dry run writes nothing).
@pytest.fixture
def alpha(make_org):
    from klantpeil.core.tenancy import tenant

    org = make_org("alpha")
    with tenant(org):
        yield org


@st.composite
def import_files(draw) -> tuple[str, bytes]:
    header = draw(
        st.lists(
            st.sampled_from([*KNOWN_COLUMNS, "ces", "waiting_time"]),
            min_size=1,
            max_size=7,
            unique=True,
        )
    )
    value = st.one_of(CELL, st.sampled_from(["14-09-2026 10:30", "phone", "front", "8"]))
    rows = draw(st.lists(st.lists(value, min_size=len(header), max_size=len(header)), max_size=5))
    if draw(st.booleans()):
        return "import.xlsx", hostile.xlsx([header, *rows])
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([header, *rows])
    return "import.csv", buffer.getvalue().encode("utf-8")


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))
@given(
    upload=import_files(),
    mapping=st.one_of(
        st.none(),
        st.just(Mapping(columns={"Datum": "occurred_at"}, values={"unit": {"Balie": "front"}})),
    ),
)
def test_an_import_dry_run_reports_problems_and_never_raises(alpha, upload, mapping):
    from klantpeil.collection.models import Measurement
    from klantpeil.dataio.imports import import_measurements

    name, data = upload
    report = import_measurements(
        data=data, name=name, instrument="customer-survey", mapping=mapping, dry_run=True
    )
    for problem in report.problems:
        assert problem.reason and problem.row >= 0
        problem.describe(name)
    assert Measurement.objects.count() == 0


# The attacker's files, each refused by its parser with the place named.
def test_the_attackers_files_are_refused_by_their_parsers_naming_the_place():
    with pytest.raises(FileProblem) as long_cell:
        read_table(hostile.long_cell_csv(), "long.csv")
    assert (long_cell.value.row, long_cell.value.column) == (2, "comment")
    assert str(long_cell.value) == (
        "long.csv, row 2, column 'comment': a cell of 140,000 characters, more than 32,767"
    )
    started = time.monotonic()  # the delimiter sniffer is quadratic in its sample
    with pytest.raises(FileProblem, match="more than 1,000 columns"):
        read_table(b'a,"' + b',"' * 25_000, "quotes.csv")
    assert time.monotonic() - started < 5
    with pytest.raises(FileProblem, match="not UTF-8 or Windows-1252"):
        read_table(hostile.bad_bytes_csv(), "bytes.csv")
    with pytest.raises(FileProblem, match=r"sheet1\.xml\) holds over 50,000 data rows"):
        read_table(hostile.zip_bomb_xlsx(), "bomb.xlsx")
    for label, mapping in hostile.WRONG_TYPE_MAPPINGS.items():
        with pytest.raises(FileProblem, match=r"^mapping\.json: "):
            Mapping.from_json(json.dumps(mapping), "mapping.json")
            pytest.fail(f"{label} was accepted")
    with pytest.raises(FileProblem, match="Exceeds the limit"):
        Mapping.from_json(hostile.HUGE_NUMBER_MAPPING.decode(), "mapping.json")
    expected = {
        "missing id": "post 1, id: missing (got None)",
        "numeric date": "post 1 (id 1), created_at: 1772438400 is not a date and time",
        "text an object": "post 1 (id 1), text: not text (dict)",
        "year 1 at +14:00": "post 1 (id 1), created_at: '0001-01-01T00:00:00+14:00' is not a date",
        "id too long": "post 1 (id 9999999999999999999999999999999999999999), id: 500 characters, "
        "more than 120",
        "nested too deeply": "not JSON that can be read: nested too deeply",
        "number of 5,000 digits": "not JSON that can be read: Exceeds the limit (4300 digits)",
        "year 9999": "post 1 (id 1), created_at: '9999-12-31T23:30:00Z': a post from between "
        "1990 and 2100",
        "bad bytes csv": "not UTF-8 or Windows-1252 text (byte 0x81 at position 45)",
        "long cell csv": "line 2, column 'text': a cell of 140,000 characters, more than 32,767",
        "empty id csv": "line 2, id: empty (every post needs its own id)",
    }
    for label, data in hostile.HOSTILE_SOCIAL.items():
        adapter = CsvAdapter() if label.endswith("csv") else XJsonAdapter()
        if label == "integer author":  # a number where X sends text: read as that text
            [record] = adapter.parse(data, own_handles=[])
            assert record.author == "7"
            continue
        with pytest.raises(SocialImportError) as refused:
            adapter.parse(data, own_handles=[])
        assert str(refused.value).startswith(expected[label]), (label, str(refused.value))
