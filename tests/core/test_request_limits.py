"""What an outside probe sent and broke: forwarded headers, NUL and control characters, deep or
broken JSON, huge bodies and fields, negative pages, ids beyond the INTEGER range. Each answers a
clear 4xx and writes nothing (several were 500s on PostgreSQL only)."""

import pytest
import sqlalchemy as sa

from app.core.versioning import transaction_model
from app.crm.models import Activity, Client
from app.extensions import db
from tests import factories as f

BIG = "18446744073709551616"


@pytest.fixture
def staff(org):
    return f.make_user(org, "Staff")


@pytest.fixture
def proxy_hops(app):
    app.config["PROXY_FIX_HOPS"] = 1
    yield
    app.config["PROXY_FIX_HOPS"] = 0


def _clients(org) -> int:
    return db.session.query(Client).filter_by(organization_id=org.id).count()


def _last_tx(user):
    Tx = transaction_model()
    return db.session.scalars(sa.select(Tx).where(Tx.user_id == user.id).order_by(Tx.id.desc())).first()


# ------------------------------------------------------------------ forwarded headers
def test_forwarded_headers_are_ignored_without_a_configured_proxy(client, org, staff):
    headers = {**f.auth(staff), "X-Forwarded-For": "203.0.113.9"}
    resp = client.post(
        "/api/v1/clients/", json={"name": "Direct Co"}, headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.10"}
    )
    assert resp.status_code == 201
    assert _last_tx(staff).remote_addr == "192.0.2.10"


