"""The README's first command as a newcomer meets it: demo served, logins printed, pages work."""

from __future__ import annotations

import re
import urllib.request

import pytest

pytestmark = pytest.mark.browser


def test_healthz_answers_200_on_the_served_demo(served_demo):
    with urllib.request.urlopen(served_demo["url"] + "/healthz") as response:
        assert response.status == 200
        assert response.headers["Server"] == "klantpeil"  # waitress, not runserver


def test_every_printed_login_works(served_demo, browser):
    logins = served_demo["logins"]
    assert set(logins.values()) == {"operator", "analyst", "manager", "viewer", "shopper"}
    for email, role in logins.items():
        page = browser.new_page()
        page.goto(served_demo["url"] + "/accounts/login/")
        page.fill("#id_login", email)
        page.fill("#id_password", served_demo["password"])
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, f"{email} ({role}) could not log in"
        assert page.locator("header .who").inner_text() == email
        page.close()


def test_a_manager_sees_counts_per_channel_in_dutch_and_english(
    served_demo, browser, screenshot_dir
):
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(served_demo["url"] + "/accounts/login/")
    page.fill("#id_login", "manager@wadderveen.example")
    page.fill("#id_password", served_demo["password"])
    page.click("button[type=submit].primary")
    page.wait_for_url("**/app/gemeente-wadderveen/")
    assert page.locator("h1").inner_text() == "Gemeente Wadderveen"
    assert page.locator("table.counts caption").inner_text() == "Metingen per kanaal en maand"
    rows = page.locator("table.counts tbody th").all_inner_texts()
    assert {"Telefoon", "E-mail", "Balie"} <= set(rows)
    # Grades per channel with their interval, written the Dutch way (7,4 ± 0,1).
    phone = page.locator("table.kpis tbody tr", has_text="Telefoon").locator("td").first
    assert re.fullmatch(r"\d,\d ± \d,\d", phone.inner_text())
    page.screenshot(path=str(screenshot_dir / "overview-nl.png"), full_page=True)
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


def test_the_analyst_switches_between_organisations(served_demo, browser):
    page = browser.new_page()
    page.goto(served_demo["url"] + "/accounts/login/")
    page.fill("#id_login", "analist@klantpeil.example")
    page.fill("#id_password", served_demo["password"])
    page.click("button[type=submit].primary")
    page.wait_for_url("**/app/")
    assert page.locator(".cards li").count() == 20
    page.click(".cards >> text=Woonstichting De Linde")
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
    page.fill("#id_login", "analist@klantpeil.example")
    page.fill("#id_password", served_demo["password"])
    page.click("button[type=submit].primary")
    page.wait_for_url("**/app/")
    for path in ("", "drivers/", "measurements/", "export/", "import/", "tokens/"):
        page.goto(f"{served_demo['url']}/app/gemeente-wadderveen/{path}")
        assert axe_scan(page) == [], path
    page.close()
