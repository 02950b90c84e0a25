"""Projects and instances (SPEC §6): one active PRODUCTION instance per project on every path,
members, and assigned-only visibility for roles without can_edit_all on projects."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from app.core.audit import AuditRecord
from app.core.versioning import transaction_model
from app.extensions import db
from app.projects.models import Instance, ProjectMember
from tests import factories as f


def _tx_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(transaction_model()))


def _instances(project) -> list[tuple[str, str, bool]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Instance.name, Instance.type, Instance.active).where(Instance.project_id == project.id)
    )
    return sorted(tuple(r) for r in rows)


def _member_operations(project, org) -> list[int]:
    """Continuum operation types (0 insert, 2 delete) of a project's member rows, oldest first."""
    return list(
        db.session.scalars(
            sa.text(
                "SELECT operation_type FROM project_member_version"
                " WHERE project_id = :p AND organization_id = :o ORDER BY transaction_id"
            ),
            {"p": project.id, "o": org.id},
        )
    )


# ----------------------------------------------------------------- one active PRODUCTION
def test_a_second_active_production_instance_is_409_naming_the_first(client, org):
    manager = f.make_user(org, "Manager")
    project = f.make_project(org)
    live = f.make_instance(project, name="acme-prod", type="PRODUCTION")
    before, tx = _instances(project), _tx_count()
    body = {"name": "acme-prod-2", "type": "PRODUCTION", "project": project.id}
    resp = client.post("/api/v1/instances/", json=body, headers=f.auth(manager))
    assert resp.status_code == 409, resp.get_json()
    assert "acme-prod" in resp.get_json()["detail"] and f"#{live.id}" in resp.get_json()["detail"]
    assert "type" in resp.get_json()["message"]
    assert _instances(project) == before
    assert _tx_count() == tx  # no transaction for the refused action


