"""Failed logins are limited per username, per real address and overall, in storage every worker
shares, and nobody can lock another user out: the right password gets in from an address without
recent failures, or from anywhere once the window has passed. (Two gunicorn workers:
test_workers.py.)"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from limits import parse

from app.core.login_limits import DatabaseStore, LoginFailure, LoginLimits, RedisStore
from app.extensions import db
from tests import factories as f

URL = "/api/v1/security/login"


def _limits(store):
    return LoginLimits(store, parse("3 per 15 minutes"), parse("6 per 15 minutes"), parse("10 per 15 minutes"))


@pytest.fixture
def strict(app):
    sm = app.appbuilder.sm
    before = sm.login_limits
    sm.login_limits = _limits(DatabaseStore())
    sm.login_limits.store.clear()
    yield sm.login_limits
    sm.login_limits.store.clear()
    sm.login_limits = before


def _try(client, username, password, address, **headers):
    return client.post(
        URL,
        json={"username": username, "password": password, "provider": "db"},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_a_username_locks_for_the_addresses_that_failed(client, org, strict):
    user = f.make_user(org, "Staff")
    for _ in range(3):
        assert _try(client, user.username, "bad", "192.0.2.1").status_code == 401
    resp = _try(client, user.username, f.PASSWORD, "192.0.2.1")
    assert resp.status_code == 429
    assert resp.get_json() == {"message": "Too many failed logins; try again later."}
    assert 800 < int(resp.headers["Retry-After"]) <= 900


def test_nobody_can_lock_a_user_out_the_right_password_gets_in_from_a_clean_address(client, org, strict):
    user = f.make_user(org, "Staff")
    for i in range(5):
        _try(client, user.username, "bad", f"192.0.2.{10 + i}")
    assert _try(client, user.username, f.PASSWORD, "198.51.100.7").status_code == 200  # the user's own machine
    # a fresh address gets one guess: a wrong one makes it an address with failures
    assert _try(client, user.username, "guess", "198.51.100.8").status_code == 401
    assert _try(client, user.username, f.PASSWORD, "198.51.100.8").status_code == 429


def test_the_lock_lifts_once_the_failures_leave_the_window(client, org, strict):
    user = f.make_user(org, "Staff")
    for _ in range(3):
        _try(client, user.username, "bad", "192.0.2.20")
    assert _try(client, user.username, f.PASSWORD, "192.0.2.20").status_code == 429
    db.session.execute(sa.update(LoginFailure).values(created_at=LoginFailure.created_at - timedelta(minutes=16)))
    db.session.commit()
    assert _try(client, user.username, f.PASSWORD, "192.0.2.20").status_code == 200


def test_the_page_login_shares_the_same_counts(client, org, strict):
    user = f.make_user(org, "Staff")
    for _ in range(2):
        client.post(
            "/login/", data={"username": user.username, "password": "bad"}, environ_base={"REMOTE_ADDR": "192.0.2.30"}
        )
    _try(client, user.username, "bad", "192.0.2.30")  # the third failure, on the API
    page = client.post(
        "/login/", data={"username": user.username, "password": f.PASSWORD}, environ_base={"REMOTE_ADDR": "192.0.2.30"}
    )
    assert page.status_code == 429 and page.headers["Retry-After"]


def test_one_address_spraying_many_usernames_is_limited(client, org, strict):
    user = f.make_user(org, "Staff")
    for i in range(6):
        assert _try(client, f"sprayed{i}", "Winter2026!", "192.0.2.40").status_code == 401
    assert _try(client, user.username, f.PASSWORD, "192.0.2.40").status_code == 429  # even the right one


def test_rotating_x_forwarded_for_does_not_reset_the_address_count(client, org, strict):
    for i in range(6):
        assert _try(client, f"rot{i}", "x", "192.0.2.50", **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code == 401
    assert _try(client, "rot-next", "x", "192.0.2.50", **{"X-Forwarded-For": "203.0.113.99"}).status_code == 429


def test_spraying_from_many_addresses_is_bounded_overall(client, org, strict):
    user = f.make_user(org, "Staff")
    for i in range(10):  # one guess from each of ten addresses, ten usernames: no per-name or per-address lock
        assert _try(client, f"spray{i}", "Summer2026!", f"192.0.2.{100 + i}").status_code == 401
    # the overall count is full: every address that failed is refused now, for every username
    assert [_try(client, f"spray{i}x", "Autumn2026!", f"192.0.2.{100 + i}").status_code for i in range(10)] == [
        429
    ] * 10
    # the right password from an address without failures still gets in; a wrong one is one guess
    assert _try(client, user.username, f.PASSWORD, "198.51.100.20").status_code == 200
    assert _try(client, "spray-new", "x", "198.51.100.21").status_code == 401
    assert _try(client, "spray-new", "x", "198.51.100.21").status_code == 429


def test_failures_are_stored_without_the_username(client, org, strict):
    _try(client, "someone.secret", "x", "192.0.2.60")
    keys = db.session.scalars(sa.select(LoginFailure.key)).all()
    assert keys and not any("someone" in k for k in keys)


def test_successful_logins_are_not_counted(client, org, strict):
    user = f.make_user(org, "Staff")
    for _ in range(5):
        assert _try(client, user.username, f.PASSWORD, "192.0.2.70").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


@pytest.fixture
def redis_limits(app):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    sm = app.appbuilder.sm
    before = sm.login_limits
    sm.login_limits = _limits(RedisStore(url))
    sm.login_limits.store.clear()
    yield sm.login_limits
    sm.login_limits.store.clear()
    sm.login_limits = before


def test_with_redis_the_same_policy_holds(client, org, redis_limits):
    user = f.make_user(org, "Staff")
    in_database = db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure))
    for _ in range(3):
        assert _try(client, user.username, "bad", "192.0.2.80").status_code == 401
    resp = _try(client, user.username, f.PASSWORD, "192.0.2.80")
    assert resp.status_code == 429 and 800 < int(resp.headers["Retry-After"]) <= 900
    assert _try(client, user.username, f.PASSWORD, "198.51.100.80").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == in_database  # all in Redis
