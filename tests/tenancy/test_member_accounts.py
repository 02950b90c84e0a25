"""Members' accounts over the API (what `opshub employee ...` uses): invite with a temporary
password, one member's details, set a member's password and profile — by the organization's
administrators for accounts that are theirs alone, by global administrators for anyone — and
changing one's own password."""

from __future__ import annotations

from werkzeug.security import check_password_hash

from app.extensions import db
from tests import factories as f

NEW = "Tangerine-Octopus-42"


def test_an_org_admin_invites_and_manages_a_member(client, org):
    admin = f.make_user(org, "Admin")
    h = f.auth(admin, org)
    resp = client.post(
        f"/api/v1/organizations/{org.id}/members/invite",
        json={
            "username": f.unique("newbie"),
            "email": f"{f.unique('n')}@x.example",
            "first_name": "New",
            "last_name": "Bie",
            "role": "Support",
        },
        headers=h,
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["role"] == "Support" and len(body["temporary_password"]) >= 10
    uid = body["user_id"]
    one = client.get(f"/api/v1/organizations/{org.id}/members/{uid}", headers=h).get_json()["result"]
    assert one["first_name"] == "New" and one["role"] == "Support"
    listed = client.get(f"/api/v1/organizations/{org.id}/members?role=support", headers=h).get_json()["result"]
    assert [m["user_id"] for m in listed] == [uid]
    assert (
        client.put(
            f"/api/v1/organizations/{org.id}/members/{uid}/password", json={"password": "short"}, headers=h
        ).status_code
        == 422
    )
    resp = client.put(f"/api/v1/organizations/{org.id}/members/{uid}/password", json={"password": NEW}, headers=h)
    assert resp.status_code == 200
    from flask_appbuilder.security.sqla.models import User

    user = db.session.get(User, uid)
    db.session.refresh(user)
    assert check_password_hash(user.password, NEW)
    resp = client.put(
        f"/api/v1/organizations/{org.id}/members/{uid}/profile",
        json={"first_name": "Renamed", "email": "bad"},
        headers=h,
    )
    assert resp.status_code == 422
    resp = client.put(
        f"/api/v1/organizations/{org.id}/members/{uid}/profile", json={"first_name": "Renamed"}, headers=h
    )
    assert resp.status_code == 200 and resp.get_json()["result"]["first_name"] == "Renamed"


def test_accounts_shared_with_another_organization_are_for_global_admins(client, org, other_org):
    admin = f.make_user(org, "Admin")
    shared = f.make_user(org, "Staff")
    f.add_membership(shared, other_org, "Admin")
    url = f"/api/v1/organizations/{org.id}/members/{shared.id}"
    resp = client.put(f"{url}/password", json={"password": NEW}, headers=f.auth(admin, org))
    assert resp.status_code == 403 and "another organization" in resp.get_json()["message"]
    assert client.put(f"{url}/profile", json={"last_name": "X"}, headers=f.auth(admin, org)).status_code == 403
    root = f.make_user(None, admin=True)
    assert client.put(f"{url}/password", json={"password": NEW}, headers=f.auth(root, org)).status_code == 200


def test_staff_manage_no_member_and_other_orgs_are_404(client, org, other_org):
    staff = f.make_user(org, "Staff")
    member = f.make_user(org, "Staff")
    h = f.auth(staff, org)
    assert (
        client.put(
            f"/api/v1/organizations/{org.id}/members/{member.id}/password", json={"password": NEW}, headers=h
        ).status_code
        == 403
    )
    assert client.post(f"/api/v1/organizations/{org.id}/members/invite", json={}, headers=h).status_code == 403
    admin = f.make_user(org, "Admin")
    elsewhere = f.make_user(other_org, "Staff")
    assert (
        client.get(f"/api/v1/organizations/{org.id}/members/{elsewhere.id}", headers=f.auth(admin, org)).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/organizations/{other_org.id}/members/{elsewhere.id}", headers=f.auth(admin, org)
        ).status_code
        == 404
    )


def test_changing_one_s_own_password_needs_the_current_one_and_ends_the_session(client, org):
    user = f.make_user(org, "Staff")
    login = client.post(
        "/api/v1/security/login", json={"username": user.username, "password": f.PASSWORD, "provider": "db"}
    ).get_json()
    h = {"Authorization": f"Bearer {login['access_token']}"}
    resp = client.post("/api/v1/me/password", json={"current_password": "wrong", "password": NEW}, headers=h)
    assert resp.status_code == 422
    resp = client.post("/api/v1/me/password", json={"current_password": f.PASSWORD, "password": NEW}, headers=h)
    assert resp.status_code == 200
    assert client.get("/api/v1/me/", headers=h).status_code == 401
