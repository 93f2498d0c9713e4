"""The comments and social pages on the served demo, in a real Chromium."""

from __future__ import annotations

import pytest

from tests.test_demo_e2e import _log_in

pytestmark = pytest.mark.browser

ORG = "gemeente-wadderveen"


def _manager_page(served_demo, browser, locale: str):
    """A signed-in manager's page in ``locale``, collecting console errors."""
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=locale)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _log_in(page, served_demo, "manager@wadderveen.example")
    page.wait_for_load_state()
    return page, errors


def test_the_manager_filters_comments_and_each_state_has_its_url(
    served_demo, browser, axe_scan, screenshot_dir
):
    page, errors = _manager_page(served_demo, browser, "nl-NL")
    page.click("nav.tabs >> text=Opmerkingen")
    page.wait_for_selector("#mood-trend svg .mark-symbol.role-mark path")
    total = page.locator("#comment-count").inner_text()
    assert "opmerkingen" in total
    assert 0 < page.locator("ol.comments li.comment").count() <= 25
    assert page.locator("ol.comments mark").count() > 0  # words that drove the score
    assert axe_scan(page) == []

    # Filters swap the page with htmx and push their own URL.
    page.select_option("select[name=sentiment]", "negative")
    page.select_option("select[name=driver]", "waiting_time")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**sentiment=negative**")
    assert "driver=waiting_time" in page.url
    labels = page.locator("ol.comments .meta .sentiment").all_inner_texts()
    assert labels and set(labels) == {"Negatief"}
    tags = page.locator("ol.comments li.comment").first.locator("a.tag").all_inner_texts()
    assert "Wachttijd" in tags
    filtered_url = page.url

    # The same URL opened fresh gives the same state; the pager keeps the filters.
    fresh = browser.new_page(locale="nl-NL")
    fresh.context.add_cookies(page.context.cookies())
    fresh.goto(filtered_url)
    assert fresh.locator("select[name=sentiment]").input_value() == "negative"
    fresh.close()
    if page.locator("nav.pager >> text=Ouder").count():
        page.click("nav.pager >> text=Ouder")
        page.wait_for_url("**page=2**")
        assert "sentiment=negative" in page.url

    page.select_option("select[name=driver]", "")
    page.fill("input[name=q]", "wacht")
    page.press("input[name=q]", "Enter")  # a keyboard user filters from the field
    page.wait_for_url("**q=wacht**")
    texts = page.locator("ol.comments .text").all_inner_texts()
    assert texts and all("wacht" in t.lower() for t in texts)
    # Focus stays in the field, the new count is said in the live region, and filtering
    # again does not repeat the query's parameters.
    assert page.evaluate("document.activeElement.id") == "comments-q"
    page.wait_for_function("document.getElementById('announcer').textContent.length > 0")
    announced = page.locator("#announcer").inner_text()
    assert "opmerkingen" in announced
    assert announced.split()[0] == page.locator("#comment-count").inner_text().split()[0]
    query = page.url.split("?", 1)[1].split("&")
    assert len(query) == len({part.split("=")[0] for part in query}), page.url
    page.screenshot(path=str(screenshot_dir / "comments-nl.png"), full_page=True)
    assert axe_scan(page) == []
    assert errors == []
    page.close()


def test_the_social_page_shows_volume_mood_answers_and_response_time(
    served_demo, browser, axe_scan, screenshot_dir
):
    page, errors = _manager_page(served_demo, browser, "en-GB")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    page.goto(f"{served_demo['url']}/app/{ORG}/social/")
    volume = int(page.locator("#social-volume").inner_text().replace(",", ""))
    assert volume > 0
    # A mood whose interval spans more than 40% of the 1–3 scale, or of fewer than five
    # posts (the minimum group), says so instead.
    mood = page.locator("#social-mood").inner_text()
    if not mood.startswith(("too few responses (n = ", "too few responses (n < ")):
        assert 1.0 <= float(mood.split()[0]) <= 3.0
    assert page.locator("#social-answered").inner_text().split()[0].endswith("%")
    assert "business hours" in page.locator("#social-response").inner_text()
    assert page.locator("table.kpis tbody tr").count() >= 1
    assert axe_scan(page) == []
    page.screenshot(path=str(screenshot_dir / "social-en.png"), full_page=True)
    assert errors == []
    page.close()
