"""Payments: > 0 and at most the balance due (422), only on a sent invoice (409 on a draft or a
void one); the balance reaching zero marks the invoice paid in the same transaction; removing a
payment (Finance, Admin) reopens it; mark_paid pays the whole balance; void only without
payments; sixteen concurrent payments never overpay."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from app.billing import services
from app.billing.models import Invoice, Payment
from app.extensions import db
from tests import factories as f


def _fresh(pk: int) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, pk)


def test_a_payment_up_to_the_balance_pays_the_invoice_in_the_same_transaction(client, org):
    finance = f.make_user(org, "Finance")
    h = f.auth(finance)
    invoice = f.make_invoice(org, send=True)  # 120.00
    resp = client.post(
        f"/api/v1/invoices/{invoice.id}/payments", json={"amount": "20.00", "date": "2031-01-02"}, headers=h
    )
    assert resp.status_code == 201, resp.get_json()
    assert (_fresh(invoice.id).status, _fresh(invoice.id).balance_due) == ("sent", Decimal("100.00"))
    resp = client.post(f"/api/v1/invoices/{invoice.id}/payments", json={"amount": "100.01"}, headers=h)
    assert resp.status_code == 422 and "100.00" in str(resp.get_json()["message"]["amount"])
    resp = client.post("/api/v1/payments/", json={"invoice": invoice.id, "amount": "100", "method": "card"}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    got = _fresh(invoice.id)
    assert (got.status, got.paid_total, got.balance_due) == ("paid", Decimal("120.00"), Decimal("0.00"))
    tx_statuses = [op for op, _ in f.versions_of(Invoice, invoice.id)]
    assert len(tx_statuses) == 3  # created and sent (one unit of work), part-paid, paid
    resp = client.post(f"/api/v1/invoices/{invoice.id}/payments", json={"amount": "1"}, headers=h)
    assert resp.status_code == 409


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "NaN", "1.001", None])
def test_a_bad_amount_is_422(client, org, amount):
    finance = f.make_user(org, "Finance")
    invoice = f.make_invoice(org, send=True)
    resp = client.post(f"/api/v1/invoices/{invoice.id}/payments", json={"amount": amount}, headers=f.auth(finance))
    assert resp.status_code == 422, resp.get_json()
    assert _fresh(invoice.id).paid_total == 0


def test_payments_only_on_sent_invoices(client, org):
    finance = f.make_user(org, "Finance")
    h = f.auth(finance)
    draft = f.make_invoice(org)
    void = f.make_invoice(org, send=True)
    with f.acting(None, org):
        services.void_invoice(void)
    for invoice in (draft, void):
        resp = client.post("/api/v1/payments/", json={"invoice": invoice.id, "amount": "1"}, headers=h)
        assert resp.status_code == 409, resp.get_json()
        assert "sent invoices only" in resp.get_json()["message"]


def test_removing_a_payment_reopens_the_invoice_and_is_finances(client, org):
    finance, staff = f.make_user(org, "Finance"), f.make_user(org, "Staff")
    invoice = f.make_invoice(org, send=True)
    with f.acting(None, org):
        services.mark_paid(invoice)
    payment = db.session.scalars(db.select(Payment).where(Payment.invoice_id == invoice.id)).one()
    assert client.delete(f"/api/v1/payments/{payment.id}", headers=f.auth(staff)).status_code == 403
    assert _fresh(invoice.id).status == "paid"
    assert client.delete(f"/api/v1/payments/{payment.id}", headers=f.auth(finance)).status_code == 200
    got = _fresh(invoice.id)
    assert (got.status, got.balance_due, got.paid_at) == ("sent", Decimal("120.00"), None)


def test_mark_paid_and_void_follow_the_matrix(client, org):
    staff, finance, manager = (f.make_user(org, r) for r in ("Staff", "Finance", "Manager"))
    invoice = f.make_invoice(org, send=True)
    assert client.post(f"/api/v1/invoices/{invoice.id}/mark_paid", headers=f.auth(staff)).status_code == 403
    assert client.post(f"/api/v1/invoices/{invoice.id}/void", headers=f.auth(staff)).status_code == 403
    resp = client.post(f"/api/v1/invoices/{invoice.id}/mark_paid", json={"method": "cash"}, headers=f.auth(finance))
    assert resp.status_code == 200 and resp.get_json()["result"]["status"] == "paid"
    resp = client.post(f"/api/v1/invoices/{invoice.id}/void", headers=f.auth(manager))
    assert resp.status_code == 409 and "payments" in resp.get_json()["message"]
    assert _fresh(invoice.id).status == "paid"


def test_the_invoice_page_records_and_removes_payments(client, org):
    finance = f.make_user(org, "Finance")
    invoice = f.make_invoice(org, send=True)
    f.page_login(client, finance)
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert 'id="add-payment-form"' in page and 'data-action="mark_paid"' in page and 'data-action="void"' in page
    resp = client.post(f"/invoices/payments/{invoice.id}/add", data={"amount": "500"}, follow_redirects=True)
    assert "More than the balance due (120.00 EUR)" in resp.get_data(as_text=True)
    client.post(f"/invoices/payments/{invoice.id}/add", data={"amount": "120", "method": "cash", "date": "2031-02-01"})
    assert _fresh(invoice.id).status == "paid"
    payment = db.session.scalars(db.select(Payment).where(Payment.invoice_id == invoice.id)).one()
    client.post(f"/invoices/payments/{invoice.id}/{payment.id}/remove")
    assert _fresh(invoice.id).status == "sent"


def test_staff_sees_no_payment_or_void_buttons(client, org):
    staff = f.make_user(org, "Staff")
    invoice = f.make_invoice(org, send=True)
    f.page_login(client, staff)
    page = client.get(f"/invoices/show/{invoice.id}").get_data(as_text=True)
    assert 'id="add-payment-form"' not in page and 'data-action="mark_paid"' not in page
    assert 'data-action="void"' not in page and 'id="pdf-button"' in page


def test_sixteen_concurrent_payments_never_overpay(app, org):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers: the race needs PostgreSQL")
    finance = f.make_user(org, "Finance")
    invoice = f.make_invoice(org, lines=(("Big job", "1", "1000.00", "0", "0"),), send=True)
    headers = f.auth(finance)
    pk = invoice.id
    results: list[int] = []
    barrier = threading.Barrier(16)

    def pay(i):
        c = app.test_client()
        barrier.wait()
        url = f"/api/v1/invoices/{pk}/payments" if i % 2 else "/api/v1/payments/"
        body = {"amount": "100.00"} if i % 2 else {"invoice": pk, "amount": "100.00"}
        results.append(c.post(url, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # ten fit; the six that come after the balance reached zero are refused (409 paid / 422 more than due)
    assert results.count(201) == 10 and set(results) <= {201, 409, 422}, results
    got = _fresh(pk)
    paid = db.session.scalar(db.select(db.func.sum(Payment.amount)).where(Payment.invoice_id == pk))
    assert (got.paid_total, paid, got.balance_due, got.status) == (Decimal("1000.00"), Decimal("1000.00"), 0, "paid")


def test_a_payment_on_an_invoice_that_does_not_exist_is_422_not_500(client, org):
    finance = f.make_user(org, "Finance")
    for invoice in (10**6, f.make_invoice(f.make_org(), send=True).id):  # nowhere; another organization's
        resp = client.post("/api/v1/payments/", json={"amount": "5", "invoice": invoice}, headers=f.auth(finance))
        assert resp.status_code == 422, resp.get_json()
        assert resp.get_json()["message"] == {"invoice": ["Not found in this organization."]}
