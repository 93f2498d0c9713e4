"""Issue 14 in a real Chromium on the served demo: a manager limited to one unit (made
with ``klantpeil createuser --units``) sees only that unit in the unit filter, and the
overview's count is that unit's, never the organisation's."""

from __future__ import annotations

import re

import pytest

from tests.conftest import klantpeil
from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

ORG = "gemeente-wadderveen"


def _page(served_demo, browser, email):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    _log_in(page, served_demo, email)
    page.wait_for_load_state()
    page.goto(f"{served_demo['url']}/app/{ORG}/")
    page.wait_for_selector("#filter-unit")
    return page, errors


def _units(page) -> list[tuple[str, str]]:
    options = page.locator("#filter-unit option")
    return [
        (options.nth(i).get_attribute("value"), options.nth(i).inner_text())
        for i in range(options.count())
    ]


def _count(page) -> int:
    text = page.locator("#headline-count").inner_text()
    return int(re.match(r"([\d,]+) measurement", text).group(1).replace(",", ""))


def test_a_manager_limited_to_a_unit_sees_only_that_unit(served_demo, browser, screenshot_dir):
    whole, errors = _page(served_demo, browser, "manager@wadderveen.example")
    every = _units(whole)
    assert every[0] == ("", "All units") and len(every) >= 3
    code, name = every[1]
    organisation_count = _count(whole)
    # The same organisation's count for that one unit, as a whole-organisation manager sees it.
    whole.select_option("#filter-unit", code)
    whole.click("form.filters button[type=submit]")
    whole.wait_for_url(f"**unit={code}**")
    whole.wait_for_selector("#headline-count")
    unit_count = _count(whole)
    assert 0 < unit_count < organisation_count

    made = klantpeil(
        "createuser",
        "teamlead@wadderveen.example",
        "--org",
        ORG,
        "--role",
        "manager",
        "--units",
        code,
        "--data-dir",
        str(served_demo["data_dir"]),
        env={"DATABASE_URL": "", "KLANTPEIL_PASSWORD": served_demo["password"]},
    )
    assert made.returncode == 0, made.stderr
    assert f"limited to the units {code}" in made.stdout

    lead, lead_errors = _page(served_demo, browser, "teamlead@wadderveen.example")
    assert _units(lead) == [("", "All my units"), (code, name)]
    # "All my units" counts that unit's measurements: the organisation's are not shown.
    assert _count(lead) == unit_count
    assert f"{organisation_count:,} measurements" not in lead.content()
    # No data management for a limited member: no import link, and the page is refused.
    assert lead.locator(f"a[href='/app/{ORG}/import/']").count() == 0
    response = lead.goto(f"{served_demo['url']}/app/{ORG}/import/")
    assert response.status == 403
    lead.goto(f"{served_demo['url']}/app/{ORG}/")
    lead.wait_for_selector("#filter-unit")
    # The refused page, on purpose: its 403 and the favicon.ico its plain error page
    # (Django's, no icon link) makes the browser ask for.
    assert lead_errors[0].startswith("403 ") and all("40" in e for e in lead_errors)
    lead_errors.clear()
    lead.locator("form.filters").screenshot(path=screenshot_dir / "unit-limited-filter.png")
    # Another unit typed into the address: the same error as a unit nobody has.
    other = every[2][0]
    lead.goto(f"{served_demo['url']}/app/{ORG}/?unit={other}")
    error = lead.locator("#filter-unit-error").inner_text()
    assert error == f"Unit: this organisation has no unit with the code {other}."
    assert errors == [] and lead_errors == []
