"""Exactly one outcome under concurrent decisions (SPEC §9): two decisions on one request sent
at the same moment, many rounds — one wins, the other is a 409, and the action is taken at most
once. On PostgreSQL (where the decisions really run in parallel); SQLite serializes writers."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.approvals.models import ApprovalRequest
from app.billing.models import Invoice, Payment
from app.extensions import db
from tests import factories as f

ROUNDS = 12


@pytest.fixture
def postgres(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent decisions are raced on PostgreSQL (TEST_DATABASE_URL)")


def _race(app, calls) -> list[int]:
    """Send the calls at once, each from its own thread and client; their status codes."""
    barrier = threading.Barrier(len(calls))
    codes: list[int | None] = [None] * len(calls)

    def run(i, headers, path, body):
        client = app.test_client()
        barrier.wait()
        codes[i] = client.post(path, json=body, headers=headers).status_code

    threads = [
        threading.Thread(target=run, args=(i, f.auth(user, org), path, body))
        for i, (user, org, path, body) in enumerate(calls)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return codes


@pytest.mark.parametrize("pair", [("approve", "reject"), ("approve", "approve"), ("approve", "cancel")])
def test_two_racing_decisions_have_exactly_one_winner(app, client, org, postgres, pair):
    finance = f.make_user(org, "Finance")
    first, second = f.make_user(org, "Manager"), f.make_user(org, "Manager")
    winners = set()
    for _ in range(ROUNDS):
        invoice = f.make_invoice(org, send=True)
        resp = client.post(f"/api/v1/invoices/{invoice.id}/mark_paid", headers=f.auth(finance, org))
        req_id = resp.get_json()["approval_request_id"]
        deciders = [first, finance if pair[1] == "cancel" else second]
        calls = [
            (user, org, f"/api/v1/approvals/{req_id}/{name}", {}) for user, name in zip(deciders, pair, strict=True)
        ]
        codes = _race(app, calls)
        assert sorted(codes) == [200, 409], codes
        winner = pair[codes.index(200)]
        winners.add(winner)
        db.session.expire_all()
        status = db.session.get(ApprovalRequest, req_id).status
        assert status == {"approve": "approved", "reject": "rejected", "cancel": "cancelled"}[winner]
        payments = db.session.scalar(
            sa.select(sa.func.count()).select_from(Payment).where(Payment.invoice_id == invoice.id)
        )
        paid = db.session.get(Invoice, invoice.id).status == "paid"
        assert (payments, paid) == ((1, True) if winner == "approve" else (0, False))
    assert winners  # (which side wins is the scheduler's: each round has exactly one)
