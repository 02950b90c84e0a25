"""An assignment generates its draft invoice through billing's service (number derived from the
code, one line for the fee, the bank's notes; a second call 409 naming it), and is deleted
through its declared `delete` action whichever route asks (what approvals will gate)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from app.billing.models import Invoice
from app.core import actions as record_actions
from app.core.actions import Outcome
from app.extensions import db
from app.work.models import Assignment, AssignmentMessage, CalendarEvent
from tests import factories as f
from tests.work import helpers as w

API = "/api/v1/assignments"


def test_the_invoice_takes_the_derived_number_the_fee_and_the_banks_notes(client, org):
    manager = f.make_user(org, "Manager")
    bank = w.make_bank(org, invoice_notes="Pay to IBAN FR76 0000")
    row = w.make_assignment(org, bank_id=bank.id, fee="1250.00", address="3 Quai Est", status="completed")
    resp = client.post(f"{API}/{row.id}/invoice", headers=f.auth(manager))
    assert resp.status_code == 201, resp.get_json()
    number = row.code.replace("VAL/", "INV/")
    assert resp.get_json()["result"]["number"] == number
    invoice = db.session.get(Invoice, resp.get_json()["id"])
    assert invoice.status == "draft" and invoice.assignment_id == row.id
    assert invoice.notes == "Pay to IBAN FR76 0000" and invoice.total == Decimal("1250.00")
    assert [line.description for line in invoice.lines] == [f"Valuation {row.code} — 3 Quai Est"]
    again = client.post(f"{API}/{row.id}/invoice", headers=f.auth(manager))
    assert again.status_code == 409 and f"#{invoice.id}" in again.get_json()["detail"]
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Invoice).where(Invoice.assignment_id == row.id)) == 1
    )


def test_no_invoice_without_a_fee_nor_without_the_permission(client, org):
    manager, valuer = f.make_user(org, "Manager"), f.make_user(org, "Valuer")
    free = w.make_assignment(org, valuer, fee="0")
    assert client.post(f"{API}/{free.id}/invoice", headers=f.auth(manager)).status_code == 409
    assert client.post(f"{API}/{free.id}/invoice", headers=f.auth(valuer)).status_code == 403


def test_the_invoices_assignment_is_a_foreign_key(client, org):
    manager = f.make_user(org, "Manager")
    row = w.make_assignment(org)
    client.post(f"{API}/{row.id}/invoice", headers=f.auth(manager))
    shown = client.get("/api/v1/invoices/?q=(page_size:100)", headers=f.auth(manager)).get_json()["ids"]
    invoice_id = db.session.scalar(sa.select(Invoice.id).where(Invoice.assignment_id == row.id))
    assert invoice_id in shown
    detail = client.get(f"/api/v1/invoices/{invoice_id}", headers=f.auth(manager)).get_json()["result"]
    assert detail["assignment"] == {"id": row.id, "code": row.code}
    # an assignment with its invoice is not deleted (archive it instead)
    resp = client.delete(f"{API}/{row.id}", headers=f.auth(manager))
    assert resp.status_code == 409 and "1 invoice still refers" in str(resp.get_json())


def test_delete_takes_its_messages_and_calendar_entries_along_versioned(client, org):
    manager, valuer = f.make_user(org, "Manager"), f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    client.post(f"{API}/{row.id}/messages", json={"body": "hello"}, headers=f.auth(valuer))
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(CalendarEvent).where(CalendarEvent.assignment_id == row.id)
        )
        == 1
    )
    pk = row.id
    resp = client.post(f"{API}/{pk}/delete", headers=f.auth(manager))
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    assert db.session.get(Assignment, pk) is None
    for model in (AssignmentMessage, CalendarEvent):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.assignment_id == pk)) == 0
    assert [op for op, _ in f.versions_of(Assignment, pk)][-1] == 2


def test_every_delete_route_runs_through_the_declared_action(app, client, org):
    """A policy registered on actions.run() (approvals) sees the DELETE route, the action route and
    the page's Delete button alike, and can turn each into a request (202)."""
    manager = f.make_user(org, "Manager")
    seen = []

    def gate(resource, action, record, params):
        if resource == "Assignment" and action.name == "delete":
            seen.append(record.id)
            return Outcome(pending={"message": "Sent for approval.", "request_id": 1})
        return None

    record_actions.add_interceptor(gate)
    try:
        rows = [w.make_assignment(org) for _ in range(3)]
        assert client.delete(f"{API}/{rows[0].id}", headers=f.auth(manager)).status_code == 202
        assert client.post(f"{API}/{rows[1].id}/delete", headers=f.auth(manager)).status_code == 202
        pages = app.test_client()
        f.page_login(pages, manager)
        assert pages.post(f"/assignments/delete/{rows[2].id}").status_code == 302
    finally:
        record_actions._interceptors.remove(gate)
    assert seen == [r.id for r in rows]
    db.session.expire_all()
    assert all(db.session.get(Assignment, r.id) is not None for r in rows)
