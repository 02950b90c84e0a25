"""An assignment's code, lifecycle and scope: VAL/<year>/<seq> gapless per organization; only
the declared moves (409 naming the allowed next states), a step back only with the named
permission, each move on the timeline and audited as status_change; a valuer sees only the
assignments assigned to them; a branch must be of the assignment's bank."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.core.audit import AuditRecord
from app.extensions import db
from app.work.models import AssignmentActivity
from tests import factories as f
from tests.work import helpers as w

API = "/api/v1/assignments"


def _move(client, headers, row, to):
    return client.post(f"{API}/{row.id}/transition", json={"to": to}, headers=headers)


def test_codes_are_gapless_per_organization_and_year(client, org, other_org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    year = date.today().year
    codes = []
    for _ in range(3):
        resp = client.post(f"{API}/", json={"client": f.make_client(org).id, "fee": "100"}, headers=h)
        assert resp.status_code == 201, resp.get_json()
        codes.append(resp.get_json()["result"]["code"] if "code" in resp.get_json()["result"] else None)
    rows = client.get(f"{API}/?q=(order_column:code,order_direction:asc)", headers=h).get_json()["result"]
    numbers = [int(r["code"].rsplit("/", 1)[1]) for r in rows]
    assert all(r["code"].startswith(f"VAL/{year}/") for r in rows)
    assert numbers == list(range(numbers[0], numbers[0] + 3)) and numbers[0] == 1
    theirs = w.make_assignment(other_org)
    assert theirs.code == f"VAL/{year}/0001"  # another organization has its own series


def test_the_code_cannot_be_changed(client, org):
    manager = f.make_user(org, "Manager")
    row = w.make_assignment(org)
    resp = client.put(f"{API}/{row.id}", json={"code": "VAL/1999/0001"}, headers=f.auth(manager))
    assert resp.status_code == 422  # not an editable field


def test_every_forward_move_and_cancel(client, org):
    valuer = f.make_user(org, "Valuer")
    h = f.auth(valuer)
    row = w.make_assignment(org, valuer)
    for to in ("site_visit", "processing", "submitted", "completed"):
        resp = _move(client, h, row, to)
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["result"]["status"] == to
    for start in ("pending", "site_visit", "processing", "submitted"):
        other = w.make_assignment(org, valuer, status=start)
        assert _move(client, h, other, "cancelled").status_code == 200, start


def test_a_skip_or_a_move_out_of_a_final_state_is_409_naming_the_next_states(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    row = w.make_assignment(org)
    resp = _move(client, h, row, "completed")
    assert resp.status_code == 409
    assert "site_visit" in resp.get_json()["detail"] and "cancelled" in resp.get_json()["detail"]
    for final in ("completed", "cancelled"):
        done = w.make_assignment(org, status=final)
        resp = _move(client, h, done, "processing")
        assert resp.status_code == 409 and "final" in resp.get_json()["detail"], final
    assert _move(client, h, row, "archived").status_code == 422  # not a state


def test_a_step_back_needs_the_rollback_permission(client, org):
    valuer, manager = f.make_user(org, "Valuer"), f.make_user(org, "Manager")
    row = w.make_assignment(org, valuer, status="submitted")
    resp = _move(client, f.auth(valuer), row, "processing")
    assert resp.status_code == 403 and "can_" not in resp.get_json()["message"]
    assert _move(client, f.auth(manager), row, "processing").status_code == 200  # a report sent back
    assert _move(client, f.auth(manager), row, "pending").status_code == 409  # one step at a time


def test_each_move_writes_the_timeline_and_a_status_change_audit_entry(client, org):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    assert _move(client, f.auth(valuer), row, "site_visit").status_code == 200
    bodies = db.session.scalars(sa.select(AssignmentActivity.body).where(AssignmentActivity.assignment_id == row.id))
    assert "Status pending → site visit" in list(bodies)
    actions = db.session.scalars(
        sa.select(AssignmentActivity.kind).where(AssignmentActivity.assignment_id == row.id)
    ).all()
    assert "status_change" in actions
    audited = db.session.scalars(
        sa.select(AuditRecord.action).where(AuditRecord.resource == "Assignment", AuditRecord.record_id == row.id)
    ).all()
    assert "status_change" in audited


def test_a_plain_put_of_the_status_meets_the_same_lifecycle(client, org):
    manager = f.make_user(org, "Manager")
    row = w.make_assignment(org)
    resp = client.put(f"{API}/{row.id}", json={"status": "completed"}, headers=f.auth(manager))
    assert resp.status_code in (409, 422)


def test_the_page_offers_only_the_moves_the_role_may_take(app, org):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer, status="submitted")
    client = app.test_client()
    f.page_login(client, valuer)
    page = client.get(f"/assignments/show/{row.id}").get_data(as_text=True)
    assert 'value="completed"' in page and 'value="processing"' not in page
    resp = client.post(f"/assignments/do/transition/{row.id}", data={"to": "processing"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(row), row.id).status == "submitted"


def test_a_valuer_sees_only_the_assignments_assigned_to_them(app, client, org):
    valuer, other = f.make_user(org, "Valuer"), f.make_user(org, "Valuer")
    mine, theirs = w.make_assignment(org, valuer), w.make_assignment(org, other)
    h = f.auth(valuer)
    assert [r["id"] for r in client.get(f"{API}/", headers=h).get_json()["result"]] == [mine.id]
    for url in (f"{API}/{theirs.id}", f"{API}/{theirs.id}/messages", f"{API}/{theirs.id}/documents"):
        assert client.get(url, headers=h).status_code == 404, url
    assert _move(client, h, theirs, "site_visit").status_code == 404
    pages = app.test_client()
    f.page_login(pages, valuer)
    assert pages.get(f"/assignments/show/{theirs.id}").status_code == 404
    manager = f.make_user(org, "Manager")
    assert client.get(f"{API}/{theirs.id}", headers=f.auth(manager)).status_code == 200


def test_the_tasks_of_an_assignment_follow_its_scope(client, org):
    from app.crm.models import Task

    valuer, other, manager = f.make_user(org, "Valuer"), f.make_user(org, "Valuer"), f.make_user(org, "Manager")
    mine, theirs = w.make_assignment(org, valuer), w.make_assignment(org, other)
    resp = client.post(f"{API}/{mine.id}/tasks", json={"title": "Call the owner"}, headers=f.auth(manager))
    assert resp.status_code == 201
    client.post(f"{API}/{theirs.id}/tasks", json={"title": "Not yours"}, headers=f.auth(manager))
    tasks = client.get(f"{API}/{mine.id}/tasks", headers=f.auth(valuer)).get_json()["result"]
    assert [t["title"] for t in tasks] == ["Call the owner"]
    assert client.get(f"{API}/{theirs.id}/tasks", headers=f.auth(valuer)).status_code == 404
    staff = f.make_user(org, "Staff")  # the CRM's task list leaves out tasks of assignments it cannot see
    titles = [
        t["title"] for t in client.get("/api/v1/tasks/?q=(page_size:100)", headers=f.auth(staff)).get_json()["result"]
    ]
    assert "Call the owner" not in titles and "Not yours" not in titles
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.assignment_id == mine.id)) == 1


def test_a_branch_must_be_of_the_assignments_bank(client, org):
    manager = f.make_user(org, "Manager")
    bank, other_bank = w.make_bank(org), w.make_bank(org)
    branch = w.make_branch(org, other_bank)
    body = {"client": f.make_client(org).id, "bank": bank.id, "branch": branch.id}
    resp = client.post(f"{API}/", json=body, headers=f.auth(manager))
    assert resp.status_code == 422 and "branch" in resp.get_json()["message"]
    ok = client.post(f"{API}/", json={**body, "bank": other_bank.id}, headers=f.auth(manager))
    assert ok.status_code == 201


def test_another_organizations_bank_is_refused(client, org, other_org):
    manager = f.make_user(org, "Manager")
    theirs = w.make_bank(other_org)
    resp = client.post(f"{API}/", json={"client": f.make_client(org).id, "bank": theirs.id}, headers=f.auth(manager))
    assert resp.status_code == 422
    branch = client.post("/api/v1/branches/", json={"name": "X", "bank": theirs.id}, headers=f.auth(manager))
    assert branch.status_code == 422


def test_reassigning_needs_its_permission_and_a_member(client, org, other_org):
    valuer, other, manager = f.make_user(org, "Valuer"), f.make_user(org, "Valuer"), f.make_user(org, "Manager")
    outsider = f.make_user(other_org, "Valuer")
    row = w.make_assignment(org, valuer)
    assert (
        client.post(f"{API}/{row.id}/reassign", json={"user_id": other.id}, headers=f.auth(valuer)).status_code == 403
    )
    resp = client.post(f"{API}/{row.id}/reassign", json={"user_id": outsider.id}, headers=f.auth(manager))
    assert resp.status_code == 422
    resp = client.post(f"{API}/{row.id}/reassign", json={"user_id": other.id}, headers=f.auth(manager))
    assert resp.status_code == 200 and resp.get_json()["result"]["assignee"]["id"] == other.id
    assert client.get(f"{API}/{row.id}", headers=f.auth(valuer)).status_code == 404  # no longer theirs
    # the assignee is not an editable field: a PUT cannot go around reassign
    assert client.put(f"{API}/{row.id}", json={"assignee": valuer.id}, headers=f.auth(manager)).status_code == 422


def test_the_reassign_service_joins_an_outer_unit_of_work(org):
    from app.core.uow import unit_of_work
    from app.work.services import assignments

    valuer, other, manager = f.make_user(org, "Valuer"), f.make_user(org, "Valuer"), f.make_user(org, "Manager")
    row = w.make_assignment(org, valuer)
    try:
        with f.acting(manager, org), unit_of_work("approval", actor=manager):
            assignments.reassign(row, other.id, actor=manager)
            raise RuntimeError("the outer action fails")
    except RuntimeError:
        pass
    db.session.expire_all()
    assert db.session.get(type(row), row.id).assignee_id == valuer.id
