"""The pipeline board and the dashboard in a real browser, on the seeded demo pipeline: staff
moves their deal forward with the card's button, is refused a move back (no
can_rollback_stage) with the rule's message; a manager drags a card across columns; the
dashboard's charts render with no request leaving the machine."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser_clients import flashes, log_in, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e


def column(page, key: str, kind: str = "deal"):
    return page.locator(f"#{kind}-board section[data-column='{key}']")


def card(page, deal_id: str):
    return page.locator(f"article.deal-card[data-deal-id='{deal_id}']")


def test_staff_moves_a_deal_forward_and_is_refused_a_move_back(page, requests_made, screenshot_dir):
    log_in(page, "staff", "staff123")
    page.goto("/pipeline/")
    expect(page.locator("#deal-board")).to_be_visible()
    mine = column(page, "qualification").locator("article.deal-card").filter(has_text="staff").first
    deal_id = mine.get_attribute("data-deal-id")
    before = int(column(page, "proposal").locator(".board-count").inner_text().replace(",", ""))

    mine.locator("button[title='Move to proposal']").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the buttons are the keyboard path
    assert "moved to proposal" in flashes(page)
    expect(column(page, "proposal").locator(f"article[data-deal-id='{deal_id}']")).to_have_count(1)
    expect(column(page, "proposal").locator(".board-count")).to_have_text(str(before + 1))

    # no button offers what staff may not do; dragging the card back is refused in plain words
    expect(card(page, deal_id).locator("button[title='Back to qualification']")).to_have_count(0)
    with page.expect_navigation():
        card(page, deal_id).drag_to(column(page, "qualification"), target_position={"x": 20, "y": 20})
    expect(page.locator(".alert-danger")).to_contain_text("a manager can")
    expect(column(page, "proposal").locator(f"article[data-deal-id='{deal_id}']")).to_have_count(1)
    screenshot(page, screenshot_dir, "pipeline-board.png")

    # the deal's timeline: the move, the comment just added, the versions
    card(page, deal_id).locator("a.card-title").click()
    page.wait_for_load_state()
    page.click("#timeline-tab")
    page.fill("#comment-body", "Sent the proposal by email.")
    with page.expect_navigation():
        page.click("#comment-form button[type=submit]")
    page.click("#timeline-tab")
    entries = page.locator("#timeline li.timeline-entry")
    expect(entries.first).to_contain_text("Sent the proposal by email.")
    expect(page.locator("#timeline")).to_contain_text("Stage qualification → proposal")
    expect(page.locator("#timeline li[data-kind='version']").first).to_be_visible()
    screenshot(page, screenshot_dir, "deal-timeline.png")
    assert requests_made.external() == []


def test_a_manager_drags_a_card_to_a_later_stage(page, requests_made):
    log_in(page, "manager", "manager123")
    page.goto("/pipeline/")
    source = column(page, "qualification").locator("article.deal-card").first
    deal_id = source.get_attribute("data-deal-id")
    with page.expect_navigation():
        # skipping a stage forward is allowed; dropped on the column's head, which needs no scroll
        source.drag_to(column(page, "negotiation"), target_position={"x": 20, "y": 20})
    expect(column(page, "negotiation").locator(f"article[data-deal-id='{deal_id}']")).to_have_count(1)
    assert "moved to negotiation" in flashes(page)
    assert requests_made.external() == []


def test_the_dashboard_draws_its_charts_offline(page, requests_made, screenshot_dir):
    log_in(page, "manager", "manager123")
    page.goto("/")
    for chart in ("#chart-status", "#chart-funnel", "#chart-leads"):
        expect(page.locator(f"{chart} svg rect").first).to_be_visible()
    won = page.locator("#chart-status g[data-label='won']")
    assert float(won.get_attribute("data-value")) > 0
    expect(page.locator("#pipeline-value .count")).not_to_have_text("0")
    expect(page.locator("#my-tasks")).to_be_visible()
    screenshot(page, screenshot_dir, "dashboard.png")
    assert requests_made.external() == [], requests_made.external()
