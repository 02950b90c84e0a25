"""Archive/restore: API endpoints, default list filtering, page actions (single and bulk)."""

from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def test_archived_rows_leave_the_default_list_and_come_back_with_include_archived(client, org):
    user = f.make_user(org, "Staff")
    row = f.make_client(org, user)
    h = f.auth(user)
    resp = client.post(f"/api/v1/clients/{row.id}/archive", headers=h)
    assert resp.status_code == 200
    assert resp.get_json()["result"]["archived_at"] is not None
    assert row.id not in client.get("/api/v1/clients/", headers=h).get_json()["ids"]
    with_archived = client.get("/api/v1/clients/?include_archived=1", headers=h)
    assert row.id in with_archived.get_json()["ids"]
    assert with_archived.get_json()["count"] == 1 == int(with_archived.headers["X-Total-Count"])
    assert client.get("/api/v1/clients/", headers=h).get_json()["count"] == 0
    assert client.get(f"/api/v1/clients/{row.id}", headers=h).status_code == 200
    resp = client.post(f"/api/v1/clients/{row.id}/restore", headers=h)
    assert resp.status_code == 200 and resp.get_json()["result"]["archived_at"] is None
    assert row.id in client.get("/api/v1/clients/", headers=h).get_json()["ids"]


def test_archiving_twice_is_harmless_and_writes_one_version(client, org):
    user = f.make_user(org, "Staff")
    row = f.make_client(org, user)
    h = f.auth(user)
    client.post(f"/api/v1/clients/{row.id}/archive", headers=h)
    client.post(f"/api/v1/clients/{row.id}/archive", headers=h)
    assert [op for op, _ in f.versions_of(Client, row.id)] == [0, 1]


def test_archived_by_is_the_acting_user(client, org):
    user = f.make_user(org, "Staff")
    row = f.make_client(org, user)
    client.post(f"/api/v1/clients/{row.id}/archive", headers=f.auth(user))
    db.session.expire_all()
    assert db.session.get(Client, row.id).archived_by_id == user.id


def test_the_page_archives_and_restores_one_record(client, org):
    user = f.make_user(org, "Staff")
    row = f.make_client(org, user, name="Page Archive Co")
    f.page_login(client, user)
    assert client.post(f"/clients/action/archive/{row.id}").status_code == 302
    assert "Page Archive Co" not in client.get("/clients/list/").data.decode()
    assert "Page Archive Co" in client.get("/clients/list/?include_archived=1").data.decode()
    assert 'id="archived-banner"' in client.get(f"/clients/show/{row.id}").data.decode()
    assert client.post(f"/clients/action/restore/{row.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, row.id).archived_at is None


def test_the_page_archives_in_bulk(client, org):
    user = f.make_user(org, "Staff")
    rows = [f.make_client(org, user) for _ in range(3)]
    f.page_login(client, user)
    resp = client.post("/clients/action_post", data={"action": "archive", "rowid": [str(r.id) for r in rows]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert all(db.session.get(Client, r.id).archived_at is not None for r in rows)


def test_a_role_without_can_archive_cannot_archive_on_the_page(client, org):
    user = f.make_user(org, "Viewer")
    row = f.make_client(org, None)
    f.page_login(client, user)
    client.post(f"/clients/action/archive/{row.id}")
    db.session.expire_all()
    assert db.session.get(Client, row.id).archived_at is None
