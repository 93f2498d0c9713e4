"""The attacker's files (issue 21) through the real pages, logged in: the import page,
the social-media page and calibration answer with a form error naming the file and the
place, never a server error, write nothing, and the zip-bomb XLSX is refused quickly."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from klantpeil.collection.models import Measurement
from klantpeil.core.tenancy import tenant
from klantpeil.dataio.tests import hostile
from klantpeil.textanalysis.models import SocialPost

GOOD_CSV = b"occurred_at;channel;overall_grade\n14-09-2026 10:30;phone;8\n"


@pytest.fixture
def manager(make_org, make_member, client):
    org = make_org("alpha")
    client.force_login(make_member("m@alpha.example", org, "manager"))
    return client, org


def _import(client, name: str, data: bytes, mapping: bytes | None = None, dry_run: bool = False):
    form = {"file": SimpleUploadedFile(name, data), "instrument": "customer-survey"}
    if mapping is not None:
        form["mapping"] = SimpleUploadedFile("mapping.json", mapping)
    if dry_run:
        form["dry_run"] = "on"
    return client.post("/app/alpha/import/", form, HTTP_ACCEPT_LANGUAGE="en")


def _problems(response) -> list[tuple]:
    report = response.context["report"]
    return [(p.row, p.column, p.reason) for p in report.problems]


def test_a_cell_over_128_kb_is_named_by_row_and_column(manager):
    client, _ = manager
    response = _import(client, "long.csv", hostile.long_cell_csv())
    assert response.status_code == 422
    assert _problems(response) == [(2, "comment", "a cell of 140,000 characters, more than 32,767")]
    assert "long.csv: 1 problem, nothing was imported" in response.content.decode()
    assert Measurement.unscoped_all_tenants.count() == 0


def test_bytes_that_are_no_text_in_any_accepted_encoding_are_named(manager):
    client, _ = manager
    response = _import(client, "bytes.csv", hostile.bad_bytes_csv())
    assert response.status_code == 422
    [(row, column, reason)] = _problems(response)
    assert (row, column) == (0, "")
    assert reason.startswith("not UTF-8 or Windows-1252 text")


@pytest.mark.parametrize("label", sorted(hostile.WRONG_TYPE_MAPPINGS))
def test_a_mapping_with_values_of_the_wrong_type_is_a_form_error(manager, label):
    client, _ = manager
    mapping = hostile.mapping_bytes(hostile.WRONG_TYPE_MAPPINGS[label])
    response = _import(client, "good.csv", GOOD_CSV, mapping=mapping)
    assert response.status_code == 200
    errors = response.context["form"].errors["mapping"]
    assert len(errors) == 1 and errors[0].startswith("mapping.json: "), errors
    assert Measurement.unscoped_all_tenants.count() == 0


def test_the_mapping_errors_say_which_entry_and_why(manager):
    client, _ = manager
    cases = {
        "number as key": 'mapping.json: "columns" → "Datum": a question key is text, not 1',
        "number as value": 'mapping.json: "values" → "unit" → "Balie": text expected, not 3',
    }
    for label, message in cases.items():
        mapping = hostile.mapping_bytes(hostile.WRONG_TYPE_MAPPINGS[label])
        response = _import(client, "good.csv", GOOD_CSV, mapping=mapping)
        assert response.context["form"].errors["mapping"] == [message]
    response = _import(client, "good.csv", GOOD_CSV, mapping=b"\xff\xfe{}")
    assert response.context["form"].errors["mapping"] == [
        "mapping.json: not UTF-8 text (invalid start byte at byte 0)"
    ]


def test_the_zip_bomb_xlsx_is_refused_quickly_on_a_dry_run(manager):
    client, _ = manager
    bomb = hostile.zip_bomb_xlsx()
    assert len(bomb) < 200_000  # a small file that unpacks to tens of megabytes
    started = time.monotonic()
    response = _import(client, "bomb.xlsx", bomb, dry_run=True)
    took = time.monotonic() - started
    assert response.status_code == 422
    assert _problems(response) == [
        (0, "", "a sheet (sheet1.xml) holds over 50,000 data rows; split the file")
    ]
    assert took < 5, f"the zip bomb kept the server busy for {took:.1f} s"


def test_a_sheet_claiming_a_million_rows_and_columns_still_imports(manager):
    client, _ = manager
    response = _import(client, "sparse.xlsx", hostile.sparse_sheet_xlsx(), dry_run=True)
    assert response.context["report"].rows == 1
    assert _problems(response) == []


def test_the_size_limit_is_checked_from_the_upload_s_size_before_it_is_read():
    # The views call this with the size Django reports, before reading the upload.
    from klantpeil.dataio.limits import MB
    from klantpeil.dataio.reading import FileProblem, check_size

    check_size(50 * MB, "just.csv")
    with pytest.raises(FileProblem) as refused:
        check_size(50 * MB + 1, "big.csv")
    assert str(refused.value) == "big.csv: the file is 50 MB, more than the 50 MB an upload may be"


# The social-media page.
def _social(client, name: str, data: bytes):
    return client.post(
        "/app/alpha/social/", {"file": SimpleUploadedFile(name, data)}, HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.mark.parametrize("label", sorted(set(hostile.HOSTILE_SOCIAL) - {"integer author"}))
def test_a_hostile_social_export_is_a_form_error_and_stores_nothing(manager, label):
    client, org = manager
    name = "posts.csv" if label.endswith("csv") else "posts.json"
    response = _social(client, name, hostile.HOSTILE_SOCIAL[label])
    assert response.status_code == 200
    [error] = response.context["form"].errors["file"]
    assert error.startswith(f"{name}: "), error
    with tenant(org):
        assert SocialPost.objects.count() == 0


def test_the_social_errors_name_the_post_and_the_field(manager):
    client, _ = manager
    response = _social(client, "posts.json", hostile.HOSTILE_SOCIAL["missing id"])
    assert response.context["form"].errors["file"] == ["posts.json: post 1, id: missing (got None)"]
    response = _social(client, "posts.json", hostile.HOSTILE_SOCIAL["numeric date"])
    assert response.context["form"].errors["file"] == [
        "posts.json: post 1 (id 1), created_at: 1772438400 is not a date and time "
        "(use 2026-03-01T09:30:00+01:00)"
    ]


def test_an_integer_author_is_read_as_its_text(manager):
    client, org = manager
    response = _social(client, "posts.json", hostile.HOSTILE_SOCIAL["integer author"])
    assert response.status_code == 302
    with tenant(org):
        assert list(SocialPost.objects.values_list("external_id", "author")) == [("1", "7")]


def test_a_social_export_over_the_row_limit_is_refused_before_any_post_is_annotated(manager):
    client, org = manager
    data = json.dumps(
        {
            "data": [
                {"id": str(i), "text": "hoi", "created_at": "2026-03-02T08:00:00Z"}
                for i in range(50_001)
            ]
        }
    ).encode()
    started = time.monotonic()
    response = _social(client, "posts.json", data)
    assert time.monotonic() - started < 5
    assert response.context["form"].errors["file"] == [
        'posts.json: "data" holds 50,001 posts, more than 50,000; split the file'
    ]
    with tenant(org):
        assert SocialPost.objects.count() == 0


# Calibration.
def test_calibration_answers_hostile_files_with_a_400_and_the_reason(manager):
    client, _ = manager
    url = "/app/alpha/fieldwork/calibration/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Hoogstens 50 MB, 50.000 rijen en 32.767 tekens in één cel." in page
    cases = {
        "long.csv": (hostile.long_cell_csv(), "long.csv, row 2, column 'comment': a cell of"),
        "bytes.csv": (hostile.bad_bytes_csv(), "bytes.csv: not UTF-8 or Windows-1252 text"),
        "bomb.xlsx": (hostile.zip_bomb_xlsx(), "bomb.xlsx: a sheet (sheet1.xml) holds over"),
        "broken.xlsx": (b"PK\x03\x04 not really a zip", "broken.xlsx: not a readable XLSX"),
    }
    for name, (data, message) in cases.items():
        response = client.post(
            url, {"file": SimpleUploadedFile(name, data)}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400, name
        assert response.context["error"].startswith(message), response.context["error"]
