"""The README's first command as a newcomer meets it: demo served, logins printed, pages work."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.request

import pytest

pytestmark = pytest.mark.browser


def _log_in(page, served_demo, email: str) -> None:
    page.goto(served_demo["url"] + "/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", served_demo["password"])
    page.click("button[type=submit].primary")


def _watched_page(browser, served_demo, email: str, *, locale: str, width: int = 1280):
    """A logged-in page and the list its console errors are collected in."""
    errors: list[str] = []
    page = browser.new_page(viewport={"width": width, "height": 900}, locale=locale)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, email)
    return page, errors


def test_healthz_answers_200_on_the_served_demo(served_demo):
    with urllib.request.urlopen(served_demo["url"] + "/healthz") as response:
        assert response.status == 200
        assert response.headers["Server"] == "klantpeil"  # waitress, not runserver


def test_every_printed_login_works(served_demo, browser):
    logins = served_demo["logins"]
    assert set(logins.values()) == {"operator", "analyst", "manager", "viewer", "shopper"}
    for email, role in logins.items():
        page = browser.new_page()
        _log_in(page, served_demo, email)
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"{email} ({role}) could not log in"
        assert page.locator("header .who").inner_text() == email
        page.close()


def test_a_manager_sees_counts_per_channel_in_dutch_and_english(
    served_demo, browser, screenshot_dir
):
    page, errors = _watched_page(browser, served_demo, "manager@wadderveen.example", locale="nl-NL")
    page.wait_for_url("**/app/gemeente-wadderveen/")
    assert page.locator("h1").inner_text() == "Gemeente Wadderveen"
    assert page.locator("table.counts caption").inner_text() == "Metingen per kanaal en maand"
    rows = page.locator("table.counts tbody th").all_inner_texts()
    assert {"Telefoon", "E-mail", "Balie"} <= set(rows)
    # Grades per channel with their interval, written the Dutch way (7,4 ± 0,1).
    phone = page.locator("table.kpis tbody tr", has_text="Telefoon").locator("td").first
    assert re.fullmatch(r"\d,\d ± \d,\d", phone.inner_text())
    # The trend chart is drawn by the shipped vega packages, its axis in Dutch.
    # (Points, not a line: in this small demo every month has fewer than 30 answers, and
    # issue 20 joins no such month into a line.)
    page.wait_for_selector("#grade-trend svg .mark-symbol.role-mark path")
    axis = page.locator("#grade-trend").inner_text()
    assert re.search(r"\b(jan|feb|mrt|apr|mei|jun|jul|aug|sep|okt|nov|dec) 20\d\d", axis), axis
    assert re.search(r"\d,\d", axis)  # grades with a decimal comma
    # One legend giving each channel its colour and its shape (never colour alone).
    assert page.locator("#grade-trend svg .role-legend").count() == 1
    # The legend names the channels drawn: those with a month of at least five answers
    # (a smaller group gets no point, metrics.disclosure); the table behind lists them all.
    spec = json.loads(page.locator("#grade-trend-spec").text_content())
    drawn = {p["channel"] for p in spec["data"]["values"]}
    listed = set(page.locator("figure.chart details tbody td:nth-child(2)").all_text_contents())
    symbols = page.locator("#grade-trend svg .role-legend .role-legend-symbol path")
    assert symbols.count() == len(drawn) >= 2
    assert drawn <= listed
    page.screenshot(path=str(screenshot_dir / "overview-nl.png"), full_page=True)
    # Filters swap the page's main part (htmx, no reload) and give the state its own URL.
    page.evaluate("window.notReloaded = true")
    page.fill("input[name=period]", "2026-Q3")
    page.select_option("select[name=channel]", "phone")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/app/gemeente-wadderveen/?period=2026-Q3&channel=phone&unit=")
    page.wait_for_selector("#kpi-caption:has-text('2026-Q3')")
    assert page.evaluate("window.notReloaded") is True
    assert page.locator("table.kpis tbody th").first.inner_text() == "Telefoon"
    # Drawn again (points only for months of five answers or more: this demo is small).
    page.wait_for_selector("#grade-trend svg .role-axis", state="attached")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("table.counts caption").inner_text() == "Measurements per channel and month"
    assert {"Phone", "E-mail", "Counter"} <= set(
        page.locator("table.counts tbody th").all_inner_texts()
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "overview-en-phone.png"), full_page=True)
    assert errors == []
    page.close()


def test_the_analyst_switches_between_organisations(served_demo, browser, screenshot_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _log_in(page, served_demo, "analist@klantpeil.example")
    page.wait_for_url("**/app/")
    # The analyst's own view: every organisation served, side by side, with its figures.
    rows = page.locator("table.portfolio tbody tr")
    assert rows.count() == 20
    grade = rows.filter(has_text="Woonstichting De Linde").locator("td").first.inner_text()
    assert re.fullmatch(r"\d\.\d ± \d\.\d", grade), grade  # English browser
    page.screenshot(path=str(screenshot_dir / "analyst-organisations-en.png"), full_page=True)
    page.click("table.portfolio >> text=Woonstichting De Linde")
    page.wait_for_url("**/app/woonstichting-de-linde/")
    page.click(".orgs summary")
    page.click(".orgs >> text=Groenvolt")
    page.wait_for_url("**/app/groenvolt/")
    assert page.locator("h1").inner_text() == "Groenvolt"
    page.close()


def test_the_printed_survey_link_opens_the_counter_form(served_demo, browser, axe_scan):
    url = re.search(r"Survey form as a customer sees it: (\S+)", served_demo["output"]).group(1)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(url)
    assert page.locator("h1").inner_text() == "Klantonderzoek na contact"
    assert page.locator(".r-org").inner_text() == "Gemeente Wadderveen"
    assert axe_scan(page) == []
    page.close()


def test_app_pages_have_no_serious_accessibility_violations(served_demo, browser, axe_scan):
    page = browser.new_page(locale="nl-NL")
    page.goto(served_demo["url"] + "/accounts/login/")
    assert axe_scan(page) == []
    _log_in(page, served_demo, "analist@klantpeil.example")
    page.wait_for_url("**/app/")
    pages = (
        "",
        "drivers/",
        "reachability/",
        "benchmark/",
        "employees/",
        "measurements/",
        "export/",
    )
    fieldwork = ("fieldwork/", "fieldwork/new/", "fieldwork/callbacks/overdue/")
    assert axe_scan(page) == []  # the analyst's view across organisations
    for path in (*pages, "import/", "tokens/", *fieldwork, "fieldwork/calibration/", "reports/"):
        page.goto(f"{served_demo['url']}/app/gemeente-wadderveen/{path}")
        assert axe_scan(page) == [], path
    page.close()


def test_a_shopper_scores_a_call_on_a_phone(served_demo, browser, axe_scan, screenshot_dir):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="nl-NL")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, "shopper@klantpeil.example")
    page.wait_for_load_state()
    page.goto(served_demo["url"] + "/app/gemeente-wadderveen/fieldwork/today/")
    assert page.locator("h1").inner_text() == "Vandaag"
    assert axe_scan(page) == []
    page.screenshot(path=str(screenshot_dir / "shopper-today-phone.png"), full_page=True)
    page.locator("a.card.task").first.click()
    page.wait_for_load_state()
    assert page.locator("#scenario-h").inner_text() == "Vraag"
    page.click("button[value=dialled]")
    page.wait_for_selector("button[value=answered]:not([disabled])")  # htmx swapped the taps
    page.wait_for_timeout(1100)
    page.click("button[value=answered]")
    page.wait_for_selector("#taps .hint")
    assert int(page.locator("#f-seconds_to_answer").input_value()) >= 1
    assert axe_scan(page) == []
    for key, value in {
        "transferred": "0",
        "ended_at": "right_person",
        "callback_promised": "0",
        "answer_correct": "1",
        "empathy": "1",
        "exp_listening": "4",
        "exp_understanding": "4",
        "exp_initiative": "3",
        "exp_clarity": "5",
        "exp_friendliness": "4",
        "overall_grade": "8",
    }.items():
        page.check(f"input[name={key}][value='{value}']")
    page.fill("#f-ivr_options", "2")
    page.screenshot(path=str(screenshot_dir / "shopper-scoring-phone.png"), full_page=True)
    page.click("button.r-submit")
    page.wait_for_url("**/fieldwork/today/")
    assert "Opgeslagen" in page.locator(".messages").inner_text()
    assert errors == []
    page.close()


def test_the_analyst_sees_a_completed_study_with_its_infographic(served_demo, browser, axe_scan):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    _log_in(page, served_demo, "analist@klantpeil.example")
    page.wait_for_url("**/app/")
    page.goto(served_demo["url"] + "/app/gemeente-wadderveen/fieldwork/")
    page.click("text=Bereikbaarheid najaar")
    page.wait_for_load_state()
    assert "150 of 150 contacts done" in page.locator(".lead").inner_text()
    image = page.locator(".infographic img")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    helped = page.locator("table.reach tr", has_text="Caller helped").locator("td").first
    assert re.fullmatch(r"\d+%", helped.inner_text().strip())
    assert axe_scan(page) == []
    page.close()


def test_the_priority_matrix_draws_every_driver(served_demo, browser, screenshot_dir):
    page, errors = _watched_page(browser, served_demo, "manager@wadderveen.example", locale="en-GB")
    page.wait_for_load_state()
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    page.goto(served_demo["url"] + "/app/gemeente-wadderveen/drivers/")
    page.wait_for_selector("#priority-matrix svg .mark-symbol.role-mark path")
    drivers = page.locator("table.drivers tbody th").all_inner_texts()
    chart = page.locator("#priority-matrix").inner_text()
    assert drivers and all(name in chart for name in drivers)
    assert page.locator("#priority-matrix svg .mark-symbol.role-mark path").count() == len(drivers)
    page.locator("figure.chart").screenshot(path=str(screenshot_dir / "priority-matrix-en.png"))
    page.goto(served_demo["url"] + "/app/gemeente-wadderveen/benchmark/")
    # The served demo is small (2% of the full one): no organisation has the 30 responses
    # a quarter's sector cell needs, so every row says why it is not shown, no chart.
    page.wait_for_selector("#bench-table")
    reasons = page.locator("table.kpis tbody td[colspan]").all_inner_texts()
    assert reasons and all(reasons), reasons
    assert page.locator("#sector-position").count() == 0
    page.screenshot(path=str(screenshot_dir / "benchmark-en.png"), full_page=True)
    assert errors == []
    page.close()


def test_the_served_demo_runs_the_worker_that_folds_new_measurements_in(served_demo):
    """The demo's studies record calls after the rollups were built; the worker that
    `klantpeil demo` starts beside the server must fold them in by itself."""
    database = served_demo["data_dir"] / "klantpeil.sqlite3"
    deadline = time.monotonic() + 60
    while True:
        with sqlite3.connect(database) as connection:
            waiting = connection.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY' "
                # not the ones queued for later (the daily self-check)
                "AND (run_after LIKE '9999%' OR run_after <= datetime('now'))"
            ).fetchone()[0]
            behind = connection.execute(  # measurements waiting in the rollups' outbox
                "SELECT count(*) FROM analytics_measurementrecorded WHERE subscriber = 'rollups'"
            ).fetchone()[0]
            done = connection.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                "WHERE status = 'SUCCESSFUL'"
            ).fetchone()[0]
        if waiting == 0 and behind == 0:
            break
        assert time.monotonic() < deadline, f"{waiting} task(s) waiting, {behind} behind"
        time.sleep(1)
    assert done >= 1


def test_every_dashboard_page_filters_in_place(served_demo, browser):
    """Each page's filter bar swaps the figures without a reload and gives the state a URL."""
    page, errors = _watched_page(browser, served_demo, "manager@wadderveen.example", locale="nl-NL")
    page.wait_for_url("**/app/gemeente-wadderveen/")
    base = served_demo["url"] + "/app/gemeente-wadderveen/"
    page.goto(base + "drivers/")
    before = page.locator("#main").inner_text()
    page.evaluate("window.notReloaded = true")
    page.select_option("select[name=channel]", "phone")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/drivers/?period=&channel=phone&unit=")
    page.wait_for_function("b => document.querySelector('#main').innerText !== b", arg=before)
    assert page.locator("select[name=channel]").input_value() == "phone"
    assert page.evaluate("window.notReloaded") is True
    # The benchmark takes whole quarters or years that are over (2026 is still running).
    for path, shown, period in (
        ("reachability/", "table.reach", "2026"),
        ("benchmark/", "#bench-table", "2026-Q3"),
        ("employees/", "p.hint", "2026"),
    ):
        page.goto(base + path)
        page.evaluate("window.notReloaded = true")
        page.fill("input[name=period]", period)
        page.click("form.filters button[type=submit]")
        page.wait_for_url(f"**/{path}?period={period}*")
        page.wait_for_selector(shown)
        assert page.evaluate("window.notReloaded") is True, path
    assert page.locator("input[name=period]").input_value() == "2026"
    page.goto(base + "benchmark/?period=2026-Q9")
    assert "2026-Q9" in page.locator("p.error").inner_text()  # said, not a server error
    assert errors == []
    page.close()


def test_a_manager_makes_a_pdf_report_with_the_button(served_demo, browser, screenshot_dir):
    """The button queues the report, the page shows the worker's progress, then the file."""
    page, errors = _watched_page(browser, served_demo, "manager@wadderveen.example", locale="nl-NL")
    page.wait_for_url("**/app/gemeente-wadderveen/")
    page.click("nav.tabs >> text=Rapporten")
    page.fill("#id_period", "2026-Q3")
    page.select_option("#id_format", "pdf")
    page.click("button[type=submit] >> text=Maak het rapport")
    page.wait_for_url("**/reports/*/")
    page.wait_for_selector("#report-status >> text=Het rapport is klaar.", timeout=60_000)
    page.screenshot(path=str(screenshot_dir / "report-ready-nl.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#report-status a")
    path = download.value.path()
    assert download.value.suggested_filename == "klantpeil-gemeente-wadderveen-2026-Q3-nl.pdf"
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert errors == []
    page.close()
