"""Issue 15 in a real Chromium on the served demo: a manager edits an invitation's
wording and sees the customer's preview follow, an unknown variable is named beside
its field, an SMS counts its parts, and the funnel panel draws its chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

ORG = "gemeente-wadderveen"


def _page(served_demo, browser, locale: str = "en-GB"):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=locale)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, "manager@wadderveen.example")
    page.wait_for_load_state()
    return page, errors


def test_editing_a_template_updates_the_preview_and_names_an_unknown_variable(
    served_demo, browser, screenshot_dir, axe_scan
):
    page, errors = _page(served_demo, browser)
    page.goto(f"{served_demo['url']}/app/{ORG}/distribution/templates/email/invitation/en/")
    subject = page.locator("#preview-subject")
    assert subject.inner_text() == "How was your contact with Gemeente Wadderveen?"
    page.fill("#f-subject", "Your view on {{ organisation }}, please")
    expect(subject).to_have_text("Your view on Gemeente Wadderveen, please")
    assert page.locator("#err-subject").inner_text() == ""
    body = page.locator("#f-text_body")
    body.fill("Dear {{ name }}, answer here: {{ link }} ({{ organisation }}) {{ opt_out_link }}")
    error = page.locator("#err-text_body")
    error.filter(has_text="unknown variable").wait_for()
    assert error.inner_text().startswith("Plain text: unknown variable {{ name }}")
    # The preview shows what the customer would get: the sample link, clickable.
    link = page.locator("#preview-html a").first
    assert re.match(r"http://127\.0\.0\.1:\d+/s/example-", link.get_attribute("href"))
    page.locator(".editor").screenshot(path=screenshot_dir / "template-editor.png")
    assert axe_scan(page) == []
    # Fixed, the error goes away; saving is refused while it is there, accepted after.
    body.fill("Dear customer, answer here: {{ link }} ({{ organisation }}) {{ opt_out_link }}")
    expect(error).to_have_text("")
    page.click("button[value=save]")
    page.locator(".messages").filter(has_text="Template saved.").wait_for()
    page.click("#reset-template")
    page.locator(".messages").filter(has_text="The default wording is back.").wait_for()
    assert errors == []


def test_the_sms_preview_counts_characters_and_parts(served_demo, browser):
    page, errors = _page(served_demo, browser, "nl-NL")
    page.goto(f"{served_demo['url']}/app/{ORG}/distribution/templates/sms/reminder/nl/")
    size = page.locator("#sms-size")
    assert re.match(r"\d+ tekens \(GSM-7\): 1 sms$", size.inner_text())
    longer = "Wij horen graag hoe het ging. " * 5
    page.fill("#f-text_body", "{{ organisation }}: " + longer + "{{ link }} {{ opt_out_link }}")
    expect(size).to_have_text(re.compile(r"^\d+ tekens \(GSM-7\): 2 sms-delen$"))
    assert errors == []


def test_the_funnel_panel_draws_its_chart_and_table(served_demo, browser, axe_scan):
    page, errors = _page(served_demo, browser)
    page.goto(f"{served_demo['url']}/app/{ORG}/")
    page.click("nav.tabs >> text=Invitations")
    page.wait_for_selector("#funnel-chart svg .mark-rect.role-mark path")
    made = int(page.locator('tr[data-step="made"] td').first.inner_text().replace(",", ""))
    completed = int(
        page.locator('tr[data-step="completed"] td').first.inner_text().replace(",", "")
    )
    assert made > completed > 0
    assert page.locator('tr[data-step="made"] td').nth(1).inner_text() == "100%"
    bars = page.locator("#funnel-chart svg .mark-rect.role-mark path").count()
    assert bars >= 5  # at least the main path
    assert axe_scan(page) == []
    assert errors == []
