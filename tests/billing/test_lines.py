"""Invoice lines: quantity > 0, price >= 0, rates 0-100, finite, within the column's precision
(422 otherwise, nothing written); a sent, paid or void invoice's lines are frozen (409) on the
API and the page; the invoice page adds, edits and removes lines without leaving it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.billing.models import Invoice, InvoiceLine
from app.extensions import db
from tests import factories as f

BAD = [
    ("quantity", "0"),
    ("quantity", "-1"),
    ("quantity", "1.2345"),
    ("quantity", "NaN"),
    ("unit_price", "-0.01"),
    ("unit_price", "1.001"),
    ("unit_price", "1e400"),
    ("unit_price", "1000000000000"),
    ("tax_rate", "100.01"),
    ("discount_rate", "-1"),
    ("description", "   "),
]


@pytest.mark.parametrize(("field", "value"), BAD)
def test_a_bad_line_is_422_naming_its_field_and_writes_nothing(client, org, field, value):
    user = f.make_user(org, "Staff")
    invoice = f.make_invoice(org, lines=())
    body = {"invoice": invoice.id, "description": "Work", "quantity": "1", "unit_price": "10", field: value}
    resp = client.post("/api/v1/invoice-lines/", json=body, headers=f.auth(user))
    assert resp.status_code in (400, 422), resp.get_json()
    assert field in str(resp.get_json()["message"])
    assert db.session.scalar(db.select(db.func.count(InvoiceLine.id)).where(InvoiceLine.invoice_id == invoice.id)) == 0


@pytest.mark.parametrize("fate", ["sent", "paid", "void"])
def test_an_issued_invoices_lines_are_frozen(client, org, fate):
    from app.billing import services

    user = f.make_user(org, "Manager")
    h = f.auth(user)
    invoice = f.make_invoice(org, send=True)
    with f.acting(None, org):
        if fate == "paid":
            services.mark_paid(invoice)
        elif fate == "void":
            services.void_invoice(invoice)
    line = invoice.lines[0]
    body = {"invoice": invoice.id, "description": "Extra", "quantity": "1", "unit_price": "1"}
    for resp in (
        client.post("/api/v1/invoice-lines/", json=body, headers=h),
        client.put(f"/api/v1/invoice-lines/{line.id}", json={"quantity": "5"}, headers=h),
        client.post(f"/api/v1/invoice-lines/{line.id}/archive", headers=h),
        client.delete(f"/api/v1/invoice-lines/{line.id}", headers=f.auth(f.make_user(org, "Admin", admin=True), org)),
    ):
        assert resp.status_code == 409, resp.get_json()
        assert "frozen" in str(resp.get_json())
    db.session.expire_all()
    assert [x.quantity for x in db.session.get(Invoice, invoice.id).lines] == [Decimal("2.000")]


def test_the_invoice_page_adds_edits_and_removes_lines(client, org):
    user = f.make_user(org, "Staff")
    invoice = f.make_invoice(org, lines=())
    f.page_login(client, user)
    base = f"/invoices/lines/{invoice.id}"
    resp = client.post(
        f"{base}/add", data={"description": "Audit", "quantity": "2", "unit_price": "150", "tax_rate": "20"}
    )
    assert resp.status_code == 302 and f"/invoices/show/{invoice.id}" in resp.headers["Location"]
    db.session.expire_all()
    line = db.session.get(Invoice, invoice.id).lines[0]
    assert db.session.get(Invoice, invoice.id).total == Decimal("360.00")
    client.post(
        f"{base}/{line.id}/edit", data={"description": "Audit", "quantity": "1", "unit_price": "150", "tax_rate": "0"}
    )
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).total == Decimal("150.00")
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert "150.00 EUR" in page and 'id="add-line-btn"' in page
    resp = client.post(
        f"{base}/add", data={"description": "Bad", "quantity": "0", "unit_price": "1"}, follow_redirects=True
    )
    assert "quantity: Must be greater than 0." in resp.get_data(as_text=True)
    client.post(f"{base}/{line.id}/remove")
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).lines == []


def test_a_role_that_may_not_write_lines_sees_no_line_form_and_is_refused(client, org):
    viewer = f.make_user(org, "Viewer")
    invoice = f.make_invoice(org)
    f.page_login(client, viewer)
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert 'id="add-line-btn"' not in page and "/invoices/lines/" not in page
    resp = client.post(
        f"/invoices/lines/{invoice.id}/add", data={"description": "x", "quantity": "1", "unit_price": "1"}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert len(db.session.get(Invoice, invoice.id).lines) == 1
