"""Other tools' native exports, end to end: detect → suggest a mapping → dry run → import,
with the converted values a user depends on checked in the database."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from klantpeil.cli import main
from klantpeil.collection.models import Answer, Measurement
from klantpeil.core.tenancy import tenant
from klantpeil.dataio.formats import normalise
from klantpeil.dataio.imports import Mapping, import_measurements
from klantpeil.dataio.models import ImportBatch, ImportedMeasurement
from klantpeil.dataio.reading import FileProblem, read_raw_table
from klantpeil.dataio.suggest import questions_from_version, suggest_mapping
from klantpeil.instruments.selectors import latest_version

FILES = Path(__file__).parent / "files"
HISTORY = "customer-survey-history"
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def org(make_org):
    org = make_org("alpha")
    with tenant(org):
        yield org


def _suggest(name: str, data: bytes | None = None) -> dict:
    data = data if data is not None else (FILES / name).read_bytes()
    source = normalise(read_raw_table(data, name))
    return suggest_mapping(source, HISTORY, questions_from_version(latest_version(key=HISTORY)))


def _import(name: str, draft: dict, data: bytes | None = None, **kwargs):
    return import_measurements(
        data=data if data is not None else (FILES / name).read_bytes(),
        name=name,
        instrument=HISTORY,
        mapping=Mapping.from_json(json.dumps(draft)),
        **kwargs,
    )


def _answers(key: str) -> dict[str, float | str | None]:
    """{response id: the stored answer to ``key``} (None where the question was not answered)."""
    stored = {
        external_id: number if number is not None else text
        for external_id, number, text in Answer.objects.filter(question__key=key).values_list(
            "measurement__external_id", "number", "text"
        )
    }
    ids = Measurement.objects.values_list("external_id", flat=True)
    return {i: stored.get(i) for i in sorted(ids)}


def _column(measurement_field: str) -> dict[str, object]:
    return dict(Measurement.objects.values_list("external_id", measurement_field))


def _end_to_end(name: str, draft: dict, rows: int):
    dry = _import(name, draft, dry_run=True)
    assert dry.ok, [p.describe(name) for p in dry.problems]
    assert (dry.rows, Measurement.objects.count(), ImportBatch.objects.count()) == (rows, 0, 0)
    report = _import(name, draft)
    assert report.ok, [p.describe(name) for p in report.problems]
    assert (report.rows, report.created, Measurement.objects.count()) == (rows, rows, rows)
    assert ImportedMeasurement.objects.filter(batch_id=report.batch_id).count() == rows
    return report


def test_qualtrics_three_header_rows(org):
    draft = _suggest("qualtrics.csv")
    assert draft["format"] == "qualtrics"
    assert draft["columns"] == {
        "RecordedDate": "occurred_at",
        "ResponseId": "external_id",
        "UserLanguage": "language",
        "Q1": "overall_grade",
        "Q2": "nps",
        "Q3": "solved_first_contact",
        "Q4": "channel",
        "Q5": "comment",
    }
    assert draft["scales"] == {"Q1": "linear-1-5-to-1-10"}  # observed 2–5 onto a 1–10 grade
    assert draft["values"]["Q4"] == {"E-mail": "email", "Telefoon": "phone"}
    assert draft["dates"] == {"RecordedDate": "%Y-%m-%d %H:%M:%S"}
    assert {"StartDate", "IPAddress", "Status", "LocationLatitude"} <= set(draft["drop"])
    dry = _import("qualtrics.csv", draft, dry_run=True)
    plan = {p.column: p.describe() for p in dry.plan}
    assert plan["Q1"] == (
        "mapped to overall_grade, converted from scale 1–5 to 1–10 (linear-1-5-to-1-10)"
    )
    assert plan["IPAddress"] == "dropped"
    assert plan["RecordedDate"] == "mapped to occurred_at, dates read as %Y-%m-%d %H:%M:%S"
    report = _end_to_end("qualtrics.csv", draft, 5)
    ids = ["R_1a2B3c4D5e6F7g8", "R_2b3C4d5E6f7G8h9", "R_3c4D5e6F7g8H9i0"]
    ids += ["R_4d5E6f7G8h9I0j1", "R_5e6F7g8H9i0J1k2"]
    # 1–5 → 1 + (x − 1)·9/4, rounded half up: 5 → 10, 4 → 7.75 → 8, 2 → 3.25 → 3, 3 → 5.5 → 6
    assert list(_answers("overall_grade").values()) == [10, 8, 3, None, 6]
    assert list(_answers("nps").values()) == [9, 7, 3, 10, None]
    assert list(_answers("solved_first_contact").values()) == [1, 0, 0, 1, None]
    assert _answers("comment")[ids[2]] == "Lang gewacht, twee keer doorverbonden"
    kinds = dict(Measurement.objects.values_list("external_id", "channel__kind"))
    assert [kinds[i] for i in ids] == ["phone", "email", "phone", "email", "phone"]
    assert [_column("language")[i] for i in ids] == ["nl", "nl", "nl", "en", "nl"]
    assert _column("occurred_at")[ids[0]] == datetime(2025, 3, 3, 9, 14, 3, tzinfo=AMS)
    batch = ImportBatch.objects.get(pk=report.batch_id)
    assert (batch.file_format, batch.instrument_key, batch.measurements) == (
        "qualtrics",
        HISTORY,
        5,
    )
    assert batch.conversions == {
        "Q1": {
            "question": "overall_grade",
            "conversion": "linear-1-5-to-1-10",
            "source_scale": "1–5",
        }
    }
    assert ImportedMeasurement.objects.filter(converted=True).count() == 5


def test_qualtrics_xlsx_reads_like_its_csv(org):
    import csv

    rows = list(csv.reader(io.StringIO((FILES / "qualtrics.csv").read_text(encoding="utf-8"))))
    book = Workbook()
    sheet = book.active
    for number, row in enumerate(rows):
        # Qualtrics writes answers as numbers in XLSX; header rows stay text.
        sheet.append([int(c) if number >= 3 and c.isdigit() else (c or None) for c in row])
    out = io.BytesIO()
    book.save(out)
    draft = _suggest("qualtrics.xlsx", out.getvalue())
    assert draft["format"] == "qualtrics"
    assert draft["scales"] == {"Q1": "linear-1-5-to-1-10"}
    _import("qualtrics.xlsx", draft, out.getvalue())
    assert list(_answers("overall_grade").values()) == [10, 8, 3, None, 6]
    assert list(_answers("nps").values()) == [9, 7, 3, 10, None]


def test_qualtrics_header_rows_are_never_data(org):
    text = (FILES / "qualtrics.csv").read_text(encoding="utf-8")
    # The first answer row is spreadsheet row 4: rows 2 and 3 are the tool's header.
    bad = text.replace("NL,5,9,Ja", "NL,5,11,Ja").encode()
    draft = _suggest("qualtrics.csv")
    report = _import("qualtrics.csv", draft, bad)
    assert report.rows == 5
    assert [(p.row, p.column, p.value) for p in report.problems] == [(4, "Q2", "11")]
    assert report.problems[0].reason.startswith("must be between 0 and 10")
    assert Measurement.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_qualtrics_legacy_v_columns(org):
    draft = _suggest("qualtrics_legacy.csv")
    assert draft["format"] == "qualtrics-legacy"
    assert draft["columns"] == {
        "ResponseID": "external_id",
        "EndDate": "occurred_at",
        "Q1": "overall_grade",
        "Q2": "nps",
        "Q3": "ces",
    }
    assert draft["scales"] == {}
    _end_to_end("qualtrics_legacy.csv", draft, 3)
    assert list(_answers("overall_grade").values()) == [8, 6, 9]
    assert list(_answers("nps").values()) == [9, 5, 10]
    assert list(_answers("ces").values()) == [6, 3, 7]
    assert _column("occurred_at")["R_0fGhIjKlMnOpQrS"] == datetime(
        2016, 5, 10, 8, 3, 40, tzinfo=AMS
    )
    assert ImportBatch.objects.get().conversions == {}


def test_limesurvey_codes(org):
    draft = _suggest("limesurvey_codes.csv")
    assert draft["format"] == "limesurvey"
    assert draft["columns"]["id"] == "external_id"
    assert draft["columns"]["submitdate"] == "occurred_at"
    assert draft["values"]["bereik"] == {"AO02": "2", "AO03": "3", "AO05": "5"}
    assert draft["scales"] == {"bereik": "linear-1-5-to-1-10"}
    assert "fill in the channel" in draft["notes"]["kanaal"]
    # The person completing the draft says which channel each LimeSurvey code is.
    draft["values"]["kanaal"] = {"AO01": "phone", "AO02": "email", "AO03": "counter"}
    _end_to_end("limesurvey_codes.csv", draft, 4)
    assert _answers("overall_grade") == {"1": 8, "2": 6, "3": None, "4": 9}
    # AO05 → 5 → 10, AO02 → 2 → 3.25 → 3, AO03 → 3 → 5.5 → 6
    assert _answers("accessibility") == {"1": 10, "2": 3, "3": 6, "4": None}
    assert _answers("solved_first_contact") == {"1": 1, "2": 0, "3": 1, "4": None}
    assert dict(Measurement.objects.values_list("external_id", "channel__kind")) == {
        "1": "phone",
        "2": "email",
        "3": "phone",
        "4": "counter",
    }
    assert _column("language") == {"1": "nl", "2": "nl", "3": "en", "4": "nl"}


def test_limesurvey_texts_and_its_placeholder_date(org):
    draft = _suggest("limesurvey_texts.csv")
    assert draft["format"] == "limesurvey"
    assert draft["columns"]["Hoe makkelijk kon u ons bereiken?"] == "accessibility"
    assert "placeholder date" in draft["notes"]["Date submitted"]
    dry = _import("limesurvey_texts.csv", draft, dry_run=True)
    assert dry.ok
    assert [(w.column, w.reason[:40]) for w in dry.warnings] == [
        ("Date submitted", "3 row(s) have a placeholder date (1980-0")
    ]
    assert dry.warnings[0].reason.endswith("rows 2, 3, 4")
    strict = _import("limesurvey_texts.csv", draft, strict=True)
    assert not strict.ok and strict.problems[0].reason.startswith("(strict) 3 row(s)")
    assert Measurement.objects.count() == 0
    report = _import("limesurvey_texts.csv", draft)
    assert report.ok and report.created == 3 and len(report.warnings) == 1
    # Makkelijk → 4 → 7.75 → 8, Zeer moeilijk → 1 → 1, Zeer makkelijk → 5 → 10
    assert _answers("accessibility") == {"11": 8, "12": 1, "13": 10}
    assert _answers("solved_first_contact") == {"11": 1, "12": 0, "13": 1}


def test_surveymonkey_two_header_rows(org):
    draft = _suggest("surveymonkey.csv")
    assert draft["format"] == "surveymonkey"
    waiting = "Please rate the following: - The waiting time before you were helped"
    promise = "Please rate the following: - Doing what was promised"
    satisfied = "Overall how satisfied were you with the contact?"
    assert draft["columns"][waiting] == "waiting_time"
    assert draft["columns"][promise] == "reliability_promise"
    assert draft["values"][satisfied]["Very satisfied"] == "5"
    assert draft["dates"] == {"End Date": "%m/%d/%Y %I:%M:%S %p"}
    _end_to_end("surveymonkey.csv", draft, 3)
    ids = ["114200339001", "114200339002", "114200339003"]
    assert [_answers("nps")[i] for i in ids] == [10, 6, 8]
    assert [_answers("overall_grade")[i] for i in ids] == [10, 6, 8]
    assert [_answers("waiting_time")[i] for i in ids] == [10, 3, None]
    assert [_answers("reliability_promise")[i] for i in ids] == [8, 6, 10]
    assert _answers("comment")[ids[2]] == "Friendly, but slow"
    # US dates, read as the mapping says: 10/15/2025 01:33:18 PM
    assert _column("occurred_at")[ids[1]] == datetime(2025, 10, 15, 13, 33, 18, tzinfo=AMS)


def test_formbricks(org):
    draft = _suggest("formbricks.csv")
    assert draft["format"] == "formbricks"
    assert draft["scales"] == {
        "How would you rate the contact you had with us?": "linear-1-7-to-1-10"
    }
    _end_to_end("formbricks.csv", draft, 3)
    ids = ["clx1a2b3c0001", "clx1a2b3c0002", "clx1a2b3c0003"]
    # 1–7 → 1 + (x − 1)·9/6: 7 → 10, 4 → 5.5 → 6, 1 → 1
    assert [_answers("overall_grade")[i] for i in ids] == [10, 6, 1]
    assert [_answers("nps")[i] for i in ids] == [9, 6, None]
    assert [_answers("solved_first_contact")[i] for i in ids] == [1, 0, None]
    kinds = dict(Measurement.objects.values_list("external_id", "channel__kind"))
    assert [kinds[i] for i in ids] == ["phone", "email", "phone"]


def test_generic_file_suggestion(org):
    draft = _suggest("good_comma_utf8_bom.csv")
    assert draft["format"] == "generic"
    assert {"Datum": "occurred_at", "Cijfer": "overall_grade", "Aanbevelen": "nps"}.items() <= (
        draft["columns"].items()
    )


def _one_to_five(rows: int) -> bytes:
    lines = ["Datum;Id;Cijfer"]
    lines += [f"{1 + i % 28:02d}-02-2025;G-{i};{1 + i % 5}" for i in range(rows)]
    return "\n".join(lines).encode()


def test_a_one_to_five_column_taken_as_one_to_ten_warns(org):
    draft = {"columns": {"Datum": "occurred_at", "Id": "external_id", "Cijfer": "overall_grade"}}
    few = _import("grades.csv", draft, _one_to_five(29), dry_run=True)
    assert few.ok and few.warnings == []  # too few answers to tell
    report = _import("grades.csv", draft, _one_to_five(30), dry_run=True)
    assert [(w.column, w.reason) for w in report.warnings] == [
        (
            "Cijfer",
            "all 30 answers are 5 or less, but overall_grade is on a 1–10 scale: a 1–5 "
            'scale? Convert it in the mapping ("scales": {"Cijfer": "linear-1-5-to-1-10"})',
        )
    ]
    assert not _import("grades.csv", draft, _one_to_five(30), strict=True).ok
    assert Measurement.objects.count() == 0
    converted = _import(
        "grades.csv", draft | {"scales": {"Cijfer": "linear-1-5-to-1-10"}}, _one_to_five(30)
    )
    assert converted.ok and converted.warnings == []
    assert sorted(set(_answers("overall_grade").values())) == [1, 3, 6, 8, 10]


def test_a_value_outside_the_source_scale_writes_nothing(org):
    draft = _suggest("qualtrics.csv")
    bad = (FILES / "qualtrics.csv").read_text(encoding="utf-8").replace("EN,,10", "EN,6,10")
    report = _import("qualtrics.csv", draft, bad.encode())
    assert [(p.row, p.column, p.value, p.reason) for p in report.problems] == [
        (7, "Q1", "6", "outside the source scale 1–5 of linear-1-5-to-1-10")
    ]
    assert Measurement.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_a_second_import_of_the_same_responses_warns_and_skips(org):
    draft = _suggest("qualtrics.csv")
    assert _import("qualtrics.csv", draft).created == 5
    again = _import("qualtrics.csv", draft, dry_run=True)
    assert again.ok and again.skipped == 5
    assert again.warnings[0].reason.startswith("5 row(s) were imported before")
    assert not _import("qualtrics.csv", draft, strict=True).ok
    report = _import("qualtrics.csv", draft)
    assert (report.created, report.skipped, Measurement.objects.count()) == (0, 5, 5)


def test_the_mapping_can_drop_and_must_name_known_conversions(org):
    draft = _suggest("formbricks.csv")
    kept = dict(draft, drop=[*draft["drop"], "Anything else?"])
    del kept["columns"]["Anything else?"]
    assert _import("formbricks.csv", kept).ok
    assert set(_answers("comment").values()) == {None}
    with pytest.raises(FileProblem, match="unknown conversion"):
        Mapping.from_json(json.dumps({"columns": {}, "scales": {"Q1": "linear-2-9"}}))
    with pytest.raises(FileProblem, match='"drop" is a list'):
        Mapping.from_json(json.dumps({"columns": {}, "drop": "Q1"}))


def test_the_standard_survey_still_requires_its_questions(org):
    draft = _suggest("qualtrics.csv")
    report = import_measurements(
        data=(FILES / "qualtrics.csv").read_bytes(),
        name="qualtrics.csv",
        instrument="customer-survey",
        mapping=Mapping.from_json(json.dumps(draft)),
    )
    assert not report.ok
    assert (4, "", "is required") in {(p.row, p.value, p.reason) for p in report.problems}


def test_cli_suggests_then_dry_runs_then_imports(org, tmp_path, capsys):
    path = FILES / "formbricks.csv"
    assert main(["import", "--suggest-mapping", str(path)]) == 0
    out = capsys.readouterr()
    assert "detected Formbricks CSV" in out.err
    mapping = tmp_path / "mapping.json"
    mapping.write_text(out.out, encoding="utf-8")
    common = [str(path), "--org", "alpha", "--instrument", HISTORY, "--mapping", str(mapping)]
    assert main(["import", *common, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "formbricks.csv: detected Formbricks CSV" in out
    assert "converted from scale 1–7 to 1–10 (linear-1-7-to-1-10)" in out
    assert "would import 3 measurements" in out
    assert Measurement.objects.count() == 0
    assert main(["import", *common]) == 0
    assert "imported 3 measurements" in capsys.readouterr().out
    assert Measurement.objects.count() == 3


def _post(client, name: str, **fields):
    upload = io.BytesIO((FILES / name).read_bytes())
    upload.name = name
    return client.post("/app/alpha/import/", {"file": upload, **fields}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_import_page_suggests_checks_and_imports(make_org, make_member, client):
    org = make_org("alpha")
    client.force_login(make_member("m@alpha.example", org, "manager"))
    page = _post(client, "qualtrics.csv", instrument=HISTORY, action="suggest")
    assert page.status_code == 200
    text = page.content.decode()
    assert "qualtrics.csv: detected Qualtrics CSV/XLSX (three header rows)" in text
    draft = json.loads(page.context["form"].initial["mapping_text"])
    assert draft["scales"] == {"Q1": "linear-1-5-to-1-10"}
    dry = _post(
        client, "qualtrics.csv", instrument=HISTORY, mapping_text=json.dumps(draft), dry_run="on"
    )
    text = dry.content.decode()
    assert dry.status_code == 200 and "5 rows would be imported" in text
    assert "converted from scale 1–5 to 1–10 (linear-1-5-to-1-10)" in text
    assert Measurement.unscoped_all_tenants.count() == 0
    done = _post(client, "qualtrics.csv", instrument=HISTORY, mapping_text=json.dumps(draft))
    assert "5 measurements imported" in done.content.decode()
    again = _post(client, "qualtrics.csv", instrument=HISTORY, mapping_text=json.dumps(draft))
    assert "5 row(s) were imported before" in again.content.decode()
    nl = client.post(
        "/app/alpha/import/",
        {"file": io.BytesIO(b"x"), "instrument": HISTORY, "mapping_text": "{"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert nl.status_code == 200 and "geen geldige JSON" in nl.content.decode()


def test_the_overview_says_when_its_figures_hold_converted_answers(make_org, make_member, client):
    org = make_org("alpha")
    client.force_login(make_member("m@alpha.example", org, "manager"))
    page = client.get("/app/alpha/?period=2026-09", HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="converted-note"' not in page.content.decode()
    # The office file's grades, as if given on 1–5 (all are ≤ 5 after this), converted.
    text = (FILES / "good_semicolon_cp1252.csv").read_bytes().decode("cp1252")
    lines = text.splitlines()
    header = lines[0].split(";")
    grade = header.index("Cijfer")
    rows = [line.split(";") for line in lines[1:]]
    for row in rows:
        row[grade] = str(1 + int(row[grade]) % 5)
    data = "\n".join([lines[0], *(";".join(r) for r in rows)]).encode("cp1252")
    mapping = json.loads((FILES / "mapping.json").read_text(encoding="utf-8"))
    mapping["scales"] = {"Cijfer": "linear-1-5-to-1-10"}
    with tenant(org):
        report = import_measurements(
            data=data,
            name="office.csv",
            instrument="customer-survey",
            mapping=Mapping.from_json(json.dumps(mapping)),
        )
        assert report.ok, [p.describe("office.csv") for p in report.problems]
    page = client.get("/app/alpha/?period=2026-09", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="converted-note"' in page
    assert "converted from another scale: 1–5 → 1–10 (linear-1-5-to-1-10)" in page
    other = client.get("/app/alpha/?period=2026-06", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="converted-note"' not in other


def test_detection_from_the_header_alone():
    from klantpeil.dataio.formats import detect

    assert detect(
        ["ResponseId", "Q1"], [['{"ImportId":"_recordId"}', '{"ImportId":"QID1"}']]
    ).key == (
        "qualtrics"  # the question-text row deleted by hand: still Qualtrics
    )
    assert detect(["id", "submitdate", "lastpage", "G01Q01"], [["1", "", "1", "A1"]]).key == (
        "limesurvey"
    )
    assert detect(["Datum", "Cijfer"], [["01-01-2025", "8"]]).key == "generic"
    text = (FILES / "qualtrics.csv").read_text(encoding="utf-8").splitlines()
    edited = "\n".join([text[0], *text[2:]]).encode()  # without the question texts
    source = normalise(read_raw_table(edited, "edited.csv"))
    assert (source.format.key, len(source.table.rows), source.table.first_row_number) == (
        "qualtrics",
        5,
        3,
    )


def test_an_incomplete_limesurvey_response_is_named_by_row(org):
    draft = _suggest("limesurvey_codes.csv")
    draft["values"]["kanaal"] = {"AO01": "phone", "AO02": "email", "AO03": "counter"}
    data = (
        (FILES / "limesurvey_codes.csv")
        .read_bytes()
        .replace(b'"3","2024-11-06 11:30:45"', b'"3",""')
    )
    report = _import("limesurvey_codes.csv", draft, data)
    assert [(p.row, p.column, p.reason) for p in report.problems] == [
        (4, "submitdate", "needs a date and time with time zone")
    ]
    assert Measurement.objects.count() == 0
