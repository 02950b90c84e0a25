"""Totals in one place: Decimal, rounded per line half up to the currency's minor unit, stored on
the invoice and kept consistent by every write of a line (API, page, service), listed without a
query per row."""

from __future__ import annotations

from decimal import Decimal

from app.billing.models import Invoice
from app.billing.totals import invoice_totals, line_amounts
from app.extensions import db
from tests import factories as f


def test_each_line_is_rounded_half_up_to_the_minor_unit_before_it_is_summed():
    a = line_amounts(Decimal("3"), Decimal("0.335"), Decimal(0), Decimal(0), "EUR")
    assert a.subtotal == Decimal("1.01")  # 1.005 → 1.01 (half up)
    b = line_amounts(Decimal("1"), Decimal("10.00"), Decimal("12.5"), Decimal("19"), "EUR")
    assert (b.subtotal, b.discount, b.tax, b.total) == (
        Decimal("10.00"),
        Decimal("1.25"),
        Decimal("1.66"),
        Decimal("10.41"),
    )
    yen = line_amounts(Decimal("1"), Decimal("100.50"), Decimal(0), Decimal(10), "JPY")
    assert (yen.subtotal, yen.tax) == (Decimal("101"), Decimal("10"))
    t = invoice_totals([a, b], [Decimal("5")], "EUR")
    assert (t.subtotal, t.discount, t.tax, t.total, t.paid, t.balance_due) == (
        Decimal("11.01"),
        Decimal("1.25"),
        Decimal("1.66"),
        Decimal("11.42"),
        Decimal("5.00"),
        Decimal("6.42"),
    )


def _fresh(invoice_id: int) -> Invoice:
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id)


def test_stored_totals_follow_every_line_write_on_the_api(client, org):
    user = f.make_user(org, "Staff")
    h = f.auth(user)
    invoice = f.make_invoice(org, lines=(("Design", "2", "100.00", "20", "10"),))
    assert _fresh(invoice.id).total == Decimal("216.00")  # 200 - 20 + 36
    resp = client.post(
        "/api/v1/invoice-lines/",
        json={"invoice": invoice.id, "description": "Hosting", "quantity": "1", "unit_price": "9.99", "tax_rate": "20"},
        headers=h,
    )
    assert resp.status_code == 201, resp.get_json()
    line_id = resp.get_json()["id"]
    got = _fresh(invoice.id)
    assert (got.subtotal, got.discount_total, got.tax_total, got.total) == (
        Decimal("209.99"),
        Decimal("20.00"),
        Decimal("38.00"),
        Decimal("227.99"),
    )
    assert client.put(f"/api/v1/invoice-lines/{line_id}", json={"quantity": "3"}, headers=h).status_code == 200
    assert _fresh(invoice.id).total == Decimal("251.96")  # 29.97 + 5.99 tax
    assert client.delete(f"/api/v1/invoice-lines/{line_id}", headers=h).status_code == 200
    got = _fresh(invoice.id)
    assert (got.total, got.balance_due) == (Decimal("216.00"), Decimal("216.00"))


def test_an_archived_line_does_not_count(client, org):
    invoice = f.make_invoice(org, lines=(("A", "1", "10", "0", "0"), ("B", "1", "5", "0", "0")))
    user = f.make_user(org, "Manager")
    line = next(x for x in invoice.lines if x.description == "B")
    assert client.post(f"/api/v1/invoice-lines/{line.id}/archive", headers=f.auth(user)).status_code == 200
    assert _fresh(invoice.id).total == Decimal("10.00")
    assert client.post(f"/api/v1/invoice-lines/{line.id}/restore", headers=f.auth(user)).status_code == 200
    assert _fresh(invoice.id).total == Decimal("15.00")


def test_changing_a_drafts_currency_rerounds_its_lines(client, org):
    invoice = f.make_invoice(org, lines=(("A", "1", "100.50", "10", "0"),))
    user = f.make_user(org, "Staff")
    assert (
        client.put(f"/api/v1/invoices/{invoice.id}", json={"currency": "JPY"}, headers=f.auth(user)).status_code == 200
    )
    assert _fresh(invoice.id).total == Decimal("111")


def test_the_list_carries_the_totals_in_its_one_select(client, org):
    for _ in range(3):
        f.make_invoice(org, send=True)
    user = f.make_user(org, "Staff")
    resp = client.get("/api/v1/invoices/", headers=f.auth(user))
    assert resp.status_code == 200
    rows = resp.get_json()["result"]
    assert {r["total"] for r in rows} == {"120.00"} and {r["balance_due"] for r in rows} == {"120.00"}
    assert all(r["number"].startswith("INV/") for r in rows)


def test_three_decimal_currencies_are_refused_for_invoices(client, org):
    user = f.make_user(org, "Staff")
    resp = client.post(
        "/api/v1/invoices/", json={"client": f.make_client(org).id, "currency": "KWD"}, headers=f.auth(user)
    )
    assert resp.status_code == 422 and "currency" in resp.get_json()["message"]
