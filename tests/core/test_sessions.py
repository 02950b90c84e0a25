"""Sessions end when they end: logout (page or API) kills the whole login server-side — cookie,
access token and refresh token — and a password change or a deactivation ends every session of
that user. (Across two gunicorn workers: test_workers.py.)"""

import pytest
from flask_jwt_extended import create_access_token, create_refresh_token

from app.core import sessions
from app.extensions import db
from tests import factories as f


def _login(client, user, password=f.PASSWORD):
    resp = client.post(
        "/api/v1/security/login",
        json={"username": user.username, "password": password, "provider": "db", "refresh": True},
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _refresh(client, refresh_token):
    return client.post("/api/v1/security/refresh", headers=_bearer(refresh_token))


def _copy_session_cookie(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def _page_is_open(client) -> bool:
    resp = client.get("/clients/list/")
    return resp.status_code == 200


# ------------------------------------------------------------------ API
def test_api_logout_revokes_the_refresh_token_even_when_it_is_not_sent(client, org):
    user = f.make_user(org, "Staff")
    tokens = _login(client, user)
    assert client.post("/api/v1/security/logout", headers=_bearer(tokens["access_token"])).status_code == 200
    assert client.get("/api/v1/me/", headers=_bearer(tokens["access_token"])).status_code == 401
    assert _refresh(client, tokens["refresh_token"]).status_code == 401


def test_a_refreshed_token_belongs_to_the_same_login(client, org):
    user = f.make_user(org, "Staff")
    tokens = _login(client, user)
    fresh = _refresh(client, tokens["refresh_token"]).get_json()["access_token"]
    assert client.get("/api/v1/me/", headers=_bearer(fresh)).status_code == 200
    assert client.post("/api/v1/security/logout", headers=_bearer(fresh)).status_code == 200
    assert _refresh(client, tokens["refresh_token"]).status_code == 401
    assert client.get("/api/v1/me/", headers=_bearer(tokens["access_token"])).status_code == 401


def test_two_logins_are_two_sessions(client, org):
    user = f.make_user(org, "Staff")
    laptop, phone = _login(client, user), _login(client, user)
    assert client.post("/api/v1/security/logout", headers=_bearer(laptop["access_token"])).status_code == 200
    assert client.get("/api/v1/me/", headers=_bearer(phone["access_token"])).status_code == 200
    assert _refresh(client, phone["refresh_token"]).status_code == 200


def test_a_token_without_a_live_session_is_refused(client, org):
    user = f.make_user(org, "Staff")
    forged = create_access_token(identity=str(user.id), additional_claims={"sid": "made-up"})
    assert client.get("/api/v1/me/", headers=_bearer(forged)).status_code == 401
    other = f.make_user(org, "Staff")
    theirs = _login(client, other)
    from flask_jwt_extended import decode_token

    stolen_sid = decode_token(theirs["access_token"])["sid"]
    borrowed = create_refresh_token(identity=str(user.id), additional_claims={"sid": stolen_sid})
    assert _refresh(client, borrowed).status_code == 401  # a session belongs to one user


# ------------------------------------------------------------------ pages
def test_page_logout_is_a_post_that_ends_the_session_server_side(app, client, org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    copied = _copy_session_cookie(app, client)
    assert _page_is_open(copied)
    assert client.get("/logout/").status_code == 405  # GET changes nothing
    assert _page_is_open(copied)
    resp = client.post("/logout/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert not _page_is_open(client)
    assert not _page_is_open(copied)  # the copy died with it


def test_page_logout_needs_the_csrf_token(app, client, org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/logout/").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _page_is_open(client)


def test_the_menu_logs_out_with_a_form_carrying_the_csrf_token(client, org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    page = client.get("/").get_data(as_text=True)
    form = (
        page.split('id="logout-form"')[0].rsplit("<form", 1)[1] + page.split('id="logout-form"')[1].split("</form>")[0]
    )
    assert 'method="post"' in form and 'action="/logout/"' in form and 'name="csrf_token"' in form


def test_a_page_session_ends_when_its_lifetime_does(app, client, org):
    import sqlalchemy as sa

    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    db.session.execute(
        sa.update(sessions.UserSession)
        .where(sessions.UserSession.user_id == user.id)
        .values(expires_at=sessions.utcnow().replace(year=2000))
    )
    db.session.commit()
    assert not _page_is_open(client)


# ------------------------------------------------------------------ every session of a user
@pytest.fixture
def logged_in_everywhere(app, client, org):
    """A user with a page session (and a copy of its cookie) and an API login."""
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    copied = _copy_session_cookie(app, client)
    tokens = _login(app.test_client(), user)
    return user, copied, tokens


def _all_dead(client, copied, tokens) -> None:
    assert not _page_is_open(copied)
    assert client.get("/api/v1/me/", headers=_bearer(tokens["access_token"])).status_code == 401
    assert _refresh(client, tokens["refresh_token"]).status_code == 401


def test_a_password_change_ends_every_session_of_the_user(app, client, logged_in_everywhere):
    user, copied, tokens = logged_in_everywhere
    app.appbuilder.sm.reset_password(user.id, "a-brand-new-password-1")
    _all_dead(app.test_client(), copied, tokens)
    old = {"username": user.username, "password": f.PASSWORD, "provider": "db"}
    assert client.post("/api/v1/security/login", json=old).status_code == 401
    again = client.post(
        "/api/v1/security/login",
        json={"username": user.username, "password": "a-brand-new-password-1", "provider": "db"},
    )
    assert again.status_code == 200


def test_a_password_changed_on_the_users_page_ends_their_sessions(app, logged_in_everywhere, org):
    user, copied, tokens = logged_in_everywhere
    admin = f.make_user(org, "Admin", admin=True)
    browser = app.test_client()
    f.page_login(browser, admin)
    resp = browser.post(
        f"/resetpassword/form?pk={user.id}",
        data={"password": "Changed-by-admin-1", "conf_password": "Changed-by-admin-1"},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    from werkzeug.security import check_password_hash

    db.session.expire_all()
    assert check_password_hash(app.appbuilder.sm.get_user_by_id(user.id).password, "Changed-by-admin-1")
    _all_dead(app.test_client(), copied, tokens)


def test_deactivating_a_user_ends_every_session_for_good(app, client, logged_in_everywhere):
    user, copied, tokens = logged_in_everywhere
    sm = app.appbuilder.sm
    fresh = sm.get_user_by_id(user.id)
    fresh.active = False
    sm.update_user(fresh)
    _all_dead(client, copied, tokens)
    fresh = sm.get_user_by_id(user.id)
    fresh.active = True
    sm.update_user(fresh)
    _all_dead(client, copied, tokens)  # reactivation does not bring old sessions back