def test_a_forwarded_address_longer_than_the_column_still_writes_and_logs_in(client, org, staff, proxy_hops):
    """PostgreSQL: a 60-character X-Forwarded-For overflowed transaction.remote_addr (VARCHAR 50)
    and failed every write, login included."""
    junk = "x" * 60
    headers = {**f.auth(staff), "X-Forwarded-For": junk}
    resp = client.post("/api/v1/clients/", json={"name": "Forwarded Co"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    assert _last_tx(staff).remote_addr is None  # not an address: nothing recorded
    login = client.post(
        "/api/v1/security/login",
        json={"username": staff.username, "password": f.PASSWORD, "provider": "db"},
        headers={"X-Forwarded-For": "1" * 200},
    )
    assert login.status_code == 200


def test_a_valid_forwarded_ipv6_address_is_recorded_normalised(client, org, staff, proxy_hops):
    headers = {**f.auth(staff), "X-Forwarded-For": "2001:DB8:0:0:0:0:0:1"}
    assert client.post("/api/v1/clients/", json={"name": "Six Co"}, headers=headers).status_code == 201
    assert _last_tx(staff).remote_addr == "2001:db8::1"


def test_a_garbage_request_id_is_replaced(client, org, staff):
    headers = {**f.auth(staff), "X-Request-Id": "bad\x01id" + "z" * 100}
    assert client.post("/api/v1/clients/", json={"name": "Rid Co"}, headers=headers).status_code == 201
    rid = _last_tx(staff).request_id
    assert rid and len(rid) <= 64 and "\x01" not in rid


# ------------------------------------------------------------------ NUL and control characters
def _entry_points(org, user):
    """(method, url, body, field) for each place the probe put a NUL in a JSON string."""
    row = f.make_client(org, user)
    deal = f.make_deal(org, user, client=row)
    return [
        ("POST", "/api/v1/clients/", {"name": "a\x00b"}, "name"),
        ("PUT", f"/api/v1/clients/{row.id}", {"notes": "before\x00after"}, "notes"),
        ("POST", "/api/v1/deals/", {"title": "t\x00", "client": row.id}, "title"),
        ("POST", f"/api/v1/deals/{deal.id}/activities", {"body": "called\x00"}, "body"),
        ("POST", f"/api/v1/organizations/{org.id}/members", {"user_id": user.id, "role": "Staff\x00"}, "role"),
    ]


def test_nul_bytes_in_json_strings_are_422_naming_the_field_and_write_nothing(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    calls = _entry_points(org, admin)
    before_clients, before_activities = _clients(org), db.session.query(Activity).count()
    for method, url, body, field in calls:
        resp = client.open(url, method=method, json=body, headers=f.auth(admin, org))
        assert resp.status_code == 422, (url, resp.status_code, resp.get_data(as_text=True)[:300])
        assert field in resp.get_json()["message"], (url, resp.get_json())
    db.session.expire_all()
    assert _clients(org) == before_clients and db.session.query(Activity).count() == before_activities


def test_a_nul_in_the_login_username_is_refused_not_a_500(client):
    resp = client.post("/api/v1/security/login", json={"username": "admin\x00", "password": "x", "provider": "db"})
    assert resp.status_code == 422
    page = client.post("/login/", data={"username": "admin\x00", "password": "x"})
    assert page.status_code == 400


@pytest.mark.parametrize("value", ["bell\x07", "esc\x1b[31m", "del\x7f", "c1\x85"])
def test_other_control_characters_are_refused_on_the_api(client, org, staff, value):
    resp = client.post("/api/v1/clients/", json={"name": value}, headers=f.auth(staff))
    assert resp.status_code == 422 and "name" in resp.get_json()["message"]


def test_tabs_and_newlines_are_text(client, org, staff):
    resp = client.post("/api/v1/clients/", json={"name": "Tab\tCo", "notes": "line 1\r\nline 2"}, headers=f.auth(staff))
    assert resp.status_code == 201


def test_control_characters_in_a_page_form_are_a_form_error(client, org, staff):
    f.page_login(client, staff)
    before = _clients(org)
    resp = client.post("/clients/add", data={"name": "Bell\x07 Co"})
    assert resp.status_code == 200
    assert "control characters" in resp.get_data(as_text=True)
    assert client.post("/clients/add", data={"name": "Nul\x00 Co"}).status_code == 400
    assert _clients(org) == before


def test_services_and_imports_meet_the_same_text_rule(org, staff):
    from app.core import context
    from app.core.errors import Invalid
    from app.core.uow import unit_of_work

    with pytest.raises(Invalid) as err, context.acting_as(staff.id, org.id), unit_of_work() as s:
        s.add(Client(name="Imported\x00Co"))
    assert "name" in err.value.fields


# ------------------------------------------------------------------ rison
@pytest.mark.parametrize("q", ["(page:-1)", "(page:-5,page_size:10)", "(filters:!((col:name,opr:sw,value:'a\x00b')))"])
def test_a_negative_page_or_a_nul_in_a_filter_is_400(client, staff, q):
    resp = client.get("/api/v1/clients/", query_string={"q": q}, headers=f.auth(staff))
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]


# ------------------------------------------------------------------ JSON shape
def test_json_nested_a_thousand_levels_is_400_even_on_login(client, staff):
    deep = "[" * 1500 + "]" * 1500
    for url, headers in (("/api/v1/clients/", f.auth(staff)), ("/api/v1/security/login", {})):
        resp = client.post(url, data='{"name": ' + deep + "}", headers={**headers, "Content-Type": "application/json"})
        assert resp.status_code == 400, (url, resp.status_code)
        assert "nested" in resp.get_json()["message"]


def test_a_lone_surrogate_is_400(client, org, staff):
    before = _clients(org)
    for url, headers in (("/api/v1/clients/", f.auth(staff)), ("/api/v1/security/login", {})):
        resp = client.post(
            url,
            data='{"name": "a\\ud800b", "username": "a\\udfffb", "password": "x", "provider": "db"}',
            headers={**headers, "Content-Type": "application/json"},
        )
        assert resp.status_code == 400, (url, resp.status_code)
    assert _clients(org) == before


# ------------------------------------------------------------------ sizes
def test_a_body_over_the_limit_is_413_with_a_json_message(client, org, staff):
    before = _clients(org)
    body = {"name": "Big", "notes": "x" * (5 * 1024 * 1024)}
    resp = client.post("/api/v1/clients/", json=body, headers=f.auth(staff))
    assert resp.status_code == 413
    assert "too large" in resp.get_json()["message"]
    assert _clients(org) == before


def test_free_text_has_a_documented_maximum(client, org, staff):
    from app.core.text_rules import TEXT_MAX

    body = {"name": "Long notes", "notes": "x" * (TEXT_MAX + 1)}
    resp = client.post("/api/v1/clients/", json=body, headers=f.auth(staff))
    assert resp.status_code == 422
    assert resp.get_json()["message"] == {"notes": [f"At most {TEXT_MAX:,} characters."]}
    ok = client.post("/api/v1/clients/", json={"name": "Max notes", "notes": "x" * TEXT_MAX}, headers=f.auth(staff))
    assert ok.status_code == 201


# ------------------------------------------------------------------ ids beyond the range
def test_an_id_beyond_the_integer_range_is_404_on_every_route_and_method(app, client, org):
    admin = f.make_user(org, "Admin", admin=True)
    h = f.auth(admin, org)
    failures = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "<int:" not in rule.rule:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", BIG)
        for method in ("GET", "PUT", "POST", "DELETE"):
            resp = client.open(url, method=method, json={}, headers=h)
            if resp.status_code != 404 or not resp.is_json:
                failures.append((method, url, resp.status_code, resp.content_type))
    assert failures == []
