"""The pages work under their Content-Security-Policy: Swagger UI renders the API document, the
form widgets (select2, the date picker) and the confirmation questions run, the menu logs out with
a POST. The page fixture fails any test whose pages report a CSP violation."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    expect(page).not_to_have_url(re.compile(r"/login/?$"))


def test_swagger_ui_renders_the_api_document_under_the_csp(page, requests_made):
    log_in(page, "admin", "admin123")
    response = page.goto("/swagger/v1")
    assert "nonce-" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert requests_made.external() == [], requests_made.external()


def test_widgets_confirmations_and_logout_work_under_the_csp(page, csp_log):
    log_in(page, "admin", "admin123")
    page.goto("/deals/add")
    expect(page.locator(".select2-container").first).to_be_visible()  # FAB's and OpsHub's selects
    page.click("#expected_close_date")
    expect(page.locator(".datepicker").first).to_be_visible()  # bootstrap-datepicker

    page.goto("/clients/add")
    page.fill("#name", "CSP Check Ltd")
    page.click("form button[type=submit]:has-text('Save')")
    page.goto("/clients/list/?_flt_0_name=CSP Check")
    page.locator("table tbody tr a[href*='/clients/show/']").first.click()
    page.click("#archive-btn")
    expect(page.locator("#archived-banner")).to_be_visible()
    assert any("Archive this record?" in d for d in csp_log.dialogs), csp_log.dialogs  # data-confirm ran
    page.click("#restore-btn")
    expect(page.locator("#archived-banner")).to_have_count(0)

    page.click("a.dropdown-toggle:has(.fa-user)")
    page.click("#logout-form button")
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/login/?$"))
    page.goto("/clients/list/")
    expect(page).to_have_url(re.compile(r"/login/"))
