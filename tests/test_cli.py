"""The ``klantpeil`` command as an operator scripts it: real processes, a real SQLite file."""

from __future__ import annotations

import json

import pytest

from tests.conftest import klantpeil

COMMANDS = [
    "demo",
    "serve",
    "migrate",
    "orgs",
    "createuser",
    "users",
    "token",
    "import",
    "export",
    "analyse",
    "manage",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = klantpeil(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: klantpeil {command}" in result.stdout


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("cli")
    result = klantpeil(
        "demo",
        "--no-serve",
        "--scale",
        "0.01",
        "--data-dir",
        str(data_dir),
        env={"DATABASE_URL": ""},
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return data_dir, result


def test_demo_reports_what_it_made_and_the_logins(demo_dir):
    _, result = demo_dir
    assert "Generated " in result.stdout and "measurements" in result.stdout
    assert "analist@klantpeil.example" in result.stdout
    assert "Generating demo data" in result.stderr  # the progress bar


def test_orgs_reads_what_demo_made_in_the_same_data_dir(demo_dir):
    data_dir, _ = demo_dir
    result = klantpeil(
        "orgs", "--data-dir", str(data_dir), "--format", "json", env={"DATABASE_URL": ""}
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 20
    sectors = {}
    for row in rows:
        sectors[row["sector"]] = sectors.get(row["sector"], 0) + 1
    assert sectors == {"housing": 5, "insurers": 5, "municipalities": 5, "utilities": 5}
    table = klantpeil("orgs", "--data-dir", str(data_dir), env={"DATABASE_URL": ""}).stdout
    assert table.splitlines()[0].split() == ["SLUG", "SECTOR", "NAME"]
    assert "gemeente-wadderveen" in table


def test_demo_reuses_an_existing_database(demo_dir):
    data_dir, _ = demo_dir
    again = klantpeil("demo", "--no-serve", "--data-dir", str(data_dir), env={"DATABASE_URL": ""})
    assert again.returncode == 0, again.stderr
    assert "Reusing the existing data (20 organisations)" in again.stdout


def test_createuser_with_password_from_the_environment(demo_dir):
    data_dir, _ = demo_dir
    env = {"DATABASE_URL": "", "KLANTPEIL_PASSWORD": "Correct-Horse-Battery-9"}
    made = klantpeil(
        "createuser",
        "nieuw@wadderveen.example",
        "--org",
        "gemeente-wadderveen",
        "--role",
        "viewer",
        "--data-dir",
        str(data_dir),
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "nieuw@wadderveen.example is viewer in Gemeente Wadderveen."
    check = klantpeil(
        "manage",
        "--data-dir",
        str(data_dir),
        "shell",
        "-c",
        "from django.contrib.auth import authenticate as a;"
        "u=a(email='nieuw@wadderveen.example', password='Correct-Horse-Battery-9');"
        "print(u.memberships.get().role)",
        env={"DATABASE_URL": ""},
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip().splitlines()[-1] == "viewer"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "no-such-org", "--role", "viewer"], "no organisation with slug 'no-such-org'"),
        (["--role", "manager"], "--org is required for the role 'manager'"),
    ],
)
def test_createuser_explains_what_is_wrong(demo_dir, args, message):
    data_dir, _ = demo_dir
    env = {"DATABASE_URL": "", "KLANTPEIL_PASSWORD": "Correct-Horse-Battery-9"}
    result = klantpeil("createuser", "x@example.org", *args, "--data-dir", str(data_dir), env=env)
    assert result.returncode == 2
    assert message in result.stderr


def test_createuser_refuses_a_weak_password(demo_dir):
    data_dir, _ = demo_dir
    env = {"DATABASE_URL": "", "KLANTPEIL_PASSWORD": "12345678"}
    result = klantpeil(
        "createuser",
        "weak@example.org",
        "--org",
        "gemeente-wadderveen",
        "--role",
        "viewer",
        "--data-dir",
        str(data_dir),
        env=env,
    )
    assert result.returncode == 2
    assert "too common" in result.stderr


SWISS = "src/klantpeil/metrics/tests/data/swiss.csv"


def test_analyse_drivers_on_a_plain_csv_without_any_database():
    # A database URL that cannot work proves no database is touched.
    env = {
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "KLANTPEIL_DATA_DIR": "/nonexistent",
    }
    result = klantpeil(
        "analyse", "drivers", SWISS, "--target", "Fertility", "--format", "json", env=env
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["n"] == 47 and body["method"] == "shapley"
    assert round(body["r2"], 6) == 0.706735
    education = next(d for d in body["drivers"] if d["name"] == "Education")
    assert (round(education["importance"], 6), round(education["share"], 6), education["rank"]) == (
        0.260135,
        0.36808,
        1,
    )
    assert set(body["drivers"][0]) == {"name", "importance", "share", "rank"}


def test_analyse_drivers_names_a_bad_column_and_row():
    result = klantpeil(
        "analyse", "drivers", SWISS, "--target", "Fertility", "--drivers", "Education,column 1"
    )
    assert result.returncode == 2
    assert "column 'column 1', row 2: 'Courtelary' is not a number" in result.stderr
    missing = klantpeil("analyse", "drivers", SWISS, "--target", "Geluk")
    assert "no column 'Geluk'" in missing.stderr


def test_pure_analytics_modules_import_no_django():
    import subprocess
    import sys

    code = (
        "import sys, klantpeil.metrics.drivers, klantpeil.metrics.periods; "
        "print([m for m in sys.modules if m.split('.')[0] == 'django'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


CALLS = "src/klantpeil/analytics/tests/data/mystery_calls.csv"


def test_analyse_kpis_on_a_csv_of_mystery_calls():
    result = klantpeil("analyse", "kpis", CALLS, "--protocol", "mystery-phone", "--format", "json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["n"] == 6
    helped = body["kpis"]["helped_rate"]
    assert (round(helped["value"], 4), helped["n"]) == (0.6667, 6)
    assert helped["ci_low"] < helped["value"] < helped["ci_high"]
    strict = json.loads(
        klantpeil("analyse", "kpis", CALLS, "--norm-seconds", "10", "--format", "json").stdout
    )
    assert strict["kpis"]["answered_within_norm_rate"]["successes"] == 2


def test_analyse_kpis_names_the_bad_cell(tmp_path):
    bad = tmp_path / "calls.csv"
    bad.write_text(
        "connected;seconds_to_answer;ivr_options;transferred;ended_at;callback_promised;"
        "callback_hours;answer_correct;empathy\nmisschien;10;0;nee;right_person;nee;;ja;ja\n"
    )
    result = klantpeil("analyse", "kpis", str(bad))
    assert result.returncode == 2
    assert "calls.csv, row 2, column 'connected': 'misschien' is not yes or no" in result.stderr


def test_analyse_kpis_for_mystery_emails_in_business_hours():
    result = klantpeil(
        "analyse",
        "kpis",
        "src/klantpeil/analytics/tests/data/mystery_emails.csv",
        "--protocol",
        "mystery-email",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    kpis = json.loads(result.stdout)["kpis"]
    assert (
        kpis["answered_within_norm_rate"]["successes"],
        kpis["answered_within_norm_rate"]["n"],
    ) == (2, 4)
    assert kpis["median_business_hours"] == {"value": 11.0, "n": 3}


def test_analyse_infographic_writes_svg_and_png(tmp_path):
    svg, png = tmp_path / "calls.svg", tmp_path / "calls.png"
    result = klantpeil("analyse", "infographic", CALLS, "-o", str(svg), "--lang", "en")
    assert result.returncode == 0, result.stderr
    # 6 calls, gaps to the norms: connected 5/6 = 83% (99%: 16 points), helped 4/6 = 67%
    # (90%: 23 points), within 15 s 3 of the 5 answered = 60% (85%: 25 points, the largest).
    expected = f"{svg}: Largest shortfall: Answered within the norm 60%, norm 85%"
    assert result.stdout.strip() == expected
    assert "Caller helped" in svg.read_text()
    assert klantpeil("analyse", "infographic", CALLS, "-o", str(png)).returncode == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    wrong = klantpeil("analyse", "infographic", CALLS, "-o", str(tmp_path / "calls.pdf"))
    assert wrong.returncode == 2 and "must end in .svg or .png" in wrong.stderr


def test_analyse_agreement_ranks_the_measurement_points_weakest_first():
    result = klantpeil(
        "analyse",
        "agreement",
        "src/klantpeil/analytics/tests/data/calibration.csv",
        "--interval",
        "seconds_to_answer",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    items = {i["item"]: i for i in json.loads(result.stdout)["items"]}
    # Empathy by hand: coincidences o00 = 3, o01 = o10 = 4, o11 = 4 (n = 15, n0 = 7,
    # n1 = 8), so D_o = 8/15 and D_e = 2·7·8/(15·14) = 8/15: alpha exactly 0.
    assert next(iter(items)) == "empathy"
    assert items["empathy"]["alpha"] == pytest.approx(0.0, abs=1e-12)
    assert (items["empathy"]["contacts"], items["empathy"]["verdict"]) == (5, "poor")
    assert items["connected"]["alpha"] == 1.0 and items["connected"]["contacts"] == 6
    assert items["seconds_to_answer"]["level"] == "interval"
    assert items["seconds_to_answer"]["verdict"] == "good"


def test_analyse_drivers_gives_the_priority_model_of_the_app(tmp_path):
    import numpy as np

    rng = np.random.default_rng(1)
    x = np.clip(np.rint(7 + 1.5 * rng.normal(size=(300, 3))), 1, 10)
    y = np.clip(np.rint(1.5 + 0.5 * x[:, 0] + 0.2 * x[:, 1] + rng.normal(0, 0.8, 300)), 1, 10)
    path = tmp_path / "grades.csv"
    lines = ["grade;reliability;empathy;waiting"]
    lines += [";".join(str(int(v)) for v in row) for row in np.column_stack([y, x])]
    path.write_text("\n".join(lines) + "\n")
    result = klantpeil(
        "analyse", "drivers", str(path), "--target", "grade", "--priorities", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    drivers = json.loads(result.stdout)["drivers"]
    assert [d["priority"] for d in drivers] == [1, 2, 3]
    assert [d["name"] for d in drivers][:2] == ["reliability", "empathy"]
    assert drivers[0]["label"] == "focus_here" and drivers[0]["target_basis"] == "plus_one"
    slopes = np.linalg.lstsq(np.column_stack([np.ones(300), x]), y, rcond=None)[0][1:]
    for d in drivers:
        j = ["reliability", "empathy", "waiting"].index(d["name"])
        assert d["target"] == pytest.approx(min(x[:, j].mean() + 1, 10))
        if d["effect"] != "dissatisfier":
            rise = d["target"] - x[:, j].mean()
            assert d["expected_gain"] == pytest.approx(slopes[j] * rise, abs=1e-9)
        assert d["expected_gain_low"] < d["expected_gain"] < d["expected_gain_high"]
    table = klantpeil("analyse", "drivers", str(path), "--target", "grade", "--priorities")
    assert "focus_here" in table.stdout and "→" in table.stdout
    swiss = klantpeil("analyse", "drivers", SWISS, "--target", "Fertility", "--priorities")
    assert swiss.returncode == 2 and "--priorities needs answers on the 1–10 scale" in swiss.stderr
