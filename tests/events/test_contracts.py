"""Contracts: the commercial defaults to the client's account manager; status derived
(unsigned | signed | paid); sign (409 twice); add-payment (> 0, never more than is due: 422);
filters not signed / not paid; Admin/Manager create, a Commercial edits only their own
clients' contracts (403 on another's) and creates none."""

from __future__ import annotations

from decimal import Decimal

from app.events.models import Contract
from app.extensions import db
from tests import factories as f


def _fresh(pk: int) -> Contract:
    db.session.expire_all()
    return db.session.get(Contract, pk)


def test_sign_then_pay_until_paid(client, org):
    commercial = f.make_user(org, "Commercial")
    contract = f.make_contract(org, f.make_client(org, commercial), total="1000")
    assert (contract.commercial_id, contract.status, contract.amount_due) == (
        commercial.id,
        "unsigned",
        Decimal("1000"),
    )
    h = f.auth(commercial)
    assert client.post(f"/api/v1/contracts/{contract.id}/sign", headers=h).status_code == 200
    resp = client.post(f"/api/v1/contracts/{contract.id}/sign", headers=h)
    assert resp.status_code == 409 and "already signed" in resp.get_json()["message"]
    resp = client.post(
        f"/api/v1/contracts/{contract.id}/payments", json={"amount": "400", "date": "2031-01-01"}, headers=h
    )
    assert resp.status_code == 201 and resp.get_json()["result"]["amount_due"] == "600.00"
    for amount in ("600.01", "0", "-1", "abc"):
        resp = client.post(f"/api/v1/contracts/{contract.id}/payments", json={"amount": amount}, headers=h)
        assert resp.status_code == 422, amount
    resp = client.post(f"/api/v1/contracts/{contract.id}/payments", json={"amount": "600"}, headers=h)
    assert resp.status_code == 201
    got = _fresh(contract.id)
    assert (got.status, got.amount_due, got.paid_amount) == ("paid", Decimal("0.00"), Decimal("1000.00"))
    assert client.put(f"/api/v1/contracts/{contract.id}", json={"total_amount": "900"}, headers=h).status_code == 422


def test_only_managers_create_contracts_and_a_commercial_edits_only_their_clients(client, org):
    commercial, other = f.make_user(org, "Commercial"), f.make_user(org, "Commercial")
    manager = f.make_user(org, "Manager")
    mine = f.make_contract(org, f.make_client(org, commercial))
    theirs = f.make_contract(org, f.make_client(org, other))
    body = {"client": f.make_client(org, commercial).id, "total_amount": "500"}
    assert client.post("/api/v1/contracts/", json=body, headers=f.auth(commercial)).status_code == 403
    assert client.post("/api/v1/contracts/", json=body, headers=f.auth(manager)).status_code == 201
    h = f.auth(commercial)
    assert client.put(f"/api/v1/contracts/{mine.id}", json={"reference": "Mine"}, headers=h).status_code == 200
    assert client.put(f"/api/v1/contracts/{theirs.id}", json={"reference": "Theirs"}, headers=h).status_code == 403
    assert client.post(f"/api/v1/contracts/{theirs.id}/sign", headers=h).status_code == 403
    assert client.get(f"/api/v1/contracts/{theirs.id}", headers=h).status_code == 200  # readable
    f.page_login(client, commercial)
    assert client.get("/contracts/add").status_code == 403


def test_filters_not_signed_and_not_paid(client, org):
    unsigned = f.make_contract(org)
    signed = f.make_contract(org, signed=True)
    paid = f.make_contract(org, signed=True, total="10")
    with f.acting(None, org):
        from app.events import services

        services.add_contract_payment(paid, "10")
    h = f.auth(f.make_user(org, "Viewer"))
    not_signed = client.get("/api/v1/contracts/?q=(filters:!((col:status,opr:not_signed,value:1)))", headers=h)
    assert unsigned.id in not_signed.get_json()["ids"] and signed.id not in not_signed.get_json()["ids"]
    not_paid = client.get("/api/v1/contracts/?q=(filters:!((col:status,opr:not_paid,value:1)))", headers=h).get_json()
    assert {unsigned.id, signed.id} <= set(not_paid["ids"]) and paid.id not in not_paid["ids"]


def test_a_revert_cannot_unsign_a_contract(client, org):
    contract = f.make_contract(org, signed=True)
    manager = f.make_user(org, "Manager")
    first = f.versions_of(Contract, contract.id, with_tx=True)[0][2]
    resp = client.post(
        f"/api/v1/contracts/{contract.id}/revert", json={"transaction_id": first}, headers=f.auth(manager)
    )
    assert resp.status_code == 200
    assert _fresh(contract.id).status == "signed"  # status and signature are not reverted
