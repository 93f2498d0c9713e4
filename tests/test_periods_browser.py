"""Issue 20 in a real Chromium on the served demo: the running month is marked in the
overview's trend, a period typed in words filters every figure, and a period that
cannot be read is an error beside the field with no unfiltered figures."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

ORG = "gemeente-wadderveen"
MONTHS = "january february march april may june july august september october november december"


def _manager(served_demo, browser):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, "manager@wadderveen.example")
    page.wait_for_load_state()
    page.goto(f"{served_demo['url']}/app/{ORG}/")  # in English: the browser's language
    assert page.locator("html[lang=en]").count() == 1
    return page, errors


def test_the_running_month_is_marked_in_the_overview_trend(served_demo, browser, screenshot_dir):
    page, errors = _manager(served_demo, browser)
    page.wait_for_selector("#grade-trend svg .mark-symbol.role-mark path")
    today = date.today()
    running = today.replace(day=1).isoformat()
    spec = json.loads(page.locator("#grade-trend-spec").text_content())
    points = [p for p in spec["data"]["values"] if p["month"] == running]
    month = today.strftime("%b %Y")
    rows = page.locator(f"tr.incomplete td:has-text('{month} (so far)')").count()
    assert rows, "the demo has answers in the running month"
    # Drawn only for a channel with five answers or more this month (early in a month
    # this small demo may have none): never joined into the line, "so far" in the tip.
    assert len(points) <= rows
    assert all(p["line"] is None and p["joined"] is False for p in points)
    assert {p["note"] for p in points} <= {"so far: the month is not over"}
    # Hollow points: the running month's, and every month below the minimum n (many in
    # this small demo), none of them on the line.
    hollow = page.locator("#grade-trend svg .mark-symbol.role-mark").last.locator("path")
    assert hollow.count() >= len(points)
    fills = {hollow.nth(i).get_attribute("fill") for i in range(hollow.count())}
    assert fills <= {"transparent", "none", None}
    # The table behind the chart says "so far" beside the running month, and the window
    # is written out with its dates.
    shown = page.locator("#active-filters").inner_text()
    assert f"and {today.strftime('%B')} so far" in shown
    page.locator("#grade-trend").screenshot(path=screenshot_dir / "trend-running-month.png")
    assert errors == []


def test_typing_a_month_in_words_filters_every_figure(served_demo, browser, screenshot_dir):
    page, errors = _manager(served_demo, browser)
    today = date.today()
    index = (today.year * 12 + today.month - 1) - 3  # three months back: a complete month
    year, number = divmod(index, 12)
    words = f"{MONTHS.split()[number]} {year}"  # e.g. "september 2026"
    label = f"{year}-{number + 1:02d}"
    page.fill("input[name=period]", words)
    page.click("form.filters button[type=submit]")
    page.wait_for_url(lambda url: f"period={words.replace(' ', '%20')}" in url)
    page.wait_for_selector("#active-filters")
    assert page.locator("input[name=period]").input_value() == words
    assert page.locator("#active-filters").inner_text().startswith(f"Shown: {label} (1 ")
    assert f"customer measurements in {label}." in page.locator("#headline-count").inner_text()
    heads = page.locator("table.counts thead th").all_inner_texts()
    first = date(year, number + 1, 1).strftime("%b %Y")
    assert heads[1:] == [first, "Total"]  # one month, whatever it is called
    cells = page.locator("#grade-trend ~ details tbody td:first-child")
    months = set(cells.all_text_contents())  # in a closed <details>: text, not inner text
    assert months == {first}
    assert "the last twelve months" not in page.locator("#kpi-caption").inner_text()
    page.screenshot(path=screenshot_dir / "overview-typed-month.png", full_page=True)
    assert errors == []


def test_an_unreadable_period_is_an_error_beside_the_field_and_no_figures(
    served_demo, browser, axe_scan, screenshot_dir
):
    page, errors = _manager(served_demo, browser)
    assert page.locator("table.kpis").count() > 0  # figures before
    page.fill("input[name=period]", "Q5 2026")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("#filter-period-error")
    field = page.locator("input[name=period]")
    assert field.get_attribute("aria-invalid") == "true"
    assert "filter-period-error" in field.get_attribute("aria-describedby").split()
    message = page.locator("form.filters #filter-period-error").inner_text()
    assert message.startswith("Period: “Q5 2026” is not a period: quarter 5 does not exist")
    # No figures at all, and the page says why; never the last twelve months instead.
    for figure in ("table.kpis", "table.counts", "#grade-trend", "#headline-count", ".callout"):
        assert page.locator(figure).count() == 0, figure
    assert page.locator("#filters-refused").is_visible()
    assert page.locator("#active-filters").count() == 0
    assert axe_scan(page) == []
    page.screenshot(path=screenshot_dir / "overview-period-error.png", full_page=True)
    assert errors == []