def test_inactive_archived_or_other_types_do_not_count(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    project = f.make_project(org)
    f.make_instance(project, name="old", type="PRODUCTION", active=False)
    archived = f.make_instance(project, name="gone", type="PRODUCTION")
    assert client.post(f"/api/v1/instances/{archived.id}/archive", headers=h).status_code == 200
    for name, kind in (("live", "PRODUCTION"), ("stage", "STAGING"), ("stage-2", "STAGING"), ("dev", "DEVELOPMENT")):
        resp = client.post("/api/v1/instances/", json={"name": name, "type": kind, "project": project.id}, headers=h)
        assert resp.status_code == 201, resp.get_json()
    # another project has its own PRODUCTION
    other = f.make_project(org)
    resp = client.post("/api/v1/instances/", json={"name": "p2", "type": "PRODUCTION", "project": other.id}, headers=h)
    assert resp.status_code == 201


def test_update_to_production_or_reactivation_is_409(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    project = f.make_project(org)
    f.make_instance(project, name="live", type="PRODUCTION")
    staging = f.make_instance(project, name="stage", type="STAGING")
    old = f.make_instance(project, name="old", type="PRODUCTION", active=False)
    before, tx = _instances(project), _tx_count()
    assert client.put(f"/api/v1/instances/{staging.id}", json={"type": "PRODUCTION"}, headers=h).status_code == 409
    assert client.put(f"/api/v1/instances/{old.id}", json={"active": True}, headers=h).status_code == 409
    assert _instances(project) == before and _tx_count() == tx
    # moving the live one off PRODUCTION frees the slot
    assert client.put(f"/api/v1/instances/{old.id}", json={"name": "old-renamed"}, headers=h).status_code == 200


def test_restoring_a_second_active_production_is_409(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    project = f.make_project(org)
    first = f.make_instance(project, name="first", type="PRODUCTION")
    assert client.post(f"/api/v1/instances/{first.id}/archive", headers=h).status_code == 200
    f.make_instance(project, name="second", type="PRODUCTION")
    tx = _tx_count()
    resp = client.post(f"/api/v1/instances/{first.id}/restore", headers=h)
    assert resp.status_code == 409
    assert '"second"' in resp.get_json()["detail"]
    assert _tx_count() == tx
    db.session.expire_all()
    assert db.session.get(Instance, first.id).archived_at is not None


def test_reverting_to_a_production_state_that_would_be_a_second_one_is_409(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    project = f.make_project(org)
    inst = f.make_instance(project, name="was-prod", type="PRODUCTION")
    assert client.put(f"/api/v1/instances/{inst.id}", json={"type": "STAGING"}, headers=h).status_code == 200
    f.make_instance(project, name="new-prod", type="PRODUCTION")
    history = client.get(f"/api/v1/instances/{inst.id}/history", headers=h).get_json()["result"]
    created = history[-1]["transaction_id"]
    tx = _tx_count()
    resp = client.post(f"/api/v1/instances/{inst.id}/revert", json={"transaction_id": created}, headers=h)
    assert resp.status_code == 409, resp.get_json()
    assert _tx_count() == tx
    db.session.expire_all()
    assert db.session.get(Instance, inst.id).type == "STAGING"


def test_the_page_form_shows_the_rule_as_a_form_error(client, org):
    manager = f.make_user(org, "Manager")
    project = f.make_project(org)
    f.make_instance(project, name="live", type="PRODUCTION")
    f.page_login(client, manager)
    before, tx = _instances(project), _tx_count()
    data = {"name": "second-live", "type": "PRODUCTION", "project": str(project.id), "active": "y"}
    resp = client.post("/instances/add", data=data)
    assert resp.status_code == 200
    html = resp.data.decode()
    assert "already the active PRODUCTION instance" in html
    assert 'value="second-live"' in html  # the typed input is kept
    assert _instances(project) == before and _tx_count() == tx


def test_the_page_form_saves_an_inactive_instance(client, org):
    manager = f.make_user(org, "Manager")
    project = f.make_project(org)
    inst = f.make_instance(project, name="old-prod", type="PRODUCTION")
    f.page_login(client, manager)
    data = {"name": "old-prod", "type": "PRODUCTION", "project": str(project.id), "version": "1"}
    resp = client.post(f"/instances/edit/{inst.id}", data=data)  # the box unticked: no "active" sent
    assert resp.status_code == 302, resp.data.decode()[:2000]
    assert _instances(project) == [("old-prod", "PRODUCTION", False)]


def test_the_database_index_backs_the_rule(org, monkeypatch, client):
    """With the model check out of the way (a race), the partial unique index refuses the row
    and the API answers 409 with a clear message, not a 500."""
    manager = f.make_user(org, "Manager")
    project = f.make_project(org)
    f.make_instance(project, name="live", type="PRODUCTION")
    monkeypatch.setattr(Instance, "check_rules", lambda self, session: None)
    body = {"name": "racer", "type": "PRODUCTION", "project": project.id}
    resp = client.post("/api/v1/instances/", json=body, headers=f.auth(manager))
    assert resp.status_code == 409
    assert "already has an active PRODUCTION instance" in resp.get_json()["message"]
    assert [n for n, *_ in _instances(project)] == ["live"]


def test_invalid_type_url_and_version_are_422(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    project = f.make_project(org)
    for body, field in (
        ({"name": "x", "type": "PROD", "project": project.id}, "type"),
        ({"name": "x", "type": "STAGING", "url": "not a url", "project": project.id}, "url"),
        ({"name": "x", "type": "STAGING", "url": "ftp://x.example", "project": project.id}, "url"),
        ({"name": "x", "type": "STAGING", "odoo_version": "seventeen", "project": project.id}, "odoo_version"),
        ({"name": "x", "type": "STAGING"}, "project"),
        ({"name": "x", "type": "STAGING", "project": 99999999}, "project"),
    ):
        resp = client.post("/api/v1/instances/", json=body, headers=h)
        assert resp.status_code == 422, (body, resp.get_json())
        assert field in resp.get_json()["message"], (body, resp.get_json())
    assert _instances(project) == []


def test_an_instance_on_another_organizations_project_is_refused(client, org, other_org):
    manager = f.make_user(org, "Manager")
    theirs = f.make_project(other_org)
    resp = client.post(
        "/api/v1/instances/", json={"name": "x", "type": "STAGING", "project": theirs.id}, headers=f.auth(manager)
    )
    assert resp.status_code == 422
    assert _instances(theirs) == []


def test_deleting_a_project_with_instances_is_409_and_members_go_with_a_bare_one(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    member = f.make_user(org, "Viewer")
    h = f.auth(admin, org)
    busy = f.make_project(org)
    f.make_instance(busy)
    assert client.delete(f"/api/v1/projects/{busy.id}", headers=h).status_code == 409
    bare = f.make_project(org, [member])
    assert client.delete(f"/api/v1/projects/{bare.id}", headers=h).status_code == 200
    ops = _member_operations(bare, org)
    assert ops == [0, 2]  # the membership's removal is versioned too


# ----------------------------------------------------------------- members
def test_managers_assign_and_remove_members_versioned_and_audited(client, org):
    manager = f.make_user(org, "Manager")
    viewer = f.make_user(org, "Viewer")
    h = f.auth(manager)
    project = f.make_project(org)
    url = f"/api/v1/projects/{project.id}/members/{viewer.id}"
    resp = client.post(url, headers=h)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["result"]["username"] == viewer.username
    assert client.post(url, headers=h).status_code == 200  # already a member: nothing changes
    listed = client.get(f"/api/v1/projects/{project.id}/members", headers=h).get_json()["result"]
    assert [m["user_id"] for m in listed] == [viewer.id]
    assert client.get(f"/api/v1/projects/{project.id}", headers=h).get_json()["result"]["member_count"] == 1
    assert client.delete(url, headers=h).status_code == 200
    assert client.delete(url, headers=h).status_code == 404
    audit = db.session.execute(
        sa.select(AuditRecord.action, AuditRecord.resource)
        .where(AuditRecord.organization_id == org.id)
        .where(AuditRecord.resource == "ProjectMember")
        .order_by(AuditRecord.id)
    ).all()
    assert audit == [("permission_change", "ProjectMember"), ("permission_change", "ProjectMember")]
    ops = _member_operations(project, org)
    assert ops == [0, 2]


def test_a_member_must_belong_to_the_organization(client, org, other_org):
    manager = f.make_user(org, "Manager")
    outsider = f.make_user(other_org, "Staff")
    nobody = f.make_user(None)
    project = f.make_project(org)
    for user_id in (outsider.id, nobody.id, 99999999):
        resp = client.post(f"/api/v1/projects/{project.id}/members/{user_id}", headers=f.auth(manager))
        assert resp.status_code == 422, resp.get_json()
    assert client.get(f"/api/v1/projects/{project.id}/members", headers=f.auth(manager)).get_json()["result"] == []


def test_viewers_and_staff_cannot_assign_members(client, org):
    project = f.make_project(org)
    for role in ("Viewer", "Staff"):
        user = f.make_user(org, role)
        project_members = [user]
        f.make_project(org, project_members)  # they see some project, not this one's members route
        resp = client.post(f"/api/v1/projects/{project.id}/members/{user.id}", headers=f.auth(user))
        assert resp.status_code == 403


def test_members_tab_adds_and_removes_on_the_page(client, org):
    manager = f.make_user(org, "Manager")
    viewer = f.make_user(org, "Viewer")
    project = f.make_project(org)
    f.page_login(client, manager)
    page = client.get(f"/projects/show/{project.id}").data.decode()
    assert 'id="add-member-form"' in page and viewer.username in page
    resp = client.post(f"/projects/members/{project.id}/add", data={"user_id": str(viewer.id)})
    assert resp.status_code == 302
    page = client.get(f"/projects/show/{project.id}").data.decode()
    assert 'id="members-table"' in page
    assert db.session.scalar(sa.select(sa.func.count()).where(ProjectMember.project_id == project.id)) == 1
    resp = client.post(f"/projects/members/{project.id}/remove/{viewer.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(ProjectMember.project_id == project.id)) == 0


def test_a_viewer_gets_no_member_controls_and_cannot_post_them(client, org):
    viewer = f.make_user(org, "Viewer")
    other = f.make_user(org, "Staff")
    project = f.make_project(org, [viewer])
    f.page_login(client, viewer)
    page = client.get(f"/projects/show/{project.id}").data.decode()
    assert 'id="add-member-form"' not in page
    client.post(f"/projects/members/{project.id}/add", data={"user_id": str(other.id)})
    assert db.session.scalar(sa.select(sa.func.count()).where(ProjectMember.project_id == project.id)) == 1


# ----------------------------------------------------------------- assigned-only visibility
def test_a_viewer_sees_only_assigned_projects_and_their_instances(client, org):
    viewer = f.make_user(org, "Viewer")
    mine = f.make_project(org, [viewer], name="Mine")
    theirs = f.make_project(org, name="Theirs")
    my_inst = f.make_instance(mine, name="my-inst")
    their_inst = f.make_instance(theirs, name="their-inst")
    h = f.auth(viewer)
    projects = client.get("/api/v1/projects/", headers=h)
    assert [p["name"] for p in projects.get_json()["result"]] == ["Mine"]
    assert projects.headers["X-Total-Count"] == "1"
    instances = client.get("/api/v1/instances/", headers=h).get_json()
    assert [i["name"] for i in instances["result"]] == ["my-inst"] and instances["count"] == 1
    assert client.get(f"/api/v1/projects/{mine.id}", headers=h).status_code == 200
    assert client.get(f"/api/v1/instances/{my_inst.id}", headers=h).status_code == 200
    for url in (
        f"/api/v1/projects/{theirs.id}",
        f"/api/v1/projects/{theirs.id}/history",
        f"/api/v1/projects/{theirs.id}/members",
        f"/api/v1/instances/{their_inst.id}",
        f"/api/v1/instances/{their_inst.id}/history",
    ):
        assert client.get(url, headers=h).status_code == 404, url
    # a filter by the hidden project finds nothing either
    q = f"(filters:!((col:project,opr:rel_o_m,value:{theirs.id})))"
    assert client.get("/api/v1/instances/", headers=h, query_string={"q": q}).get_json()["count"] == 0


def test_managers_see_every_project_of_the_organization(client, org, other_org):
    manager = f.make_user(org, "Manager")
    f.make_project(org, name="A")
    f.make_project(org, name="B")
    f.make_project(other_org, name="Elsewhere")
    names = [p["name"] for p in client.get("/api/v1/projects/", headers=f.auth(manager)).get_json()["result"]]
    assert names == ["A", "B"]


def test_a_viewers_pages_pickers_and_client_page_show_only_assigned_projects(client, org):
    viewer = f.make_user(org, "Viewer")
    acme = f.make_client(org, name="Acme")
    mine = f.make_project(org, [viewer], client=acme, name="Visible project")
    theirs = f.make_project(org, client=acme, name="Hidden project")
    hidden_inst = f.make_instance(theirs, name="hidden-inst")
    f.make_instance(mine, name="visible-inst")
    f.page_login(client, viewer)
    listing = client.get("/projects/list/").data.decode()
    assert "Visible project" in listing and "Hidden project" not in listing
    assert client.get(f"/projects/show/{theirs.id}").status_code == 404
    assert client.get(f"/instances/show/{hidden_inst.id}").status_code == 404
    instances = client.get("/instances/list/").data.decode()
    assert "visible-inst" in instances and "hidden-inst" not in instances
    client_page = client.get(f"/clients/show/{acme.id}").data.decode()
    assert "Visible project" in client_page and "Hidden project" not in client_page
    picked = client.get("/instances/lookup/project?term=").get_json()["results"]
    assert [p["text"] for p in picked] == ["Visible project"]


def test_a_scoped_writer_cannot_attach_an_instance_to_an_unassigned_project(app, client, org):
    """A role given can_write on Instance but not can_edit_all on Project still sees, and so
    writes to, assigned projects only."""
    sm = app.appbuilder.sm
    role = sm.find_role("InstanceWriter") or sm.add_role("InstanceWriter")
    for perm, resource in (("can_read", "Instance"), ("can_write", "Instance"), ("can_read", "Project")):
        sm.add_permission_role(role, sm.add_permission_view_menu(perm, resource))
    db.session.commit()
    writer = f.make_user(org, "InstanceWriter")
    mine = f.make_project(org, [writer])
    theirs = f.make_project(org)
    h = f.auth(writer)
    body = {"name": "x", "type": "STAGING"}
    assert client.post("/api/v1/instances/", json={**body, "project": mine.id}, headers=h).status_code == 201
    resp = client.post("/api/v1/instances/", json={**body, "name": "y", "project": theirs.id}, headers=h)
    assert resp.status_code == 422
    assert _instances(theirs) == []


def test_project_list_shows_client_and_member_count_in_few_statements(app, client, org):
    manager = f.make_user(org, "Manager")
    users = [f.make_user(org, "Viewer") for _ in range(3)]
    for i in range(6):
        f.make_project(org, users[: i % 4], name=f"P{i}")
    h = f.auth(manager)
    statements = []

    def count(*_args):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        api = client.get("/api/v1/projects/", headers=h)
        api_sql = len(statements)
        statements.clear()
        f.page_login(client, manager)
        statements.clear()
        page = client.get("/projects/list/")
        page_sql = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    counts = {p["name"]: p["member_count"] for p in api.get_json()["result"]}
    assert counts == {"P0": 0, "P1": 1, "P2": 2, "P3": 3, "P4": 0, "P5": 1}
    assert api.get_json()["result"][0]["client"]["name"].startswith("Client ")
    assert api_sql <= 6, api_sql
    # the page: the API's statements and the navbar's count of approvals waiting for a manager
    assert page.status_code == 200 and page_sql <= 7, page_sql


def test_concurrent_creation_leaves_exactly_one_active_production(app, org, monkeypatch):
    """Two requests create an active PRODUCTION instance in one project at the same moment.
    On PostgreSQL both pass the model check (a barrier holds each until the other has checked
    too); the partial unique index lets one in and the other gets a 409, not a 500. SQLite has
    one writer at a time (the flush takes the write lock before the check runs, so a barrier
    would deadlock): there the two requests are fired together and serialize."""
    manager = f.make_user(org, "Manager")
    project = f.make_project(org)
    project_id, headers = project.id, f.auth(manager)
    barrier = threading.Barrier(2, timeout=20)
    check = Instance.check_rules

    def racing(self, session):
        check(self, session)
        barrier.wait()

    if db.engine.dialect.name == "postgresql":
        monkeypatch.setattr(Instance, "check_rules", racing)
    results: list[tuple[int, dict]] = []

    def create(name: str) -> None:
        resp = app.test_client().post(
            "/api/v1/instances/", json={"name": name, "type": "PRODUCTION", "project": project_id}, headers=headers
        )
        results.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=create, args=(name,)) for name in ("racer-a", "racer-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(status for status, _ in results) == [201, 409], results
    refused = next(body for status, body in results if status == 409)
    assert "already has an active PRODUCTION instance" in refused.get("detail", refused["message"])
    assert len([n for n, kind, active in _instances(project) if kind == "PRODUCTION" and active]) == 1
