"""Login on the pages and the API, token refresh and revocation, secrets, cookies, CSRF and the
Public role. Failed-login limits: test_login_limits.py; sessions and logout: test_sessions.py."""

import pytest
from flask_jwt_extended import create_refresh_token

from app import create_app
from config import INSECURE_DEFAULT, ProductionConfig
from tests import factories as f


def _login(client, username, password, **extra):
    return client.post(
        "/api/v1/security/login", json={"username": username, "password": password, "provider": "db", **extra}
    )


def test_api_login_returns_access_and_refresh_tokens(client, org):
    user = f.make_user(org, "Staff")
    resp = _login(client, user.username, f.PASSWORD, refresh=True)
    assert resp.status_code == 200
    assert set(resp.get_json()) == {"access_token", "refresh_token"}
    access = resp.get_json()["access_token"]
    assert client.get("/api/v1/me/", headers={"Authorization": f"Bearer {access}"}).status_code == 200


def test_a_wrong_password_or_unknown_user_is_401(client, org):
    user = f.make_user(org, "Staff")
    assert _login(client, user.username, "wrong-password").status_code == 401
    assert _login(client, "nobody-here", "whatever").status_code == 401


def test_refresh_gives_a_new_access_token(client, org):
    user = f.make_user(org, "Staff")
    refresh = _login(client, user.username, f.PASSWORD, refresh=True).get_json()["refresh_token"]
    resp = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {refresh}"})
    assert resp.status_code == 200
    assert "access_token" in resp.get_json()


def test_logout_revokes_the_access_and_refresh_tokens(client, org):
    user = f.make_user(org, "Staff")
    tokens = _login(client, user.username, f.PASSWORD, refresh=True).get_json()
    h = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/clients/", headers=h).status_code == 200
    assert (
        client.post("/api/v1/security/logout", json={"refresh_token": tokens["refresh_token"]}, headers=h).status_code
        == 200
    )
    assert client.get("/api/v1/clients/", headers=h).status_code == 401
    again = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert again.status_code == 401


def test_garbage_tokens_are_401(client):
    for value in ("Bearer nope", "Bearer a.b.c", "Basic abc", "Bearer "):
        assert client.get("/api/v1/clients/", headers={"Authorization": value}).status_code == 401


def test_a_refresh_token_is_not_an_access_token(client, org):
    user = f.make_user(org, "Staff")
    refresh = create_refresh_token(identity=str(user.id))
    assert client.get("/api/v1/clients/", headers={"Authorization": f"Bearer {refresh}"}).status_code == 401


@pytest.mark.parametrize("secret", [None, "", INSECURE_DEFAULT, "short"])
def test_production_refuses_a_missing_or_default_secret(secret):
    class Prod(ProductionConfig):
        SECRET_KEY = secret
        JWT_SECRET_KEY = "a-strong-jwt-secret-of-enough-length"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)

    class ProdJwt(ProductionConfig):
        SECRET_KEY = "a-strong-session-secret-of-enough-length"
        JWT_SECRET_KEY = secret
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="JWT_SECRET_KEY"):
        create_app(ProdJwt)


def test_session_cookies_are_httponly_and_samesite(client, org):
    user = f.make_user(org, "Staff")
    resp = client.post("/login/", data={"username": user.username, "password": f.PASSWORD})
    cookie = next(v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_state_changing_pages_need_a_csrf_token(app, client, org):
    user = f.make_user(org, "Admin", admin=True)
    row = f.make_client(org, user)
    f.page_login(client, user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/clients/add", data={"name": "No Token Co"}).status_code == 400
        assert client.post(f"/clients/action/archive/{row.id}").status_code == 400
        assert client.post(f"/org/switch/{org.id}").status_code == 400
        assert client.get(f"/clients/delete/{row.id}").status_code in (302, 405)  # GET never deletes
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    from app.crm.models import Client
    from app.extensions import db

    db.session.expire_all()
    assert db.session.get(Client, row.id) is not None
    assert db.session.get(Client, row.id).archived_at is None


def test_the_public_role_has_no_permissions(app, client):
    sm = app.appbuilder.sm
    public = sm.find_role("Public")
    assert public is not None and list(public.permissions) == []
    assert client.get("/clients/list/").status_code == 302  # to the login page
    assert client.get("/api/v1/clients/").status_code == 401


def test_users_and_roles_pages_are_for_global_admins_only(client, org):
    org_admin = f.make_user(org, "Admin")  # Admin inside the organization, not a global Admin
    f.page_login(client, org_admin)
    assert client.get("/users/list/").status_code in (302, 403)
    assert client.get("/roles/list/").status_code in (302, 403)
    glob = f.make_user(org, "Staff", admin=True)
    other = client.application.test_client()
    f.page_login(other, glob)
    assert other.get("/users/list/").status_code == 200
    assert other.get("/roles/list/").status_code == 200


def test_me_returns_user_organization_roles_and_capabilities(client, org, other_org):
    user = f.make_user(org, "Staff")
    f.add_membership(user, other_org, "Viewer")
    body = client.get("/api/v1/me/", headers=f.auth(user)).get_json()
    assert body["username"] == user.username
    assert body["organization"] == {"id": org.id, "name": org.name, "slug": org.slug}
    assert {o["id"] for o in body["organizations"]} == {org.id, other_org.id}
    assert body["roles"] == ["Staff"]
    assert "can_write on Client" in body["capabilities"]
    assert "can_view_audit on Audit" not in body["capabilities"]
    viewer = client.get("/api/v1/me/", headers=f.auth(user, other_org)).get_json()
    assert viewer["roles"] == ["Viewer"] and "can_write on Client" not in viewer["capabilities"]


def test_fabs_unscoped_file_download_route_is_closed(client, org, app):
    import os

    admin = f.make_user(org, "Admin", admin=True)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    secret = os.path.join(app.config["UPLOAD_FOLDER"], "other-tenant.txt")
    with open(secret, "w") as fh:
        fh.write("not yours")
    try:
        f.page_login(client, admin)
        assert client.get("/clients/download/other-tenant.txt").status_code == 404
        assert client.get("/users/download/other-tenant.txt").status_code == 404
    finally:
        os.remove(secret)


def test_an_unknown_page_action_is_404(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    row = f.make_client(org, admin)
    f.page_login(client, admin)
    assert client.post(f"/clients/action/explode/{row.id}").status_code == 404
    assert client.post("/clients/action_post", data={"action": "explode", "rowid": [str(row.id)]}).status_code == 404
