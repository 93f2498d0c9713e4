"""The Content-Security-Policy holds in a real browser: charts draw without eval or inline
script, and no page of the served demo triggers a CSP violation."""

from __future__ import annotations

import pytest

from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

PAGES = (
    "",
    "drivers/",
    "reachability/",
    "benchmark/",
    "employees/",
    "measurements/",
    "export/",
    "import/",
    "tokens/",
    "fieldwork/",
    "fieldwork/new/",
    "privacy/forget/",
)


def test_pages_and_charts_work_under_the_content_security_policy(served_demo, browser, axe_scan):
    page = browser.new_page(locale="nl-NL")
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    response = page.goto(served_demo["url"] + "/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    _log_in(page, served_demo, "manager@wadderveen.example")
    page.wait_for_url("**/app/gemeente-wadderveen/")
    for path in PAGES:
        page.goto(f"{served_demo['url']}/app/gemeente-wadderveen/{path}")
        page.wait_for_load_state("networkidle")
        for chart in page.locator(".vega[data-spec]").all():
            chart.locator("svg").first.wait_for()  # drawn with the expression interpreter
    assert axe_scan(page) == []  # the privacy page, last in the list, is accessible too
    page.goto(served_demo["url"] + "/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info")
    assert violations == []
    # The API docs are accessible too: a language, no control inside a control, contrast,
    # also with an operation that takes a body opened (its examples list has a label).
    assert page.locator("html").get_attribute("lang") == "en"
    assert axe_scan(page) == []
    page.locator(".opblock-post .opblock-summary-control").first.click()
    page.wait_for_selector(".opblock-post .opblock-body")
    assert axe_scan(page) == []
    # An inline script is refused, so the policy is really in force.
    page.goto(f"{served_demo['url']}/app/gemeente-wadderveen/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = 1'; document.body.appendChild(s); }"
    )
    assert page.evaluate("window.injected") is None
    assert any("Content Security Policy" in v for v in violations)
    page.close()
