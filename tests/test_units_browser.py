"""The units page in a real Chromium on the served demo: Wadderveen's tree is shown
indented, a manager adds a unit, moves it, and a cycle is refused beside its field."""

from __future__ import annotations

import pytest

from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

ORG = "gemeente-wadderveen"


def _tree(page) -> list[tuple[str, str]]:
    rows = page.locator("#unit-tree tbody tr")
    return [
        (rows.nth(i).get_attribute("data-code"), rows.nth(i).locator("td").nth(1).inner_text())
        for i in range(rows.count())
    ]


def test_a_manager_adds_and_moves_a_unit_in_the_tree(
    served_demo, browser, axe_scan, screenshot_dir
):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, "manager@wadderveen.example")
    page.wait_for_load_state()
    page.goto(f"{served_demo['url']}/app/{ORG}/units/")
    tree = dict(_tree(page))
    assert tree["balie-centrum"] == "Publiekszaken › Burgerzaken › Balie Centrum"
    assert axe_scan(page) == []

    page.fill("#id_code", "balie-noord")
    page.fill("#id_name", "Balie Noord")
    page.select_option("#id_parent", "burgerzaken")
    page.click("form button.primary")
    page.wait_for_selector("tr[data-code='balie-noord']")
    assert dict(_tree(page))["balie-noord"] == "Publiekszaken › Burgerzaken › Balie Noord"
    assert page.locator("tr[data-code='balie-noord']").get_attribute("data-depth") == "2"

    # Move it up one level: the edit form offers every unit but itself and its own.
    page.click("tr[data-code='balie-noord'] a")
    page.wait_for_selector("#id_parent")
    offered = page.eval_on_selector_all("#id_parent option", "os => os.map(o => o.value)")
    assert "balie-noord" not in offered and "publiekszaken" in offered
    page.select_option("#id_parent", "publiekszaken")
    page.click("form button.primary")
    page.wait_for_selector("#unit-tree")
    assert dict(_tree(page))["balie-noord"] == "Publiekszaken › Balie Noord"

    # A unit under its own sub-unit (a stale form) is refused beside "Part of".
    page.goto(f"{served_demo['url']}/app/{ORG}/units/publiekszaken/")
    page.evaluate(
        "() => { const s = document.querySelector('#id_parent');"
        " const o = new Option('x', 'balie-centrum'); s.add(o); s.value = 'balie-centrum'; }"
    )
    page.click("form button.primary")
    error = page.locator("#id_parent_error").inner_text()
    assert error.startswith("Publiekszaken cannot be part of Balie Centrum")
    page.locator("#main").screenshot(path=screenshot_dir / "units-cycle.png")
    page.goto(f"{served_demo['url']}/app/{ORG}/units/")
    assert dict(_tree(page))["publiekszaken"] == "Publiekszaken"  # nothing saved
    assert errors == []
