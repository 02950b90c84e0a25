"""Billing and events in a real browser: `finance` opens the demo's partly paid invoice (lines,
totals, payments), records a payment and sees the receivables page and the printable invoice;
`staff` adds a line to the draft without leaving its page; `support` sees the events, edits only
its own. No page asks for anything off the machine."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser_clients import flashes, list_rows, log_in, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e


def open_invoice(page, client_name: str) -> None:
    page.goto("/invoices/list/")
    list_rows(page).filter(has_text=client_name).locator("a[href*='/invoices/show/']").first.click()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/invoices/show/\d+"))


def test_finance_pays_an_invoice_and_reads_the_receivables(page, requests_made, screenshot_dir):
    log_in(page, "finance", "finance123")
    page.click("a.dropdown-toggle:has-text('Billing')")
    page.click(".dropdown-menu a[href^='/invoices/list']")
    page.wait_for_load_state()
    expect(page.locator(".invoice-status", has_text="overdue").first).to_be_visible()
    open_invoice(page, "Initech")  # 7,800.00 with 2,000.00 paid
    expect(page.locator("#balance-value")).to_have_text("5,800.00 EUR")
    page.fill("#payment-amount", "800")
    with page.expect_navigation():
        page.click("#add-payment-btn")
    assert "Payment recorded" in flashes(page)
    expect(page.locator("#balance-value")).to_have_text("5,000.00 EUR")
    page.fill("#payment-amount", "99999")
    with page.expect_navigation():
        page.click("#add-payment-btn")
    assert "More than the balance due (5,000.00 EUR)" in flashes(page)
    screenshot(page, screenshot_dir, "invoice-show.png")

    page.goto("/receivables/")
    expect(page.locator("#receivables-clients")).to_contain_text("Soylent Foods")
    screenshot(page, screenshot_dir, "receivables.png")

    open_invoice(page, "Umbrella Health")
    with page.expect_navigation():
        page.click("#print-link")
    expect(page.locator("#print-totals")).to_contain_text("Balance due")
    expect(page.locator("#invoice-sheet")).to_contain_text("Demo Company")
    screenshot(page, screenshot_dir, "invoice-print.png")
    assert requests_made.external() == []


def test_staff_adds_a_line_to_the_draft_on_its_page(page, requests_made):
    log_in(page, "staff", "staff123")
    open_invoice(page, "Acme Corporation")
    before = page.locator("#total-value").inner_text()
    page.fill("#new-line-description", "Extra training day")
    page.fill("#new-line-price", "600")
    with page.expect_navigation():
        page.click("#add-line-btn")
    expect(page).to_have_url(re.compile(r"/invoices/show/\d+"))
    expect(page.locator("#lines-table input[value='Extra training day']")).to_have_count(1)
    assert page.locator("#total-value").inner_text() != before
    assert page.locator("[data-action='mark_paid'], [data-action='void']").count() == 0
    assert requests_made.external() == []


def test_support_sees_events_and_edits_only_its_own(page, requests_made, screenshot_dir):
    log_in(page, "support", "support123")
    page.goto("/events/list/")
    expect(list_rows(page).filter(has_text="Summit day 1")).to_have_count(1)
    screenshot(page, screenshot_dir, "events-support.png")
    page.goto("/events/unassigned/list/")
    expect(list_rows(page).filter(has_text="Hooli launch night")).to_have_count(1)
    assert requests_made.external() == []
