"""Receivables: per client and currency — outstanding, overdue, oldest due date, aging buckets —
by aggregate SQL, for the active organization only; the page and the dashboard card."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from tests import factories as f


def _issue(org, client, days_late: int, price: str = "100", currency: str = "EUR"):
    issued = date.today() - timedelta(days=days_late + 30)
    return f.make_invoice(
        org, client, lines=(("Work", "1", price, "0", "0"),), issue_date=issued, currency=currency, send=True
    )


def test_receivables_per_client_and_currency_with_aging(client, org, other_org):
    acme, hooli = f.make_client(org, name="Acme"), f.make_client(org, name="Hooli")
    _issue(org, acme, -5)  # not yet due
    _issue(org, acme, 0)  # due today: 0-30, not overdue
    _issue(org, acme, 45, "200")
    partly = _issue(org, acme, 100, "300")
    f.pay(partly, "50", org)
    _issue(org, acme, 10, "70", currency="USD")
    paid = _issue(org, hooli, 70, "400")
    with f.acting(None, org):
        from app.billing import services

        services.mark_paid(paid)
    _issue(org, hooli, 75, "80")
    f.make_invoice(org, hooli)  # a draft owes nothing
    _issue(other_org, f.make_client(other_org), 10, "9999")  # another organization's
    user = f.make_user(org, "Finance")
    resp = client.get("/api/v1/analytics/receivables", headers=f.auth(user))
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()["result"]
    rows = {(r["client_name"], r["currency"]): r for r in report["clients"]}
    assert set(rows) == {("Acme", "EUR"), ("Acme", "USD"), ("Hooli", "EUR")}
    acme_eur = rows[("Acme", "EUR")]
    assert acme_eur["outstanding"] == "650.00" and acme_eur["overdue"] == "450.00"
    assert (acme_eur["current"], acme_eur["d0_30"], acme_eur["d31_60"], acme_eur["d61_90"], acme_eur["d90_plus"]) == (
        "100.00",
        "100.00",
        "200.00",
        "0.00",
        "250.00",
    )
    assert acme_eur["oldest_due_date"] == (date.today() - timedelta(days=100)).isoformat()
    assert rows[("Hooli", "EUR")]["d61_90"] == "80.00" and rows[("Hooli", "EUR")]["invoices"] == 1
    assert report["clients"][0]["client_name"] == "Acme"  # who owes most first
    totals = {t["currency"]: t for t in report["totals"]}
    assert totals["EUR"]["outstanding"] == "730.00" and totals["USD"]["overdue"] == "70.00"
    assert report["count"] == 3


def test_receivables_are_two_aggregate_statements_whatever_the_invoices(client, org):
    for days in (1, 40, 80, 120):
        _issue(org, f.make_client(org), days)
    user = f.make_user(org, "Finance")
    h = f.auth(user)
    client.get("/api/v1/analytics/receivables", headers=h)
    seen: list[str] = []
    listener = lambda _c, _cur, stmt, *_a: seen.append(stmt)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get("/api/v1/analytics/receivables", headers=h).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    grouped = [s for s in seen if "GROUP BY" in s.upper()]
    assert len(grouped) == 2 and all("invoice" in s for s in grouped)


def test_receivables_need_read_on_invoices_and_refuse_bad_arguments(client, org):
    assert client.get("/api/v1/analytics/receivables", headers=f.auth(f.make_user(org, "HR"))).status_code == 403
    h = f.auth(f.make_user(org, "Finance"))
    for query in ("page=-1", "page_size=abc", "client_id=x", "client_id=99999999999"):
        assert client.get(f"/api/v1/analytics/receivables?{query}", headers=h).status_code in (400, 422), query


def test_the_receivables_page_and_the_dashboard_card(client, org):
    _issue(org, f.make_client(org, name="Overdue Ltd"), 40, "250")
    finance = f.make_user(org, "Finance")
    f.page_login(client, finance)
    page = client.get("/receivables/").get_data(as_text=True)
    assert "Overdue Ltd" in page and "250.00" in page
    home = client.get("/").get_data(as_text=True)
    assert 'id="receivables-EUR"' in home and "250.00" in home
    hr = f.make_user(org, "HR")
    other = type(client)(client.application)
    f.page_login(other, hr)
    assert 'id="receivables-' not in other.get("/").get_data(as_text=True)
    assert other.get("/receivables/").status_code in (302, 403)


def test_overdue_is_derived_and_filterable(client, org):
    late, on_time = _issue(org, f.make_client(org), 5), _issue(org, f.make_client(org), -5)
    user = f.make_user(org, "Staff")
    resp = client.get("/api/v1/invoices/?q=(filters:!((col:status,opr:overdue,value:1)))", headers=f.auth(user))
    ids = resp.get_json()["ids"]
    assert late.id in ids and on_time.id not in ids
    f.page_login(client, user)
    listing = client.get("/invoices/list/").get_data(as_text=True)
    assert "overdue" in listing and 'id="overdue-filter"' in listing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("invoice"))) >= 2
