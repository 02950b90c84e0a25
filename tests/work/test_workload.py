"""Workload: open assignments per valuer per week, net of leave, by aggregate SQL."""

from __future__ import annotations

from datetime import date, timedelta

from tests import factories as f
from tests.work import helpers as w


def test_open_assignments_per_week_with_capacity_reduced_by_leave(client, org):
    valuer, other, manager, hr = (f.make_user(org, r) for r in ("Valuer", "Valuer", "Manager", "HR"))
    monday = date(2031, 3, 3)
    for days in (0, 1, 2):
        w.make_assignment(org, valuer, due_date=monday + timedelta(days=days))
    w.make_assignment(org, valuer, due_date=monday + timedelta(days=8))
    w.make_assignment(org, valuer, due_date=monday, status="completed")  # not open
    w.make_assignment(org, other, due_date=monday + timedelta(days=9))
    leave = w.make_leave(org, other, monday + timedelta(days=7), monday + timedelta(days=8))
    client.post(f"/api/v1/leave-requests/{leave.id}/approve", headers=f.auth(hr))
    resp = client.get("/api/v1/workload/?from=2031-03-03&to=2031-03-16", headers=f.auth(manager))
    assert resp.status_code == 200, resp.get_json()
    result = resp.get_json()["result"]
    assert result["weeks"] == ["2031-03-03", "2031-03-10"]
    rows = {r["username"]: r["weeks"] for r in result["valuers"]}
    assert [(c["open"], c["capacity"], c["leave_days"]) for c in rows[valuer.username]] == [(3, 5, 0), (1, 5, 0)]
    assert [(c["open"], c["capacity"], c["leave_days"]) for c in rows[other.username]] == [(0, 5, 0), (1, 3, 2)]
    assert rows[other.username][1]["free"] == 2


def test_a_valuer_sees_their_own_row_and_bad_ranges_are_422(client, org):
    valuer, other = f.make_user(org, "Valuer"), f.make_user(org, "Valuer")
    w.make_assignment(org, other, due_date=date(2031, 3, 4))
    resp = client.get("/api/v1/workload/?from=2031-03-03&to=2031-03-09", headers=f.auth(valuer)).get_json()
    assert [r["username"] for r in resp["result"]["valuers"]] == [valuer.username]
    for bad in ("from=2031-03-09&to=2031-03-01", "from=x", "from=2031-01-01&to=2032-01-01"):
        assert client.get(f"/api/v1/workload/?{bad}", headers=f.auth(valuer)).status_code == 422, bad


def test_the_workload_page(app, org):
    manager, valuer = f.make_user(org, "Manager"), f.make_user(org, "Valuer")
    w.make_assignment(org, valuer, due_date=date.today())
    pages = app.test_client()
    f.page_login(pages, manager)
    page = pages.get("/workload/").get_data(as_text=True)
    assert valuer.username in page and "workload-table" in page
