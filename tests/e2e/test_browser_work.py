"""Work assignments in a real browser: `valuer` sees only their assignments, opens one, moves it
on, posts a message and uploads a report, and reads their calendar; `manager` sees everyone's
calendar and the workload; `hr` approves the pending leave. No page asks for anything off the
machine, and none breaks the CSP."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser_clients import flashes, list_rows, log_in, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.4\n%browser test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_valuer_works_an_assignment(page, requests_made, screenshot_dir):
    log_in(page, "valuer", "valuer123")
    page.goto("/assignments/list/")
    rows = list_rows(page)
    expect(rows.first).to_be_visible()
    assert rows.filter(has_text="valuer2").count() == 0  # only their own
    rows.filter(has_text="processing").first.locator("a[href*='/assignments/show/']").first.click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/assignments/show/\d+"))
    with page.expect_navigation():
        page.click("[data-action='transition']:has-text('Mark submitted')")
    assert "is now submitted" in flashes(page)
    page.click("#messages-tab")
    page.fill("#message-body", "Report uploaded; the bank has it too.")
    with page.expect_navigation():
        page.click("#message-btn")
    page.click("#documents-tab")
    page.set_input_files(
        "#upload-file", files=[{"name": "final-report.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    with page.expect_navigation():
        page.click("#upload-btn")
    assert "Document uploaded" in flashes(page)
    page.click("#documents-tab")
    expect(page.locator("#documents-table")).to_contain_text("final-report.pdf")
    screenshot(page, screenshot_dir, "assignment-documents.png")
    page.click("#timeline-tab")
    expect(page.locator("#timeline")).to_contain_text("Status processing → submitted")
    screenshot(page, screenshot_dir, "assignment-timeline.png")

    page.goto("/calendar/?view=week")
    expect(page.locator("#cal-grid")).to_be_visible()
    assert page.locator("#cal-user").count() == 0  # their own calendar only
    page.goto("/calendar/")
    expect(page.locator("#cal-grid .cal-entry").first).to_be_visible()
    screenshot(page, screenshot_dir, "calendar-valuer.png")
    assert requests_made.external() == []


def test_the_manager_sees_everyone_and_the_workload(page, requests_made, screenshot_dir):
    log_in(page, "manager", "manager123")
    page.goto("/calendar/")
    page.select_option("#cal-user", "all")
    with page.expect_navigation():
        page.click("#cal-show")
    expect(page.locator("#cal-grid")).to_contain_text("Weekly planning")
    expect(page.locator(".cal-leave").first).to_be_visible()
    screenshot(page, screenshot_dir, "calendar-month.png")
    page.goto("/workload/")
    expect(page.locator("#workload-table")).to_contain_text("valuer2")
    expect(page.locator("#workload-table .wl-leave").first).to_be_visible()
    screenshot(page, screenshot_dir, "workload.png")
    page.goto("/assignments/list/")
    list_rows(page).filter(has_text="completed").first.locator("a[href*='/assignments/show/']").first.click()
    page.wait_for_load_state()
    expect(page.locator("#assignment-invoice, [data-action='invoice']").first).to_be_visible()
    screenshot(page, screenshot_dir, "assignment-show.png")
    assert requests_made.external() == []


def test_hr_approves_the_pending_leave(page, requests_made):
    log_in(page, "hr", "hr123")
    page.goto("/leave-requests/list/")
    list_rows(page).filter(has_text="Holiday").first.locator("a[href*='/leave-requests/show/']").first.click()
    page.wait_for_load_state()
    with page.expect_navigation():
        page.click("[data-action='approve']")
    assert "approved" in flashes(page)
    assert requests_made.external() == []
