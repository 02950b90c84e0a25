"""Assignment codes under concurrency: sixteen assignments created at the same time get sixteen
consecutive codes (the counter row queues them), and two concurrent invoice generations of one
assignment make one invoice (the second is a 409 naming it)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from app.billing.models import Invoice
from app.extensions import db
from app.work.models import Assignment
from tests import factories as f
from tests.work import helpers as w


def _in_parallel(app, n, request):
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        c = app.test_client()
        barrier.wait()
        results[i] = request(c, i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_sixteen_concurrent_creations_get_sixteen_consecutive_codes(app, org):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers: the race needs PostgreSQL")
    manager = f.make_user(org, "Manager")
    headers = f.auth(manager)
    clients = [f.make_client(org).id for _ in range(16)]
    results = _in_parallel(
        app, 16, lambda c, i: c.post("/api/v1/assignments/", json={"client": clients[i]}, headers=headers).status_code
    )
    assert results == [201] * 16
    codes = sorted(db.session.scalars(sa.select(Assignment.code).where(Assignment.organization_id == org.id)))
    year = date.today().year
    assert codes == [f"VAL/{year}/{i:04d}" for i in range(1, 17)]


def test_two_concurrent_invoice_generations_make_one_invoice(app, org):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serializes writers: the race needs PostgreSQL")
    manager = f.make_user(org, "Manager")
    pk = w.make_assignment(org).id
    headers = f.auth(manager)
    results = _in_parallel(
        app, 2, lambda c, i: c.post(f"/api/v1/assignments/{pk}/invoice", headers=headers).status_code
    )
    assert sorted(results) == [201, 409]
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Invoice).where(Invoice.assignment_id == pk))
    assert count == 1
