"""Export and import in a real browser: `manager` exports the clients list, uploads a CSV that
updates one client, adds one and has one bad row, sees the preview (errors highlighted, old → new
per field) filled in by the dry run the page starts and polls, commits it, and finds it among the
imports with its Revert button. No request leaves the machine."""

from __future__ import annotations

import pytest

from tests.e2e.test_browser_clients import log_in, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed").expect

pytestmark = pytest.mark.e2e

CSV = (
    "name,email,phone,owner,tags\r\n"
    "Acme Corporation,info@acme.example,+1 555 0199,manager,key-account\r\n"
    "Imported Trading KK,office@imported-trading.example,+81 3 0000 0000,staff,new\r\n"
    "Bad Row Ltd,not-an-email,,staff,\r\n"
)


def test_export_then_import_a_preview_and_commit_it(page, requests_made, screenshot_dir):
    log_in(page, "manager", "manager123")
    page.goto("/clients/list/")
    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename.endswith(".csv")

    page.click("#import")
    expect(page).to_have_url("/changesets/import/Client")
    page.select_option("#key", "name")
    page.set_input_files("#file", files=[{"name": "clients.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    page.click("#import-form button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("#changeset-state")).to_have_text("preview", timeout=20_000)
    rows = page.locator("#changeset-rows")
    expect(rows.locator("tr.row-update")).to_have_count(1)
    expect(rows.locator("tr.row-create")).to_have_count(1)
    expect(rows.locator("tr.row-error")).to_contain_text("email")
    expect(rows.locator("tr.row-update")).to_contain_text("Acme Corporation")
    expect(rows.locator("tr.row-update .diff-new").first).to_be_visible()
    screenshot(page, screenshot_dir, "import-preview.png")

    page.click("#commit-form button[type=submit]")
    page.wait_for_load_state()
    expect(page.locator("#changeset-state")).to_have_text("committed")
    expect(page.locator(".alert-success")).to_contain_text("1 created, 1 updated")
    page.goto("/changesets/list/")
    expect(page.locator("#changesets")).to_contain_text("clients.csv")
    expect(page.locator("#changesets a", has_text="Revert")).to_have_count(1)
    assert requests_made.external() == []
