"""Approvals in a real browser (the demo's default policy): `finance` marks an invoice paid and
gets a request with its link instead; `manager` sees the count in the navbar, reads in the inbox
what approving would change and approves with a comment; `finance` reads the outcomes of their
requests (approved, rejected, failed); `admin` reads the policy. Nothing off the machine."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser_clients import flashes, log_in, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = [pytest.mark.e2e, pytest.mark.default_approvals]


def _sent_invoice_nobody_asked_about(app) -> int:
    import sqlalchemy as sa

    from app.approvals.models import ApprovalRequest
    from app.billing.models import Invoice
    from app.extensions import db

    with app.app_context():
        demo = sa.select(ApprovalRequest.organization_id).limit(1).scalar_subquery()
        waiting = sa.select(ApprovalRequest.record_id).where(
            ApprovalRequest.resource == "Invoice", ApprovalRequest.status == "pending"
        )
        return db.session.scalar(
            sa.select(Invoice.id)
            .where(Invoice.organization_id == demo, Invoice.status == "sent", Invoice.id.not_in(waiting))
            .order_by(Invoice.id)
            .execution_options(opshub_unscoped=True)
        )


def test_a_gated_action_is_asked_approved_and_its_outcome_read(
    page, browser, e2e_app, live_server, requests_made, screenshot_dir
):
    log_in(page, "finance", "finance123")
    page.goto(f"/invoices/show/{_sent_invoice_nobody_asked_about(e2e_app)}")
    with page.expect_navigation():
        page.click("[data-action='mark_paid']")
    assert "Sent for approval" in flashes(page) and "awaiting approval by Finance" in flashes(page)
    expect(page.locator(".record-notice[data-status='pending']")).to_contain_text("awaiting approval by Finance")
    invoice_url = page.url
    page.click("a.alert-link:has-text('Open the request')")
    page.wait_for_load_state()
    expect(page.locator("#own-request-note")).to_be_visible()
    page.goto("/approvals/")
    mine = page.locator("#my-requests")
    for status in ("pending", "approved", "rejected", "failed"):
        expect(mine.locator(f"tr[data-status='{status}']").first).to_be_visible()
    screenshot(page, screenshot_dir, "approvals-my-requests.png")

    manager = browser.new_page(base_url=live_server)
    log_in(manager, "manager", "manager123")
    badge = manager.locator("#badge-approvals .badge-waiting")
    expect(badge).to_be_visible()
    waiting = int(badge.inner_text())
    assert waiting >= 2
    manager.click("#badge-approvals")
    manager.wait_for_load_state()
    card = manager.locator(".approval-card[data-action='mark_paid']").last
    expect(card.locator(".approval-preview tr[data-field='status'] .diff-new")).to_have_text("paid")
    screenshot(manager, screenshot_dir, "approvals-inbox.png")
    card.locator("textarea[name=comment]").fill("Seen on the bank statement.")
    manager.on("dialog", lambda dialog: dialog.accept())
    with manager.expect_navigation():
        card.locator("[data-decision='approve']").click()
    assert "approved" in flashes(manager)
    expect(manager.locator("#badge-approvals .badge-waiting")).to_have_text(str(waiting - 1))
    manager.goto(invoice_url)
    expect(manager.locator(".invoice-status, #record-title").first).to_be_visible()
    expect(manager.locator(".record-notice[data-status='approved']").first).to_contain_text("approved by")
    manager.click("#history-tab")
    expect(manager.locator(".history-table").first).to_contain_text("approved by")
    screenshot(manager, screenshot_dir, "approvals-history.png")
    manager.close()

    admin = browser.new_page(base_url=live_server)
    log_in(admin, "admin", "admin123")
    admin.goto("/approvals/policy/")
    expect(admin.locator("#gate-Invoice-mark_paid")).to_be_checked()
    expect(admin.locator("#policy-save")).to_be_visible()
    screenshot(admin, screenshot_dir, "approvals-policy.png")
    admin.goto("/approvals/requests/list/")
    expect(admin.locator("body")).to_contain_text(re.compile("Approval requests"))
    admin.close()
    assert requests_made.external() == []
