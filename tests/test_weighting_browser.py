"""Issue 14 in a real Chromium on the served demo: the overview shows the survey figures
of all channels unweighted and weighted to the demo's contact volumes, with the
effective n, and the volumes page names bad input without saving anything."""

from __future__ import annotations

import re

import pytest

from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

ORG = "gemeente-wadderveen"


def _page(served_demo, browser, locale: str):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=locale)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, "manager@wadderveen.example")
    page.wait_for_load_state()
    return page, errors


def _number(text: str) -> float:
    return float(text.replace(".", "").replace(",", "."))


def test_the_overview_shows_weighted_and_unweighted_with_effective_n(
    served_demo, browser, screenshot_dir, axe_scan
):
    page, errors = _page(served_demo, browser, "en-GB")
    page.goto(f"{served_demo['url']}/app/{ORG}/")
    table = page.locator("#weighted-kpis")
    table.wait_for()
    unweighted = page.locator("#unweighted-row")
    weighted = page.locator("#weighted-row")
    assert unweighted.is_visible() and weighted.is_visible()
    assert "Unweighted" in unweighted.inner_text()
    assert "Weighted to contact volumes" in weighted.inner_text()
    n = int(unweighted.locator("td").last.inner_text().replace(",", ""))
    effective = re.search(r"effective ([\d,]+)", weighted.locator("td").last.inner_text())
    assert effective, weighted.inner_text()
    n_eff = int(effective.group(1).replace(",", ""))
    # Weighting costs effective responses: fewer than the responses, never none.
    assert 1 <= n_eff < n
    # Both rows give a grade; the demo's contacts lean to the phone, its answers do not.
    grades = [
        float(re.match(r"\d+\.\d", row.locator("td").first.inner_text()).group(0))
        for row in (unweighted, weighted)
    ]
    assert all(1 <= g <= 10 for g in grades)
    hint = page.locator("#weighted-hint").inner_text()
    assert "each channel counts as its share of contacts" in hint
    assert re.search(r"Phone: \d+% of responses, \d+% of contacts\.", hint)
    table.screenshot(path=screenshot_dir / "weighted-overview.png")
    assert axe_scan(page) == []
    # Narrowed to one channel there is nothing to weight between channels: no block.
    page.goto(f"{served_demo['url']}/app/{ORG}/?channel=phone")
    page.locator("table.kpis").first.wait_for()
    assert page.locator("#weighted-kpis").count() == 0
    assert errors == []


def test_the_overview_in_dutch(served_demo, browser):
    page, errors = _page(served_demo, browser, "nl-NL")
    page.goto(f"{served_demo['url']}/app/{ORG}/")
    page.locator("#weighted-kpis").wait_for()
    assert "Gewogen naar contactvolumes" in page.locator("#weighted-row").inner_text()
    assert "effectief" in page.locator("#weighted-row").inner_text()
    assert "elk kanaal telt mee naar zijn aandeel" in page.locator("#weighted-hint").inner_text()
    assert errors == []


def test_bad_input_on_the_volumes_page_is_named_and_nothing_is_saved(
    served_demo, browser, axe_scan
):
    page, errors = _page(served_demo, browser, "en-GB")
    page.goto(f"{served_demo['url']}/app/{ORG}/volumes/")
    cells = page.locator("#volumes input[name^='c-phone-']")
    assert cells.count() == 13
    first = cells.first
    stored = first.input_value()
    assert stored.isdigit()  # the demo entered every month
    assert axe_scan(page) == []
    first.fill("lots")
    page.locator("button[type=submit].primary").click()
    problems = page.locator("#volume-problems")
    problems.wait_for()
    assert "1 problem, nothing was saved" in problems.inner_text()
    assert "is not a whole number of contacts" in problems.inner_text()
    assert page.locator("#volumes input[aria-invalid=true]").count() == 1
    page.goto(f"{served_demo['url']}/app/{ORG}/volumes/")
    assert page.locator("#volumes input[name^='c-phone-']").first.input_value() == stored
    assert errors == []
