"""Invoice numbers: INV/<year>/<seq> per organization and year, allocated when the invoice is
issued, gapless and unique under concurrency; a draft shows "Draft"; a deleted draft leaves no
gap; an issued invoice is never deleted, only voided (it keeps its number); a number derived
from an assignment's code is taken as given."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from app.billing import services
from app.billing.models import INVOICE_STATUS, Invoice
from app.core.errors import Conflict, Invalid
from app.extensions import db
from tests import factories as f


def test_sending_allocates_consecutive_numbers_and_a_draft_shows_draft(client, org, other_org):
    user = f.make_user(org, "Staff")
    draft = f.make_invoice(org)
    assert draft.number is None and draft.label == "Draft"
    page = client.get(f"/api/v1/invoices/{draft.id}", headers=f.auth(user)).get_json()["result"]
    assert page["number"] is None and page["status"] == "draft"
    year = date.today().year
    numbers = []
    for _ in range(3):
        inv = f.make_invoice(org)
        resp = client.post(f"/api/v1/invoices/{inv.id}/send", headers=f.auth(user))
        assert resp.status_code == 200, resp.get_json()
        numbers.append(resp.get_json()["result"]["number"])
    assert numbers == [f"INV/{year}/0001", f"INV/{year}/0002", f"INV/{year}/0003"]
    assert f.make_invoice(other_org, send=True).number == f"INV/{year}/0001"  # per organization


def test_the_issue_year_chooses_the_series(org):
    inv = f.make_invoice(org, issue_date=date(2030, 12, 31), send=True)
    assert inv.number == "INV/2030/0001" and inv.due_date == date(2031, 1, 30)


def test_a_deleted_draft_leaves_no_gap_and_an_issued_invoice_is_never_deleted(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    h = f.auth(admin, org)
    draft = f.make_invoice(org)
    assert client.delete(f"/api/v1/invoices/{draft.id}", headers=h).status_code == 200
    first = f.make_invoice(org, send=True)
    assert first.number.endswith("/0001")
    resp = client.delete(f"/api/v1/invoices/{first.id}", headers=h)
    assert resp.status_code == 409 and "void it instead" in resp.get_json()["message"]
    assert client.post(f"/api/v1/invoices/{first.id}/void", headers=h).status_code == 200
    db.session.expire_all()
    voided = db.session.get(Invoice, first.id)
    assert (voided.status, voided.number) == ("void", first.number)
    assert f.make_invoice(org, send=True).number.endswith("/0002")


def test_a_draft_is_deleted_not_voided(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    h = f.auth(admin, org)
    draft = f.make_invoice(org)
    assert "void" not in client.get(f"/api/v1/invoices/{draft.id}", headers=h).get_json().get("actions", {})
    resp = client.post(f"/api/v1/invoices/{draft.id}/void", headers=h)
    assert resp.status_code == 409 and "delete it instead" in resp.get_json()["message"]
    with pytest.raises((Conflict, Invalid)):  # the lifecycle itself, below every entry point
        INVOICE_STATUS.transition(draft, "void")
    db.session.expire_all()
    assert db.session.get(Invoice, draft.id).status == "draft"
    assert client.delete(f"/api/v1/invoices/{draft.id}", headers=h).status_code == 200


def test_sending_twice_or_sending_an_empty_invoice_is_409(client, org):
    user = f.make_user(org, "Staff")
    inv = f.make_invoice(org, send=True)
    resp = client.post(f"/api/v1/invoices/{inv.id}/send", headers=f.auth(user))
    assert resp.status_code == 409 and "already issued" in resp.get_json()["message"]
    with f.acting(None, org), pytest.raises(Conflict):
        services.send_invoice(inv)
    empty = f.make_invoice(org, lines=())
    resp = client.post(f"/api/v1/invoices/{empty.id}/send", headers=f.auth(user))
    assert resp.status_code == 409 and "line" in resp.get_json()["detail"]


def test_an_issued_invoices_client_and_currency_are_frozen(client, org):
    user = f.make_user(org, "Staff")
    inv = f.make_invoice(org, send=True)
    resp = client.put(f"/api/v1/invoices/{inv.id}", json={"currency": "USD"}, headers=f.auth(user))
    assert resp.status_code == 409
    assert client.put(f"/api/v1/invoices/{inv.id}", json={"notes": "Thanks"}, headers=f.auth(user)).status_code == 200


def test_a_derived_number_is_kept_and_the_series_skips_it(org):
    year = date.today().year
    assert services.derived_invoice_number("VAL/2026/0012") == "INV/2026/0012"
    with pytest.raises(Invalid):
        services.derived_invoice_number("nonsense")
    derived = f.make_invoice(org, number=f"INV/{year}/0002", notes="Bank: IBAN X", send=True)
    assert derived.number == f"INV/{year}/0002" and derived.notes == "Bank: IBAN X"
    assert f.make_invoice(org, send=True).number == f"INV/{year}/0001"
    assert f.make_invoice(org, send=True).number == f"INV/{year}/0003"  # 0002 is taken: skipped
    with f.acting(None, org), pytest.raises(Conflict, match="already used"):
        services.create_invoice(f.make_client(org).id, number=f"INV/{year}/0003")


def test_services_join_an_outer_unit_of_work_with_an_actor(org):
    """As approvals will: one outer action, the billing service inside it, one transaction."""
    from app.core.uow import unit_of_work

    finance = f.make_user(org, "Finance")
    inv = f.make_invoice(org, send=True)
    with f.acting(None, org), unit_of_work("approve", actor=finance):
        services.mark_paid(inv, actor=finance)
    db.session.expire_all()
    assert db.session.get(Invoice, inv.id).status == "paid"
    assert [u for _, u in f.versions_of(Invoice, inv.id)][-1] == finance.username


def test_sixteen_concurrent_sends_get_sixteen_consecutive_numbers(app, org):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers: the race needs PostgreSQL")
    user = f.make_user(org, "Staff")
    ids = [f.make_invoice(org).id for _ in range(16)]
    headers = f.auth(user)
    results: list[int] = []
    barrier = threading.Barrier(16)

    def send(pk):
        c = app.test_client()
        barrier.wait()
        results.append(c.post(f"/api/v1/invoices/{pk}/send", headers=headers).status_code)

    threads = [threading.Thread(target=send, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 16
    db.session.expire_all()
    numbers = sorted(db.session.get(Invoice, pk).number for pk in ids)
    year = date.today().year
    assert numbers == [f"INV/{year}/{i:04d}" for i in range(1, 17)]
