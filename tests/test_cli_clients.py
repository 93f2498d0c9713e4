"""``klantpeil orgs create`` and ``klantpeil units import`` as a consultancy scripts
them: real processes on a real SQLite file, JSON out, errors naming file, row, column."""

from __future__ import annotations

import json

import pytest

from tests.conftest import klantpeil

ENV = {"DATABASE_URL": ""}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clients")
    made = klantpeil("migrate", "--data-dir", str(folder), env=ENV)
    assert made.returncode == 0, made.stderr
    return folder


def run(data_dir, *args: str):
    return klantpeil(*args, "--data-dir", str(data_dir), env=ENV)


@pytest.mark.parametrize("command", [("orgs", "create"), ("units", "import")])
def test_help(command):
    result = klantpeil(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: klantpeil {' '.join(command)}" in result.stdout
    assert "--format" in result.stdout


def test_create_an_organisation_in_a_shipped_sector(data_dir):
    made = run(
        data_dir,
        "orgs", "create", "--slug", "gemeente-noordhaven", "--name", "Gemeente Noordhaven",
        "--sector", "water-boards", "--languages", "nl", "--format", "json",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout) == {
        "ok": True,
        "organisation": {
            "slug": "gemeente-noordhaven",
            "name": "Gemeente Noordhaven",
            "sector": "water-boards",
            "languages": ["nl"],
        },
    }
    listed = json.loads(run(data_dir, "orgs", "--format", "json").stdout)
    assert {
        "slug": "gemeente-noordhaven",
        "name": "Gemeente Noordhaven",
        "sector": "water-boards",
    } in listed
    again = run(
        data_dir,
        "orgs", "create", "--slug", "gemeente-noordhaven", "--name", "X",
        "--sector", "gas", "--format", "json",
    )  # fmt: skip
    assert again.returncode == 2
    problems = json.loads(again.stderr)["problems"]
    assert [p["field"] for p in problems] == ["slug", "sector"]
    assert problems[0]["message"] == "--slug: The slug “gemeente-noordhaven” is already taken."


def test_units_import_all_or_nothing_then_again_by_code(data_dir, tmp_path):
    made = run(
        data_dir,
        "orgs",
        "create",
        "--slug",
        "zuiderzee",
        "--name",
        "Zuiderzee",
        "--sector",
        "housing",
    )
    assert made.returncode == 0, made.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code;name;parent\n"
        "balie-centrum;Balie Centrum;burgerzaken\n"
        "burgerzaken;Burgerzaken;publiekszaken\n"
        "publiekszaken;Publiekszaken;\n"
        "wijk;;nergens\n",
        encoding="utf-8",
    )
    refused = run(data_dir, "units", "import", str(bad), "--org", "zuiderzee", "--format", "json")
    assert refused.returncode == 2
    assert [(p["file"], p["row"], p["column"]) for p in json.loads(refused.stderr)["problems"]] == [
        (str(bad), 5, "name"),
        (str(bad), 5, "parent"),
    ]
    text = run(data_dir, "units", "import", str(bad), "--org", "zuiderzee")
    assert f"error: {bad}, row 5, column parent: There is no unit with the code “nergens”" in (
        text.stderr
    )
    good = tmp_path / "units.csv"
    good.write_text(bad.read_text(encoding="utf-8").replace("wijk;;nergens", "wijk;Wijk;"))
    first = run(data_dir, "units", "import", str(good), "--org", "zuiderzee", "--format", "json")
    assert first.returncode == 0, first.stderr
    # Nothing of the refused file was written: all four are new now.
    assert json.loads(first.stdout) == {
        "ok": True, "organisation": "zuiderzee", "created": 4, "updated": 0, "unchanged": 0
    }  # fmt: skip
    good.write_text("wijk;Wijk Noord;publiekszaken\n", encoding="utf-8")
    second = run(data_dir, "units", "import", str(good), "--org", "zuiderzee")
    assert second.stdout.strip() == "Zuiderzee: 0 unit(s) created, 1 updated, 0 unchanged."
    cycle = tmp_path / "cycle.csv"
    cycle.write_text("publiekszaken;Publiekszaken;balie-centrum\n", encoding="utf-8")
    loop = run(data_dir, "units", "import", str(cycle), "--org", "zuiderzee", "--format", "json")
    (problem,) = json.loads(loop.stderr)["problems"]
    assert (problem["row"], problem["column"]) == (1, "parent")
    assert problem["message"].endswith(
        "A unit cannot be part of itself or of its own sub-unit: "
        "publiekszaken › burgerzaken › balie-centrum › publiekszaken."
    )
    missing = run(data_dir, "units", "import", str(tmp_path / "none.csv"), "--org", "zuiderzee")
    assert missing.returncode == 2 and "none.csv: No such file or directory" in missing.stderr
