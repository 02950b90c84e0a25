"""Approvals on the pages: a gated button makes a request (a message with its link, the record
untouched), the record's page says what awaits approval, the inbox shows what approving would
change and decides with a comment, the navbar counts what waits for me, and the policy page."""

from __future__ import annotations

import re

from app.approvals.models import ApprovalPolicy, ApprovalRequest
from app.extensions import db
from tests import factories as f
from tests.approvals.helpers import requests_about
from tests.work import helpers as w


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [str(message) for _category, message in session.get("_flashes", [])]


def test_a_gated_button_makes_a_request_with_a_link_and_changes_nothing(client, org):
    finance = f.make_user(org, "Finance")
    invoice = f.make_invoice(org, send=True)
    f.page_login(client, finance)
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert 'data-action="mark_paid"' in page
    resp = client.post(f"/invoices/do/mark_paid/{invoice.id}", data={"version": str(invoice.version)})
    assert resp.status_code == 302
    (req,) = requests_about("Invoice", invoice.id, org)
    (message,) = _flashes(client)
    assert f"request #{req.id}" in message and f'href="/approvals/requests/show/{req.id}"' in message
    db.session.expire_all()
    assert db.session.get(type(invoice), invoice.id).status == "sent"
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert "Mark paid: awaiting approval by Finance" in page and 'data-status="pending"' in page


def test_the_delete_button_of_an_assignment_makes_a_request(client, org):
    manager = f.make_user(org, "Manager")
    assignment = w.make_assignment(org, f.make_user(org, "Valuer"))
    f.page_login(client, manager)
    assert client.post(f"/assignments/delete/{assignment.id}").status_code == 302
    (req,) = requests_about("Assignment", assignment.id, org)
    assert req.action == "delete" and "awaiting approval" in _flashes(client)[0]
    db.session.expire_all()
    assert db.session.get(type(assignment), assignment.id) is not None


def _asked_on_the_page(app, org, action: str):
    """A Finance user, logged in, who asked for `action` on a sent invoice from its page:
    (their client, the invoice, the request)."""
    invoice = f.make_invoice(org, send=True)
    asker = app.test_client()
    f.page_login(asker, f.make_user(org, "Finance"))
    asker.post(f"/invoices/do/{action}/{invoice.id}", data={})
    (req,) = requests_about("Invoice", invoice.id, org)
    return asker, invoice, req


