"""Organization registration (only with OPSHUB_OPEN_REGISTRATION=1) and member management."""

import pytest

from tests import factories as f

BODY = {
    "organization_name": "Newco",
    "password": "long-enough-pw",
    "first_name": "New",
    "last_name": "Owner",
}


@pytest.fixture
def open_registration(app):
    app.config["OPSHUB_OPEN_REGISTRATION"] = True
    yield
    app.config["OPSHUB_OPEN_REGISTRATION"] = False


def _body():
    name = f.unique("owner")
    return {**BODY, "username": name, "email": f"{name}@new.example"}


def test_registration_is_closed_by_default(client):
    assert client.post("/api/v1/organizations/register", json=_body()).status_code == 404


def test_a_registered_owner_logs_in_and_sees_only_their_organization(client, org, open_registration):
    f.make_client(org, None, name="Existing Tenant Client")
    body = _body()
    resp = client.post("/api/v1/organizations/register", json=body)
    assert resp.status_code == 201, resp.get_json()
    ids = resp.get_json()
    assert set(ids) == {"organization_id", "user_id"}
    token = client.post(
        "/api/v1/security/login", json={"username": body["username"], "password": body["password"], "provider": "db"}
    ).get_json()["access_token"]
    h = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me/", headers=h).get_json()
    assert me["organization"]["id"] == ids["organization_id"]
    assert [o["id"] for o in me["organizations"]] == [ids["organization_id"]]
    assert client.get("/api/v1/clients/", headers=h).get_json()["count"] == 0
    assert client.post("/api/v1/clients/", json={"name": "First"}, headers=h).status_code == 201
    assert client.get("/api/v1/clients/", headers={**h, "X-Organization-Id": str(org.id)}).status_code == 404
    # the owner administers the new organization (members), but not the global security pages
    newcomer = f.make_user(None)
    org_id = ids["organization_id"]
    added = client.post(
        f"/api/v1/organizations/{org_id}/members", json={"user_id": newcomer.id, "role": "Staff"}, headers=h
    )
    assert added.status_code == 201
    assert me["roles"] == ["Admin"]
    login = client.post("/login/", data={"username": body["username"], "password": body["password"]})
    assert "/login" not in login.headers["Location"]
    assert client.get("/clients/list/").status_code == 200
    assert client.get("/users/list/").status_code in (302, 403)
    # the registration is attributed to the new owner
    history = client.get("/api/v1/audit/?resource=Organization", headers=h).get_json()["result"]
    assert history[0]["record_id"] == org_id and history[0]["user"] == body["username"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": "nope"}, "email"),
        ({"password": "short"}, "password"),
        ({"username": None}, "username"),
        ({"extra": 1}, "extra"),
    ],
)
def test_registration_validates_its_input(client, open_registration, change, field):
    resp = client.post("/api/v1/organizations/register", json={**_body(), **change})
    assert resp.status_code == 422
    assert field in resp.get_json()["message"]


def test_a_taken_username_is_409(client, org, open_registration):
    existing = f.make_user(org, "Staff")
    resp = client.post("/api/v1/organizations/register", json={**_body(), "username": existing.username})
    assert resp.status_code == 409


def test_an_org_admin_adds_changes_and_removes_members(client, org):
    owner = f.make_user(org, "Admin")
    newcomer = f.make_user(None)
    h = f.auth(owner)
    resp = client.post(
        f"/api/v1/organizations/{org.id}/members", json={"user_id": newcomer.id, "role": "Staff"}, headers=h
    )
    assert resp.status_code == 201, resp.get_json()
    assert client.get("/api/v1/clients/", headers=f.auth(newcomer)).status_code == 200
    assert (
        client.put(
            f"/api/v1/organizations/{org.id}/members/{newcomer.id}", json={"role": "Viewer"}, headers=h
        ).status_code
        == 200
    )
    assert client.post("/api/v1/clients/", json={"name": "x"}, headers=f.auth(newcomer)).status_code == 403
    members = client.get(f"/api/v1/organizations/{org.id}/members", headers=h).get_json()["result"]
    assert {"user_id": newcomer.id, "username": newcomer.username, "role": "Viewer"} in [
        {k: m[k] for k in ("user_id", "username", "role")} for m in members
    ]
    assert client.delete(f"/api/v1/organizations/{org.id}/members/{newcomer.id}", headers=h).status_code == 200
    assert client.get("/api/v1/me/", headers=f.auth(newcomer)).get_json()["organization"] is None


def test_a_plain_member_cannot_manage_members(client, org):
    staff = f.make_user(org, "Manager")
    other = f.make_user(None)
    resp = client.post(
        f"/api/v1/organizations/{org.id}/members", json={"user_id": other.id, "role": "Staff"}, headers=f.auth(staff)
    )
    assert resp.status_code == 403


def test_members_of_another_organization_are_404(client, org, other_org):
    owner = f.make_user(org, "Admin")
    assert client.get(f"/api/v1/organizations/{other_org.id}/members", headers=f.auth(owner)).status_code == 404
    other = f.make_user(None)
    resp = client.post(
        f"/api/v1/organizations/{other_org.id}/members",
        json={"user_id": other.id, "role": "Staff"},
        headers=f.auth(owner),
    )
    assert resp.status_code == 404


def test_member_input_is_validated(client, org):
    owner = f.make_user(org, "Admin")
    h = f.auth(owner)
    other = f.make_user(None)
    assert (
        client.post(
            f"/api/v1/organizations/{org.id}/members", json={"user_id": "x", "role": "Staff"}, headers=h
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/organizations/{org.id}/members", json={"user_id": 99999, "role": "Staff"}, headers=h
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/v1/organizations/{org.id}/members", json={"user_id": other.id, "role": "Emperor"}, headers=h
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/organizations/{org.id}/members", json={"user_id": owner.id, "role": "Staff"}, headers=h
        ).status_code
        == 409
    )
