"""Projects in a real browser: the demo `viewer` sees exactly the one project they are assigned
to (and its instances), and `admin` gets a form error, not a 500, for a second active
PRODUCTION instance. Both prove that no page asks for anything off the machine."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser_clients import flashes, list_rows, log_in, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e

ASSIGNED = "Acme ERP rollout"  # app/seed.py DEMO_PROJECTS: the viewer is on this one only


def open_from_menu(page, category: str, href: str) -> None:
    page.click(f"a.dropdown-toggle:has-text('{category}')")
    page.click(f".dropdown-menu a[href^='{href}']")
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(re.escape(href)))


def test_the_viewer_sees_exactly_the_assigned_project(page, requests_made, screenshot_dir):
    log_in(page, "viewer", "viewer123")
    open_from_menu(page, "Infrastructure", "/projects/list")
    names = [row.locator("td").nth(1).inner_text().strip() for row in list_rows(page).all()]
    assert [n for n in names if n] == [ASSIGNED], names
    screenshot(page, screenshot_dir, "projects-viewer.png")

    open_from_menu(page, "Infrastructure", "/instances/list")
    text = " ".join(list_rows(page).all_inner_texts())
    assert "acme-prod" in text and "acme-staging" in text
    assert "globex" not in text and "umbrella" not in text and "initech" not in text
    # no write controls for a read-only role
    assert page.locator("a[href^='/instances/add']").count() == 0
    assert requests_made.external() == []


def test_admin_gets_a_form_error_for_a_second_active_production(page, requests_made, screenshot_dir):
    log_in(page, "admin", "admin123")
    open_from_menu(page, "Infrastructure", "/projects/list")
    page.locator("table tbody tr").filter(has_text=ASSIGNED).locator("a[href*='/projects/show/']").first.click()
    page.wait_for_load_state()
    expect(page.locator(".label-danger", has_text="PRODUCTION").first).to_be_visible()
    expect(page.locator(".label-success", has_text="LIVE")).to_have_count(1)
    screenshot(page, screenshot_dir, "project-show.png")
    page.click("#members-tab")
    expect(page.locator("#members-table")).to_contain_text("viewer")
    screenshot(page, screenshot_dir, "project-members.png")

    page.goto("/instances/add")
    page.fill("#name", "acme-prod-second")
    page.select_option("#type", "PRODUCTION")
    page.click("#project + .select2 .select2-selection")
    page.fill(".select2-search__field", "Acme")
    page.locator(".select2-results__option", has_text=ASSIGNED).click()
    page.fill("#odoo_version", "17.0")
    page.click("form button[type=submit]:has-text('Save')")
    page.wait_for_load_state()
    assert "already the active PRODUCTION instance" in page.content()
    assert "acme-prod-second" in page.input_value("#name")  # the typed input is kept
    assert "Fatal" not in page.content() and "Internal Server Error" not in page.content()
    screenshot(page, screenshot_dir, "instance-form-error.png")
    assert "Added" not in flashes(page)

    # nothing was written: the instance list has no such row
    page.goto("/instances/list/?_flt_0_name=acme-prod-second")
    expect(page.locator("table tbody tr", has_text="acme-prod-second")).to_have_count(0)
    assert requests_made.external() == []
