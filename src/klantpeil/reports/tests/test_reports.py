"""Reports as a board member receives them: the PDF's pages and figures, the workbook's
tables, the one-picture PNG, and the app's button that makes them in the background."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from statistics import mean

import pytest
from django.core.management import call_command
from django.urls import reverse

from klantpeil.analytics.driver_selectors import driver_report
from klantpeil.cli import main
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.instruments.models import Driver
from klantpeil.organisations.models import Organisation
from klantpeil.reports.models import ReportRun
from klantpeil.rollups.services import rebuild_all
from klantpeil.textanalysis.models import SocialPost

TODAY = date(2026, 11, 23)
PERIOD = "2026-Q3"
SLUG = "gemeente-wadderveen"


@pytest.fixture(scope="module")
def _demo_data(module_transaction, django_db_blocker):
    """Generated once for the module (conftest.py: module_transaction), not per test."""
    with django_db_blocker.unblock():
        generate(seed=2, today=TODAY, scale=0.12)
        rebuild_all()


@pytest.fixture
def demo(_demo_data, db):
    return Organisation.objects.get(slug=SLUG)


def _raw_grades(org, kind: str | None = None) -> list[float]:
    """The overall grades of the period straight from the answers, beside the rollups."""
    with tenant(org):
        answers = Answer.objects.filter(
            question__key="overall_grade",
            number__isnull=False,
            measurement__superseded_at__isnull=True,
            measurement__instrument_version__instrument__key="customer-survey",
            measurement__occurred_at__date__gte=date(2026, 7, 1),
            measurement__occurred_at__date__lt=date(2026, 10, 1),
        )
        if kind:
            answers = answers.filter(measurement__channel__kind=kind)
        return list(answers.values_list("number", flat=True))


def _by_hand(value: float) -> str:
    """One decimal, rounded half up as a reader does."""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _dutch(value: float) -> str:
    return _by_hand(value).replace(".", ",")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_the_pdf_report_has_its_pages_and_the_figures_in_words(demo, tmp_path, capsys):
    output = tmp_path / "report.pdf"
    assert main(["report", "--org", SLUG, "--period", PERIOD, "--output", str(output)]) == 0
    assert output.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(output), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    # cover with summary, channels, drivers, reachability, sector, comments, invitations
    assert 6 <= len(pages) <= 9
    text = subprocess.run(
        ["pdftotext", "-layout", str(output), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("\f") == len(pages)
    grades = _raw_grades(demo)
    assert f"overall grade of {_dutch(mean(grades))}" not in text  # Dutch by default
    assert f"rapportcijfer van {_dutch(mean(grades))} in {PERIOD}" in text
    assert f"{len(grades):,}".replace(",", ".") + " reacties" in text
    for heading in ("Gemeente Wadderveen", "Wat eerst verbeteren", "Telefonische bereikbaarheid"):
        assert heading in text
    assert "Wrote" in capsys.readouterr().out


def test_the_report_speaks_english_when_asked(demo, tmp_path):
    output = tmp_path / "report.pdf"
    assert (
        main(["report", "--org", SLUG, "--period", PERIOD, "--lang", "en", "-o", str(output)]) == 0
    )
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = subprocess.run(
        ["pdftotext", str(output), "-"], capture_output=True, text=True, check=True
    ).stdout
    grades = _raw_grades(demo)
    assert f"overall grade of {_by_hand(mean(grades))} in {PERIOD}" in text
    assert "What to improve first" in text
    assert "of the 5 organisations in your sector" in " ".join(text.split())


def test_the_workbook_holds_the_tables_with_the_figures_of_the_answers(demo, tmp_path):
    from openpyxl import load_workbook

    output = tmp_path / "report.xlsx"
    assert (
        main(["report", "--org", SLUG, "--period", PERIOD, "--lang", "en", "-o", str(output)]) == 0
    )
    book = load_workbook(output)
    assert book.sheetnames[:3] == ["Summary", "Channels", "Trend"]
    assert {"Drivers", "Reachability", "Benchmark", "Comments"} <= set(book.sheetnames)
    channels = {row[0]: row for row in book["Channels"].iter_rows(min_row=2, values_only=True)}
    phone = _raw_grades(demo, "phone")
    assert channels["Phone"][1] == pytest.approx(mean(phone), abs=1e-9)
    assert channels["Phone"][4] == len(phone)
    assert book["Channels"]["B2"].number_format == "0.0"
    # The sector: every shown row with the number of organisations it rests on (the
    # demo's sector has five), none without edges.
    bench = list(book["Benchmark"].iter_rows(min_row=2, values_only=True))
    assert bench[0][1] == "All channels" and bench[0][8] == 5
    assert all((row[5] is None) == (row[8] is None) for row in bench)
    drivers = list(book["Drivers"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in drivers] == list(range(1, len(drivers) + 1))
    # Shapley shares divide the explained variance among the drivers: they add up to 1.
    assert sum(row[2] for row in drivers) == pytest.approx(1, abs=1e-9)
    # The priority model's columns: ranked by expected gain, each inside its interval,
    # and the summary's headline names the first with its gain.
    header = [cell.value for cell in book["Drivers"][1]]
    assert header[6] == "Advice"
    assert header[8:] == [
        "Expected gain in the grade",
        "95% interval −",
        "95% interval +",
        "Target",
    ]
    gains = [row[8] for row in drivers]
    assert gains == sorted(gains, reverse=True)
    with tenant(demo):
        sector = driver_report(MeasurementFilter(period=PERIOD)).sector_targets
    names = {label: key for key, label in Driver.choices}
    for row in drivers:
        # The target: the sector's disclosure-safe top quartile where it exists, else +1.
        given = sector.get(names[row[1]])
        assert row[11] == (given.value if given else min(row[5] + 1, 10))
        assert row[9] <= row[8] <= row[10]
        assert row[9] < row[8] < row[10] or row[11] <= row[5]  # no rise, no gain
    assert drivers[0][6] == "Concentrate here"
    gain = str(Decimal(repr(drivers[0][8])).quantize(Decimal("0.01"), ROUND_HALF_UP))
    lines = [row[0] for row in book["Summary"].iter_rows(values_only=True) if row and row[0]]
    assert any(
        line.startswith(f"Improve first: {drivers[0][1]} — +{gain} grade points") for line in lines
    )
    # Social media: the customers' own posts started in the quarter, and how many of them
    # the organisation answered, counted straight from the stored posts.
    with tenant(demo):
        started = SocialPost.objects.filter(
            in_reply_to__isnull=True,
            from_organisation=False,
            posted_at__date__gte=date(2026, 7, 1),
            posted_at__date__lt=date(2026, 10, 1),
        )
        answered = started.filter(replies__from_organisation=True).distinct().count()
        volume = started.count()
    social = next(book["Social media"].iter_rows(min_row=2, values_only=True))
    assert volume > 0
    assert social[0] == volume
    assert social[4] == pytest.approx(answered / volume, abs=1e-12)
    assert {row[3] for row in book["Comments"].iter_rows(min_row=2, values_only=True)} <= {
        "Negative",
        "Neutral",
        "Positive",
    }


def test_the_png_is_one_picture_of_the_key_charts(demo, tmp_path):
    output = tmp_path / "report.png"
    assert main(["report", "--org", SLUG, "--period", PERIOD, "-o", str(output)]) == 0
    data = output.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1800 and height > width  # drawn at twice 900 px, charts stacked


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--period", "2026-Q5"], "is not a period"),
        (["--period", PERIOD, "--format", "docx"], "invalid choice"),
        (["--period", PERIOD, "--org", "nobody"], "nobody"),
    ],
)
def test_a_report_that_cannot_be_made_says_why(demo, tmp_path, capsys, arguments, message):
    output = tmp_path / "report.pdf"
    base = ["report", "--org", SLUG, "-o", str(output)]
    try:
        code = main(base + arguments)
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not output.exists()


@pytest.mark.django_db(transaction=True)
def test_the_report_button_makes_it_in_the_background_and_hands_it_out(
    make_org, make_member, client
):
    generate(seed=2, today=TODAY, scale=0.05)
    org = Organisation.objects.get(slug=SLUG)
    client.force_login(make_member("manager@wadderveen.example", org))
    url = reverse("app:reports:reports", kwargs={"org": SLUG})
    response = client.post(url, {"period": PERIOD, "format": "xlsx", "language": "en"})
    with tenant(org):
        run = ReportRun.objects.get()
    assert response.url == reverse("app:reports:report", kwargs={"org": SLUG, "pk": run.pk})
    status = client.get(response.url, headers={"HX-Request": "true"})
    assert "Wacht op de achtergrondverwerking" in status.content.decode()  # Dutch by default
    assert status.headers.get("HX-Trigger") is None  # still polling
    call_command("db_worker", batch=True, reload=False, startup_delay=False)
    with tenant(org):
        run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.progress == 100
    status = client.get(response.url, headers={"HX-Request": "true"})
    assert status.headers["HX-Trigger"] == "report-finished"
    assert "hx-trigger" not in status.content.decode()  # polling stops
    download = client.get(reverse("app:reports:download", kwargs={"org": SLUG, "pk": run.pk}))
    assert download["Content-Disposition"] == (
        f'attachment; filename="klantpeil-{SLUG}-{PERIOD}-en.xlsx"'
    )
    from openpyxl import load_workbook

    assert "Channels" in load_workbook(io.BytesIO(download.content)).sheetnames
    # Making it again (a retried task) changes nothing.
    from klantpeil.reports.services import make

    assert make(run_id=run.pk) == ReportRun.Status.DONE


def test_a_bad_period_in_the_form_is_an_error_at_the_field(make_org, make_member, client):
    org = make_org("wadderveen")
    client.force_login(make_member("manager@wadderveen.example", org))
    url = reverse("app:reports:reports", kwargs={"org": org.slug})
    response = client.post(url, {"period": "Q3", "format": "pdf", "language": "nl"})
    assert response.status_code == 200
    assert "2026-Q3" in response.content.decode()  # the accepted forms
    with tenant(org):
        assert not ReportRun.objects.exists()


def test_the_report_form_reads_periods_in_words_but_not_ranges(make_org, make_member, client):
    org = make_org("wadderveen")
    client.force_login(make_member("manager@wadderveen.example", org))
    url = reverse("app:reports:reports", kwargs={"org": org.slug})
    for typed, label in (("september 2026", "2026-09"), ("Q3 2026", "2026-Q3")):
        form = {"period": typed, "format": "xlsx", "language": "en"}
        assert client.post(url, form, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
        with tenant(org):
            assert ReportRun.objects.order_by("-pk").first().period == label
    refused = client.post(
        url,
        {"period": "2026-01-15..2026-03-31", "format": "pdf", "language": "en"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "not a range of days" in refused.content.decode()


def test_the_period_hint_is_the_description_the_field_points_at(make_org, make_member, client):
    org = make_org("wadderveen")
    client.force_login(make_member("manager@wadderveen.example", org))
    page = client.get(reverse("app:reports:reports", kwargs={"org": org.slug})).content.decode()
    described_by = re.search(r'<input[^>]*name="period"[^>]*aria-describedby="([^"]+)"', page)
    assert described_by, "the period field names its hint"
    assert f'id="{described_by[1]}"' in page


def test_a_shopper_gets_no_reports(make_org, make_member, client):
    org = make_org("wadderveen")
    client.force_login(make_member("shopper@example.org", org, role="shopper"))
    response = client.get(reverse("app:reports:reports", kwargs={"org": org.slug}))
    assert response.status_code == 403


def test_a_chart_on_paper_has_one_legend_with_colour_and_shape():
    """Colour-blind readers tell the channels apart by shape: both cues in one legend."""
    from klantpeil.dashboards import charts as specs
    from klantpeil.reports import charts

    points = [
        {"month": f"2026-0{m}-01", "channel": c, "grade": 7, "low": 6, "high": 8, "n": 40}
        for m in (1, 2, 3)
        for c in ("Telefoon", "E-mail")
    ]
    titles = {"channel": "Kanaal", "grade": "Cijfer", "low": "van", "high": "tot"}
    svg = charts.svg(specs.grade_trend(points, titles=titles), lang="nl")
    assert svg.count('class="mark-group role-legend"') == 1
    assert "7,0" in svg  # the axis in Dutch


def test_the_report_shows_all_channels_weighted_to_the_demo_contact_volumes(demo, tmp_path):
    """The demo organisations have contact volumes for every month: the workbook and the
    PDF give the weighted figures beside the unweighted ones, with the effective n."""
    from openpyxl import load_workbook

    from klantpeil.analytics.weighted import weighted_overview
    from klantpeil.metrics.weighting import weighted_grade

    with tenant(demo):
        overview = weighted_overview(MeasurementFilter(period=PERIOD))
        assert overview.weighted
        volumes = {c.kind: c.contacts for c in overview.channels if c.contacts}
        cells = {}
        for kind in volumes:
            grades = _raw_grades(demo, kind)
            if grades:
                cells[kind] = (len(grades), sum(grades), sum(g * g for g in grades))
    by_hand = weighted_grade(cells, volumes)
    grade = overview.figures["grade"]
    assert grade.weighted.estimate.value == pytest.approx(by_hand.estimate.value, abs=1e-9)
    assert grade.weighted.effective_n == pytest.approx(by_hand.effective_n, abs=1e-9)
    assert grade.unweighted.value == pytest.approx(mean(_raw_grades(demo)), abs=1e-9)
    # The demo's responses lean away from the phone, most contacts are calls: the figures
    # differ, and weighting costs effective responses.
    assert abs(grade.weighted.estimate.value - grade.unweighted.value) > 0.05
    assert grade.weighted.effective_n < grade.unweighted.n
    output = tmp_path / "report.xlsx"
    assert (
        main(["report", "--org", SLUG, "--period", PERIOD, "--lang", "en", "-o", str(output)]) == 0
    )
    sheet = load_workbook(output)["All channels"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, max_row=5, values_only=True)}
    assert rows["Grade"][1] == pytest.approx(grade.unweighted.value, abs=1e-9)
    assert rows["Grade"][4] == grade.unweighted.n
    assert rows["Grade"][5] == pytest.approx(grade.weighted.estimate.value, abs=1e-9)
    assert rows["Grade"][8] == pytest.approx(grade.weighted.effective_n, abs=1e-9)
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    pdf = tmp_path / "report.pdf"
    assert main(["report", "--org", SLUG, "--period", PERIOD, "--lang", "en", "-o", str(pdf)]) == 0
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = " ".join(text.split())
    assert "Weighted, effective n" in words
    assert f"effective n {round(grade.weighted.effective_n):,}) against" in words
    assert f"the overall grade is {_by_hand(grade.weighted.estimate.value)}" in words
