"""The audit log: every write transaction, filterable; Admin only by default."""

from tests import factories as f


def _audit(client, h, **params):
    resp = client.get("/api/v1/audit/", headers=h, query_string=params)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_audit_records_create_update_archive_restore_revert_and_delete(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    h = f.auth(admin, org)
    pk = client.post("/api/v1/clients/", json={"name": "Audit Co"}, headers=h).get_json()["id"]
    client.put(f"/api/v1/clients/{pk}", json={"phone": "1"}, headers=h)
    client.post(f"/api/v1/clients/{pk}/archive", headers=h)
    client.post(f"/api/v1/clients/{pk}/restore", headers=h)
    first = client.get(f"/api/v1/clients/{pk}/history", headers=h).get_json()["result"][-1]["transaction_id"]
    client.post(f"/api/v1/clients/{pk}/revert", json={"transaction_id": first}, headers=h)
    client.delete(f"/api/v1/clients/{pk}", headers=h)
    body = _audit(client, h, resource="Client")
    mine = [e for e in body["result"] if e["record_id"] == pk]
    assert [e["action"] for e in mine] == ["delete", "revert", "restore", "archive", "update", "create"]
    update = next(e for e in mine if e["action"] == "update")
    assert update["changes"] == {"phone": [None, "1"]}
    assert update["user"] == admin.username
    assert update["organization"] == org.id
    assert set(update) == {
        "transaction_id",
        "issued_at",
        "user",
        "token",
        "organization",
        "action",
        "resource",
        "record_id",
        "changes",
    }
    assert update["token"] is None  # a login, not an API token


def test_audit_filters_by_user_action_resource_and_date(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    staff = f.make_user(org, "Staff")
    client.post("/api/v1/clients/", json={"name": "By Staff"}, headers=f.auth(staff))
    client.post("/api/v1/clients/", json={"name": "By Admin"}, headers=f.auth(admin, org))
    h = f.auth(admin, org)
    by_staff = _audit(client, h, user=staff.username)["result"]
    assert by_staff and all(e["user"] == staff.username for e in by_staff)
    creates = _audit(client, h, action="create", resource="Client")["result"]
    assert creates and all(e["action"] == "create" and e["resource"] == "Client" for e in creates)
    assert _audit(client, h, date_from="2999-01-01")["result"] == []
    assert _audit(client, h, date_to="2000-01-01")["result"] == []


def test_audit_refuses_bad_filters(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    h = f.auth(admin, org)
    assert client.get("/api/v1/audit/?action=explode", headers=h).status_code == 422
    assert client.get("/api/v1/audit/?date_from=yesterday", headers=h).status_code == 422
    assert client.get("/api/v1/audit/?page=abc", headers=h).status_code == 422


def test_audit_is_403_without_can_view_audit(client, org):
    for role in ("Staff", "Manager", "Viewer"):
        user = f.make_user(org, role)
        assert client.get("/api/v1/audit/", headers=f.auth(user)).status_code == 403


def test_audit_shows_only_the_active_organization(client, org, other_org):
    admin = f.make_user(org, "Admin", admin=True)
    outsider = f.make_user(other_org, "Manager")
    client.post("/api/v1/clients/", json={"name": "Secret Outsider Co"}, headers=f.auth(outsider))
    entries = _audit(client, f.auth(admin, org), resource="Client", page_size=100)["result"]
    assert all(e["organization"] == org.id for e in entries)


def test_logins_are_audited(client, org):
    user = f.make_user(org, "Staff")
    resp = client.post(
        "/api/v1/security/login", json={"username": user.username, "password": f.PASSWORD, "provider": "db"}
    )
    assert resp.status_code == 200
    admin = f.make_user(org, "Admin", admin=True)
    logins = _audit(client, f.auth(admin, org), action="login", user=user.username)["result"]
    assert len(logins) == 1 and logins[0]["record_id"] == user.id


def test_member_role_changes_are_audited_as_permission_changes(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    member = f.make_user(org, "Staff")
    h = f.auth(admin, org)
    resp = client.put(f"/api/v1/organizations/{org.id}/members/{member.id}", json={"role": "Manager"}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    changes = _audit(client, h, action="permission_change")["result"]
    assert any(e["resource"] == "Membership" and "role_id" in e["changes"] for e in changes)


def test_the_audit_page_lists_entries_for_admins_only(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    f.make_client(org, admin, name="Paged Audit Co")
    f.page_login(client, admin)
    client.post(f"/org/switch/{org.id}")
    page = client.get("/audit/?resource=Client")
    assert page.status_code == 200
    assert "Audit log" in page.data.decode()
    staff = f.make_user(org, "Staff")
    other = client.application.test_client()
    f.page_login(other, staff)
    assert other.get("/audit/").status_code in (302, 403)


def test_another_organizations_creation_is_not_in_this_audit_log(client, org):
    from tests.factories import make_org

    admin = f.make_user(org, "Admin")  # org admin, not global
    secret = make_org("Secret Beta Corp")
    entries = _audit(client, f.auth(admin), resource="Organization", page_size=100)["result"]
    assert all(e["record_id"] != secret.id for e in entries)
    assert all(e["organization"] == org.id for e in _audit(client, f.auth(admin), page_size=100)["result"])


def test_role_edits_are_visible_to_global_admins_only(app, client, org):
    sm = app.appbuilder.sm
    role = sm.add_role(f.unique("AuditRole"))
    role.permissions.append(sm.add_permission_view_menu("can_read", "Client"))
    from app.extensions import db

    db.session.commit()
    org_admin = f.make_user(org, "Admin")
    global_admin = f.make_user(org, "Admin", admin=True)
    seen_by_org_admin = _audit(client, f.auth(org_admin), resource="Role", page_size=100)["result"]
    seen_by_global = _audit(client, f.auth(global_admin, org), resource="Role", page_size=100)["result"]
    assert all(e["record_id"] != role.id for e in seen_by_org_admin)
    assert any(e["record_id"] == role.id and e["action"] == "permission_change" for e in seen_by_global)


def test_adding_and_removing_members_are_permission_changes(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    newcomer = f.make_user(None)
    h = f.auth(admin, org)
    client.post(f"/api/v1/organizations/{org.id}/members", json={"user_id": newcomer.id, "role": "Staff"}, headers=h)
    client.delete(f"/api/v1/organizations/{org.id}/members/{newcomer.id}", headers=h)
    entries = [e for e in _audit(client, h, resource="Membership", page_size=100)["result"]]
    assert [e["action"] for e in entries][:2] == ["permission_change", "permission_change"]


def test_the_audit_apis_count_is_the_number_of_matching_entries_whatever_the_page(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    for _ in range(3):
        f.make_client(org, admin)
    h = f.auth(admin, org)
    first = client.get("/api/v1/audit/?resource=Client", headers=h)
    assert first.get_json()["count"] == 3 == len(first.get_json()["result"])
    # a page beyond the end, with a page size above the cap (100): the same count, nothing listed
    beyond = client.get("/api/v1/audit/?resource=Client&page=1&page_size=500", headers=h)
    body = beyond.get_json()
    assert (body["count"], body["result"], beyond.headers["X-Page-Size"]) == (3, [], "100")
    assert beyond.headers["X-Total-Count"] == "3"
