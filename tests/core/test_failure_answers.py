"""Failures answered in a sentence: a database outage is a 503 that heals by itself, a delete that
other rows block says which, no answer carries database text, an HTML list page is capped."""

import os
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.crm.models import Client
from app.extensions import db
from tests import factories as f

DATABASE_WORDS = ("constraint", "NOT NULL", "client_id", "FOREIGN KEY", "violates", "sqlite", "psycopg")


@pytest.fixture
def database_down(app):
    """New connections are refused (the server is gone) and the pooled ones are dropped, until
    the fixture's `restore()` is called — then the pool connects again on the next request."""
    engine = db.engine
    dbapi = engine.dialect.dbapi
    state = {"down": True}

    def refuse(dialect, conn_rec, cargs, cparams):
        if state["down"]:
            raise dbapi.OperationalError("connection refused (simulated outage)")
        return None

    db.session.remove()
    engine.dispose()
    sa.event.listen(engine, "do_connect", refuse)
    try:
        yield lambda: state.update(down=False)
    finally:
        state["down"] = False
        sa.event.remove(engine, "do_connect", refuse)
        db.session.remove()


def test_an_outage_is_503_on_the_api_and_the_pages_and_heals_without_a_restart(app, org, database_down):
    client = app.test_client()
    resp = client.get("/api/v1/clients/", headers={"Authorization": "Bearer x.y.z"})
    assert resp.status_code in (401, 503)  # an unparseable token needs no database
    resp = client.post("/api/v1/security/login", json={"username": "a", "password": "b", "provider": "db"})
    assert resp.status_code == 503
    assert resp.get_json() == {"message": "The database is unavailable; try again in a moment."}
    assert resp.headers["Retry-After"]
    page = client.get("/login/")
    assert page.status_code in (200, 503)
    assert client.post("/login/", data={"username": "a", "password": "b"}).status_code == 503
    assert client.get("/health").status_code == 503
    database_down()  # the database is back
    assert client.get("/health").status_code == 200
    login = client.post("/api/v1/security/login", json={"username": "a", "password": "b", "provider": "db"})
    assert login.status_code == 401


def test_an_outage_inside_an_api_view_is_503_not_fabs_500(app, client, org):
    user = f.make_user(org, "Staff")
    f.make_client(org, user)
    headers = f.auth(user)
    dbapi = db.engine.dialect.dbapi

    def fail_client_queries(conn, cursor, statement, params, context, executemany):
        if "FROM client" in statement:
            raise sa.exc.OperationalError(statement, params, dbapi.OperationalError("server closed the connection"))

    sa.event.listen(db.engine, "before_cursor_execute", fail_client_queries)
    try:
        resp = client.get("/api/v1/clients/", headers=headers)
        item = client.get("/api/v1/clients/1", headers=headers)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", fail_client_queries)
    assert resp.status_code == 503 and item.status_code == 503
    assert "closed" not in resp.get_data(as_text=True)
    assert client.get("/api/v1/clients/", headers=headers).status_code == 200


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"), reason="PostgreSQL only")
def test_connections_the_server_killed_answer_503_then_the_pool_reconnects(app, client, org):
    """PostgreSQL restarted (or a failover): every pooled connection is dead at once."""
    user = f.make_user(org, "Staff")
    headers = f.auth(user)
    assert client.get("/api/v1/clients/", headers=headers).status_code == 200
    killer = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with killer.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    killer.dispose()
    first = client.get("/api/v1/clients/", headers=headers)
    assert first.status_code in (200, 503), first.get_data(as_text=True)[:300]
    if first.status_code == 503:
        assert first.get_json()["message"] == "The database is unavailable; try again in a moment."
    assert client.get("/api/v1/clients/", headers=headers).status_code == 200
    db.session.remove()


def test_deleting_a_client_that_contacts_and_closed_deals_refer_to_says_so(app, client, org):
    admin = f.make_user(org, "Admin", admin=True)
    row = f.make_client(org, admin)
    f.make_contact(row)
    f.make_contact(row)
    f.make_deal(org, admin, client=row, status="lost")
    resp = client.delete(f"/api/v1/clients/{row.id}", headers=f.auth(admin))
    assert resp.status_code == 409
    body = resp.get_data(as_text=True)
    assert "2 contacts and 1 deal still refer to it" in resp.get_json()["detail"], body
    assert not any(word in body for word in DATABASE_WORDS), body
    db.session.expire_all()
    assert db.session.get(Client, row.id) is not None

    f.page_login(client, admin)
    page = client.post(f"/clients/delete/{row.id}", follow_redirects=True).get_data(as_text=True)
    assert "2 contacts and 1 deal still refer to it" in page
    assert not any(word in page for word in DATABASE_WORDS)


def test_a_client_nothing_refers_to_is_deleted(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    row = f.make_client(org, admin)
    assert client.delete(f"/api/v1/clients/{row.id}", headers=f.auth(admin)).status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        "UNIQUE constraint failed: client.name",
        "NOT NULL constraint failed: contact.client_id",
        'duplicate key value violates unique constraint "uq_x"',
        "FOREIGN KEY constraint failed",
    ],
)
def test_an_integrity_error_never_reaches_the_user_as_database_text(raw):
    from app.core.uow import integrity_message

    message = integrity_message(IntegrityError("INSERT ...", {}, Exception(raw)))
    assert not any(word.lower() in message.lower() for word in DATABASE_WORDS), message


def test_html_list_page_sizes_are_capped_like_the_api(app, client, org):
    user = f.make_user(org, "Staff")
    for i in range(5):
        f.make_client(org, user, name=f"Capped {i}")
    f.page_login(client, user)
    app.config["FAB_API_MAX_PAGE_SIZE"] = 3
    try:
        page = client.get("/clients/list/?psize_ClientView=100000").get_data(as_text=True)
    finally:
        app.config["FAB_API_MAX_PAGE_SIZE"] = 100
    assert len(re.findall(r"/clients/show/\d+", page)) <= 3 * 2  # a show link (and icon) per row
    assert "Capped 3" not in page and "Capped 0" in page
