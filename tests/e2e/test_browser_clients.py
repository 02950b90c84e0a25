"""A person, in a real browser, adds a client, archives it, restores it and reads its history.

Runs against the real app (migrated + seeded SQLite file, CSRF on) served on 127.0.0.1, and
proves along the way that no page asks for anything off the machine (the app works offline).
Screenshots of the key pages are written to docs/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from app.crm.seed import DEMO_CLIENTS

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e

NEW_CLIENT = {
    "name": "Nakatomi Trading",
    "email": "office@nakatomi.example",
    "phone": "+1 555 0199",
    "website": "https://nakatomi.example",
    "address": "2121 Avenue of the Stars",
    "tags": "e2e,priority",
    "notes": "Created by the browser end-to-end test.",
}


# --------------------------------------------------------------------------- helpers
def screenshot(page, directory, name: str) -> None:
    page.screenshot(path=str(directory / name), full_page=True)


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/login/?$"))


def open_clients_from_menu(page) -> None:
    page.click("a.dropdown-toggle:has-text('CRM')")
    page.click(".dropdown-menu a[href^='/clients/list']")
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/clients/list/?"))


def list_rows(page):
    return page.locator("table tbody tr")


def row_for(page, name: str):
    return list_rows(page).filter(has_text=name)


def fill_client_form(page, fields: dict[str, str]) -> None:
    for field, value in fields.items():
        page.fill(f"#{field}", value)


def show_url_of(page, name: str) -> str:
    href = row_for(page, name).locator("a[href*='/clients/show/']").first.get_attribute("href")
    assert href, f"no show link for {name!r} in the list"
    return href


def flashes(page) -> str:
    return " | ".join(page.locator(".alert").all_inner_texts())


def assert_no_error_flash(page) -> None:
    errors = page.locator(".alert-danger, .alert-error").all_inner_texts()
    assert not errors, f"error message on {page.url}: {errors}"


def history_operations(page) -> list[str]:
    """The operation names of the History tab, newest first."""
    cells = page.locator("#History table.history-table > tbody > tr > td:first-child strong")
    return [text.strip() for text in cells.all_inner_texts()]


# --------------------------------------------------------------------------- the test
def test_admin_adds_archives_restores_a_client_and_reads_its_history_without_leaving_localhost(
    page, requests_made, screenshot_dir
):
    # log in and land on the dashboard
    log_in(page, "admin", "admin123")
    expect(page.locator("h2")).to_contain_text("Dashboard")
    # the demo's clients, and the one its converted lead became (app/seed.py)
    expect(page.locator(".dash-card[data-card='Clients'] .count")).to_have_text(str(len(DEMO_CLIENTS) + 1))

    # the client list, reached through the CRM menu
    open_clients_from_menu(page)
    expect(row_for(page, "Acme Corporation")).to_have_count(1)
    assert list_rows(page).count() >= 8
    screenshot(page, screenshot_dir, "clients-list.png")

    # add a client through the form
    page.click("a[href*='/clients/add']")
    expect(page).to_have_url(re.compile(r"/clients/add"))
    fill_client_form(page, NEW_CLIENT)
    screenshot(page, screenshot_dir, "client-add.png")
    page.click("form button[type=submit]:has-text('Save')")
    page.wait_for_load_state()
    assert_no_error_flash(page)
    # the saved record's own page, with a message that names it
    expect(page).to_have_url(re.compile(r"/clients/show/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text(f"Client “{NEW_CLIENT['name']}” created.")
    expect(page.locator("#record-title")).to_contain_text(NEW_CLIENT["name"])

    # find it in the list and open its show page
    page.goto("/clients/list/")
    expect(row_for(page, NEW_CLIENT["name"])).to_have_count(1)
    show_href = show_url_of(page, NEW_CLIENT["name"])
    pk = re.search(r"/clients/show/(\d+)", show_href).group(1)
    row_for(page, NEW_CLIENT["name"]).locator("a[href*='/clients/show/']").first.click()
    expect(page).to_have_url(re.compile(rf"/clients/show/{pk}$"))
    expect(page.locator("#Home")).to_contain_text(NEW_CLIENT["email"])

    # archive it (the button asks confirm(); the page fixture accepts every dialog)
    page.click("#archive-btn")
    expect(page.locator("#archived-banner")).to_be_visible()
    expect(page.locator("#archived-banner")).to_contain_text("Archived on")
    assert_no_error_flash(page)
    screenshot(page, screenshot_dir, "client-archived-banner.png")

    # gone from the default list, back with "Show archived"
    open_clients_from_menu(page)
    expect(row_for(page, "Acme Corporation")).to_have_count(1)
    expect(row_for(page, NEW_CLIENT["name"])).to_have_count(0)
    page.click("#show-archived")
    expect(page).to_have_url(re.compile(r"include_archived=1"))
    expect(row_for(page, NEW_CLIENT["name"])).to_have_count(1)
    screenshot(page, screenshot_dir, "clients-archived.png")

    # restore it from its show page
    row_for(page, NEW_CLIENT["name"]).locator("a[href*='/clients/show/']").first.click()
    expect(page).to_have_url(re.compile(rf"/clients/show/{pk}$"))
    page.click("#restore-btn")
    expect(page.locator("#archived-banner")).to_have_count(0)
    expect(page.locator("#archive-btn")).to_be_visible()
    assert_no_error_flash(page)
    page.goto("/clients/list/")
    expect(row_for(page, NEW_CLIENT["name"])).to_have_count(1)

    # the History tab tells the story: created, archived, restored (newest first)
    page.goto(f"/clients/show/{pk}")
    page.click("#history-tab")
    expect(page.locator("#History")).to_be_visible()
    assert history_operations(page) == ["restore", "archive", "create"], flashes(page)
    expect(page.locator("#History")).to_contain_text("by admin")
    screenshot(page, screenshot_dir, "client-history.png")

    # everything the browser fetched came from this machine
    assert requests_made.urls, "no requests were recorded"
    assert requests_made.external() == [], f"requests left localhost: {requests_made.external()}"
