"""The segment comparison in a real Chromium on the served demo: the chart is drawn,
a keyboard user changes what is compared, and the page passes the accessibility scan."""

from __future__ import annotations

import json

import pytest

from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

ORG = "gemeente-wadderveen"


def test_the_chart_is_drawn_and_a_keyboard_user_changes_the_dimension(
    served_demo, browser, axe_scan, screenshot_dir
):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, "manager@wadderveen.example")
    page.wait_for_load_state()
    page.goto(f"{served_demo['url']}/app/{ORG}/segments/?dimension=unit&kpi=grade")
    # The chart: one point per unit with a figure, drawn as SVG by vega-embed.
    page.wait_for_selector("#segments-chart svg .mark-symbol.role-mark path")
    spec = json.loads(page.locator("#segments-spec").text_content())
    points = page.locator("#segments-chart svg .mark-symbol.role-mark path")
    assert points.count() == len(spec["data"]["values"]) > 0
    assert page.locator("#segments-table thead th").first.inner_text() == "Unit (team)"
    assert axe_scan(page) == []
    page.locator("#main").screenshot(path=screenshot_dir / "segments-units.png")

    # Keyboard only: Tab from the period field to "Compare by", then the arrow key.
    page.focus("#filter-period")
    for _ in range(12):
        if page.evaluate("document.activeElement.id") == "segment-dimension":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "segment-dimension"
    with page.expect_response(lambda r: "dimension=channel" in r.url):
        page.keyboard.press("ArrowDown")  # unit → channel; the change submits the form
    page.wait_for_selector("#segments-table thead th:text-is('Channel')")
    assert "dimension=channel" in page.url  # the new state has its own address
    page.wait_for_selector("#segments-chart svg .mark-symbol.role-mark path")
    spec = json.loads(page.locator("#segments-spec").text_content())
    drawn = {p["segment"] for p in spec["data"]["values"]}
    assert {"Phone", "E-mail", "Counter"} <= drawn
    assert page.locator("#segments-chart svg .mark-symbol.role-mark path").count() == len(drawn)
    page.locator("#main").screenshot(path=screenshot_dir / "segments-channels.png")
    assert errors == []
