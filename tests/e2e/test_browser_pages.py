"""The generated pages as people use them, in Chromium: the search box (`/` focuses it), a
record's page named after it with its own buttons, the history in words, a deal form whose
contact picker follows the client, a likely duplicate flagged while typing, dropping a deal on
Closed asking won or lost, the members page, the profile, a narrow screen. Screenshots go to
docs/screenshots/ with `make screenshots`."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser_clients import flashes, log_in, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e


def test_lists_search_and_records_read_well(page, requests_made, screenshot_dir):
    log_in(page, "manager", "manager123")
    page.goto("/clients/list/")
    page.keyboard.press("/")
    expect(page.locator("#search-box")).to_be_focused()
    page.keyboard.type("acme")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("table.opshub-list tbody tr")).to_have_count(1)
    expect(page.locator("#active-criteria")).to_contain_text("“acme”")
    screenshot(page, screenshot_dir, "list-search.png")
    page.locator("table.opshub-list tbody tr a[href*='/clients/show/']").first.click()
    expect(page.locator("#record-title")).to_contain_text("Acme Corporation")
    expect(page.locator("#edit-btn")).to_be_visible()
    expect(page.locator("[data-action='archive']")).to_have_count(1)
    expect(page.locator("[data-action='restore']")).to_have_count(0)
    screenshot(page, screenshot_dir, "record-page.png")
    page.click("#history-tab")
    expect(page.locator("#History td", has_text="Notes").first).to_be_visible()  # a label, not a column name
    screenshot(page, screenshot_dir, "record-history.png")
    assert requests_made.external() == []


def test_a_deal_form_narrows_contacts_and_flags_a_likely_duplicate(page):
    log_in(page, "manager", "manager123")
    page.goto("/deals/add")
    page.click("#client + .select2 .select2-selection")
    page.fill(".select2-search__field", "Acme")
    page.locator(".select2-results__option", has_text="Acme Corporation").click()
    page.click("#contact + .select2 .select2-selection")
    # the picker asked for Acme's contacts only (the server narrows it: tests/core/test_record_pages.py)
    with page.expect_response(re.compile(r"/deals/lookup/contact\?.*client=\d+")) as asked:
        page.fill(".select2-search__field", "")
    assert asked.value.ok
    page.keyboard.press("Escape")
    page.goto("/clients/add")
    page.fill("#name", "acme corporation")
    page.locator("#email").focus()  # leaving the field asks the server
    expect(page.locator("#duplicate-name")).to_contain_text("Possibly a duplicate of Acme Corporation")
    expect(page.locator("#duplicate-name a")).to_have_attribute("href", re.compile(r"/clients/show/\d+"))


def test_dropping_a_deal_on_closed_asks_won_or_lost(page):
    log_in(page, "manager", "manager123")
    page.goto("/pipeline/")
    card = page.locator("section[data-column='negotiation'] article.deal-card").first
    title = card.locator(".card-title").inner_text()
    card.drag_to(page.locator("section[data-column='closed']"), target_position={"x": 20, "y": 20})
    modal = page.locator("#close-deal-modal")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text(title)
    with page.expect_navigation():
        page.click("#close-lost")
    assert "closed as lost" in flashes(page)


def test_members_and_profile_pages(page, screenshot_dir):
    log_in(page, "admin", "admin123")
    page.goto("/organization/members/")
    expect(page.locator("#members-table")).to_contain_text("staff")
    screenshot(page, screenshot_dir, "members.png")
    page.click("a.dropdown-toggle:has(.fa-user)")
    page.click("#profile-link")
    expect(page.locator("#profile-title")).to_contain_text("Ada Admin")
    page.fill("#current_password", "wrong")
    page.fill("#password", "tangerine-bicycle-42")
    page.fill("#confirm", "tangerine-bicycle-42")
    page.click("#password-form button[type=submit]")
    expect(page.locator("#password-form .alert-danger")).to_contain_text("not your current password")
    screenshot(page, screenshot_dir, "profile.png")


def test_a_narrow_screen_keeps_lists_usable(page, screenshot_dir):
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, "staff", "staff123")
    page.goto("/deals/list/")
    table = page.locator(".opshub-scroll")
    expect(table).to_be_visible()
    scrolls = page.evaluate(
        "() => { const t = document.querySelector('.opshub-scroll'); return t.scrollWidth > t.clientWidth; }"
    )
    assert scrolls  # the table scrolls sideways inside its box, the page does not
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 400
    screenshot(page, screenshot_dir, "list-narrow.png")