def test_the_inbox_previews_the_change_and_decides_with_a_comment(app, org):
    decider = f.make_user(org, "Manager")
    asker, invoice, req = _asked_on_the_page(app, org, "mark_paid")

    inbox = asker.get("/approvals/").get_data(as_text=True)  # the requester: their own request, no decision
    assert 'id="inbox-empty"' in inbox and f'<tr data-request="{req.id}" data-status="pending">' in inbox
    assert 'class="approval-decision"' not in inbox

    client = app.test_client()
    f.page_login(client, decider)
    inbox = client.get("/approvals/").get_data(as_text=True)
    card = inbox[inbox.index(f'data-request="{req.id}"') :]
    assert re.search(
        r'data-field="status"><td>Status</td><td class="diff-old">sent</td><td class="diff-new">paid', card
    )
    assert re.search(r'id="badge-approvals"[^>]*>.*?<span class="badge badge-waiting">1</span>', inbox, re.S)
    resp = client.post(f"/approvals/requests/do/approve/{req.id}", data={"comment": "Seen on the statement"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(invoice), invoice.id).status == "paid"
    req = db.session.get(ApprovalRequest, req.id)
    assert (req.status, req.comment, req.decided_by_id) == ("approved", "Seen on the statement", decider.id)
    assert 'id="inbox-empty"' in client.get("/approvals/").get_data(as_text=True)
    outcome = asker.get("/approvals/").get_data(as_text=True)
    assert f'<tr data-request="{req.id}" data-status="approved">' in outcome and "Seen on the statement" in outcome


def test_the_request_page_offers_the_decision_only_to_a_decider(app, org):
    decider = f.make_user(org, "Finance")
    asker, _invoice, req = _asked_on_the_page(app, org, "void")
    own = asker.get(f"/approvals/requests/show/{req.id}").get_data(as_text=True)
    assert 'id="own-request-note"' in own and 'data-decision="approve"' not in own
    assert 'data-action="cancel"' in own  # the requester may withdraw it
    assert 'id="edit-btn"' not in own and 'id="delete-btn"' not in own
    client = app.test_client()
    f.page_login(client, decider)
    page = client.get(f"/approvals/requests/show/{req.id}").get_data(as_text=True)
    assert 'data-decision="approve"' in page and 'data-decision="reject"' in page
    assert 'data-action="cancel"' not in page
    # the requester posting a decision anyway: refused in plain words, nothing decided
    asker.post(f"/approvals/requests/do/approve/{req.id}", data={})
    assert any("four eyes" in m for m in _flashes(asker))
    db.session.expire_all()
    assert db.session.get(ApprovalRequest, req.id).status == "pending"


def test_a_failed_approval_says_why_on_the_page(app, org):
    decider = f.make_user(org, "Manager")
    _asker, invoice, req = _asked_on_the_page(app, org, "void")
    f.pay(invoice, "1.00", org)
    client = app.test_client()
    f.page_login(client, decider)
    preview = client.get("/approvals/").get_data(as_text=True)
    assert "Approving now would fail" in preview and "has payments" in preview
    client.post(f"/approvals/requests/do/approve/{req.id}", data={})
    assert any("marked failed" in m for m in _flashes(client))
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert 'data-status="failed"' in page


def test_the_policy_page_is_edited_by_admins_and_read_by_managers(app, org):
    admin, manager = f.make_user(org, "Admin", admin=True), f.make_user(org, "Manager")
    client = app.test_client()
    f.page_login(client, manager)
    page = client.get("/approvals/policy/").get_data(as_text=True)
    assert re.search(r'value="Invoice.void" id="gate-Invoice-void" checked disabled>', page)
    assert re.search(r'value="Deal.close" id="gate-Deal-close" disabled>', page)
    assert 'id="policy-save"' not in page
    assert client.post("/approvals/policy/", data={"gated": []}).status_code in (302, 403)
    assert db.session.query(ApprovalPolicy).filter_by(organization_id=org.id).count() == 0
    client = app.test_client()
    f.page_login(client, admin)
    gated = ["Invoice.void", "Assignment.reassign", "Assignment.delete", "LeaveRequest.approve", "Client.archive"]
    assert client.post("/approvals/policy/", data={"gated": gated}).status_code == 302
    rows = {
        (p.resource, p.action): p.required for p in db.session.query(ApprovalPolicy).filter_by(organization_id=org.id)
    }
    assert rows == {("Invoice", "mark_paid"): False, ("Client", "archive"): True}


def test_the_timeline_shows_the_request_and_its_decision(app, client, org):
    manager, admin = f.make_user(org, "Manager"), f.make_user(org, "Admin", admin=True)
    assignment = w.make_assignment(org, f.make_user(org, "Valuer"))
    other = f.make_user(org, "Valuer")
    resp = client.post(
        f"/api/v1/assignments/{assignment.id}/reassign", json={"user_id": other.id}, headers=f.auth(manager, org)
    )
    req_id = resp.get_json()["approval_request_id"]
    resp = client.post(
        f"/api/v1/approvals/{req_id}/reject", json={"comment": "Keep the valuer"}, headers=f.auth(admin, org)
    )
    assert resp.status_code == 200
    f.page_login(client, manager)
    page = client.get(f"/assignments/show/{assignment.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') :]
    assert f"Reassign asked for approval (request #{req_id})" in timeline
    assert f"Reassign rejected (request #{req_id}) — “Keep the valuer”" in timeline
    assert timeline.count('data-kind="approval"') == 2


def test_a_gated_bulk_action_sends_each_record_for_approval(client, org):
    from app.crm.models import Client

    admin, staff = f.make_user(org, "Admin", admin=True), f.make_user(org, "Staff")
    client.put(
        "/api/v1/approval-policy/",
        json={"policy": [{"resource": "Client", "action": "archive", "requires_approval": True}]},
        headers=f.auth(admin, org),
    )
    rows = [f.make_client(org, staff) for _ in range(2)]
    f.page_login(client, staff)
    resp = client.post("/clients/action_post", data={"action": "archive", "rowid": [str(r.id) for r in rows]})
    assert resp.status_code == 302
    assert _flashes(client) == ["Archive: 2 record(s) sent for approval (requests shown in Approvals)."]
    db.session.expire_all()
    assert all(db.session.get(Client, r.id).archived_at is None for r in rows)
    assert all(len(requests_about("Client", r.id, org)) == 1 for r in rows)


def test_the_request_list_shows_each_status(app, org):
    asker, _invoice, req = _asked_on_the_page(app, org, "void")
    page = asker.get("/approvals/requests/list/").get_data(as_text=True)
    row = page[page.index(f'data-pk="{req.id}"') :]
    assert '<span class="label label-warning approval-status">pending</span>' in row[: row.index("</tr>")]
