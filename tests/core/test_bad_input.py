"""Bad input gets a clear 4xx and writes nothing; no API route answers 500 to any input, for any
seeded role."""

import pytest

from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def _count(org):
    return db.session.query(Client).filter_by(organization_id=org.id).count()


@pytest.fixture
def staff(org):
    return f.make_user(org, "Staff")


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"name": 123}, 422, "name"),
        ({"name": "x" * 201}, 422, "name"),
        ({"name": "ok", "email": "not-an-email"}, 422, "email"),
        ({"name": "ok", "website": "ftp://x"}, 422, "website"),
        ({"email": "a@b.co"}, 422, "name"),
        ({"name": "   "}, 422, "name"),
        ({"name": "ok", "unknown_field": 1}, 422, "unknown_field"),
        ({"name": "ok", "owner": 99999999}, 422, "owner"),
        ({"name": "ok", "owner": "abc"}, 422, "owner"),
        ({"name": "ok", "organization_id": 1}, 422, "organization_id"),
        ({"name": "ok", "version": 5}, 422, "version"),
    ],
)
def test_invalid_client_bodies_are_422_with_a_message_per_field(client, org, staff, body, status, field):
    before = _count(org)
    resp = client.post("/api/v1/clients/", json=body, headers=f.auth(staff))
    assert resp.status_code == status, resp.get_json()
    assert field in resp.get_json()["message"]
    assert _count(org) == before


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"a string"', "null", ""])
def test_malformed_or_non_object_json_is_400(client, org, staff, raw):
    before = _count(org)
    resp = client.post("/api/v1/clients/", data=raw, headers={**f.auth(staff), "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert _count(org) == before


def test_an_update_with_bad_values_writes_nothing(client, org, staff):
    row = f.make_client(org, staff, email="keep@example.com")
    resp = client.put(f"/api/v1/clients/{row.id}", json={"email": "broken", "phone": "9"}, headers=f.auth(staff))
    assert resp.status_code == 422
    db.session.expire_all()
    fresh = db.session.get(Client, row.id)
    assert (fresh.email, fresh.phone, fresh.version) == ("keep@example.com", None, 1)


def test_a_contact_pointing_at_a_missing_client_is_422(client, org, staff):
    resp = client.post(
        "/api/v1/contacts/", json={"first_name": "a", "last_name": "b", "client": 424242}, headers=f.auth(staff)
    )
    assert resp.status_code == 422
    assert "client" in resp.get_json()["message"]


@pytest.mark.parametrize(
    "q",
    ["(((", "(page:x)", "(filters:!((col:nope,opr:eq,value:1)))", "(order_column:secret)", "!(1,2)", "(page_size:'a')"],
)
def test_rison_garbage_in_q_is_400(client, staff, q):
    resp = client.get("/api/v1/clients/", query_string={"q": q}, headers=f.auth(staff))
    assert resp.status_code == 400, resp.get_json()


def test_a_page_size_of_a_million_is_capped(client, org, staff):
    for _ in range(3):
        f.make_client(org, staff)
    resp = client.get("/api/v1/clients/?q=(page_size:1000000)", headers=f.auth(staff))
    assert resp.status_code == 200
    assert resp.headers["X-Page-Size"] == "100"


def test_a_pk_that_does_not_exist_or_is_not_an_int_is_404(client, staff):
    h = f.auth(staff)
    assert client.get("/api/v1/clients/987654321", headers=h).status_code == 404
    assert client.get("/api/v1/clients/abc", headers=h).status_code == 404
    assert client.put("/api/v1/clients/-1", json={"name": "x"}, headers=h).status_code == 404


GARBAGE = [
    None,
    "x",
    10**20,
    [],
    {"name": None, "client": "x", "role": 5},
    {"transaction_id": "1", "user_id": "☃" * 300},
]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "_openapi" not in rule.rule:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield rule, method


# The suite walks as the roles that reach different code: a global admin, a manager (every
# record), staff (the owner rule), a viewer (assigned-only rows, read-only) and a role without
# permissions; `make test-exhaustive` walks as every seeded role too.
QUICK_ROLES = ["Admin", "Manager", "Staff", "Viewer", "NoAccess"]
OTHER_ROLES = ["Finance", "HR", "Commercial", "Support", "Valuer"]
ROLES = [*QUICK_ROLES, *(pytest.param(r, marks=pytest.mark.exhaustive) for r in OTHER_ROLES)]


@pytest.mark.parametrize("role", ROLES)
def test_no_api_route_answers_500_to_garbage(app, client, org, other_org, role):
    user = f.make_user(org, role, admin=(role == "Admin"))
    mine = f.make_client(org, user)
    theirs = f.make_client(other_org, None)
    headers = f.auth(user, org)
    failures = []
    for rule, method in _routes(app):
        for pk in (mine.id, theirs.id):
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", str(pk if arg == "pk" else org.id if arg == "org_id" else user.id))
                url = url.replace(f"<{arg}>", str(pk))
            for body in GARBAGE if method in ("POST", "PUT", "PATCH") else [None]:  # a GET reads no body
                resp = client.open(url, method=method, json=body, headers=headers, query_string={"q": "(page_size:x"})
                if resp.status_code >= 500:
                    failures.append((method, url, body, resp.status_code))
    assert failures == []


@pytest.mark.parametrize(
    "role",
    [
        "Admin",
        "Staff",
        "Viewer",
        "NoAccess",
        *(pytest.param(r, marks=pytest.mark.exhaustive) for r in ["Manager", *OTHER_ROLES]),
    ],
)
def test_no_page_route_answers_500_to_garbage(app, org, other_org, role):
    user = f.make_user(org, role, admin=(role == "Admin"))
    theirs = f.make_client(other_org, None)
    client = app.test_client()
    f.page_login(client, user)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static/", "/swagger", "/logout", "/login")):
            continue
        for value in ("abc", str(theirs.id), "99999999", "-1"):
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", "1" if not value.lstrip("-").isdigit() else value.lstrip("-"))
                url = url.replace(f"<string:{arg}>", value).replace(f"<{arg}>", value).replace(f"<path:{arg}>", value)
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = {"name": "☃" * 300, "transaction_id": value, "action": "archive", "rowid": [value]}
                resp = client.open(url, method=method, data=data if method == "POST" else None)
                if resp.status_code >= 500:
                    failures.append((method, url, resp.status_code))
    assert failures == []


BIG = 10**20


def test_numbers_too_big_for_the_database_are_4xx(app, org):
    admin = f.make_user(org, "Admin", admin=True)
    row = f.make_client(org, admin)
    h = f.auth(admin, org)
    client = app.test_client()
    api_calls = [
        ("GET", f"/api/v1/clients/{BIG}", None, h),
        ("DELETE", f"/api/v1/clients/{BIG}", None, h),
        ("POST", f"/api/v1/clients/{row.id}/revert", {"transaction_id": BIG}, h),
        ("PUT", f"/api/v1/clients/{row.id}", {"owner": BIG}, h),
        ("POST", "/api/v1/contacts/", {"first_name": "a", "last_name": "b", "client": BIG}, h),
        ("GET", f"/api/v1/clients/?q=(page:{BIG},page_size:10)", None, h),
        ("GET", f"/api/v1/clients/?q=(filters:!((col:owner,opr:rel_o_m,value:{BIG})))", None, h),
        ("POST", f"/api/v1/organizations/{org.id}/members", {"user_id": BIG, "role": "Staff"}, h),
        ("PUT", f"/api/v1/organizations/{org.id}/members/{BIG}", {"role": "Staff"}, h),
        ("GET", "/api/v1/clients/", None, {**h, "X-Organization-Id": str(BIG)}),
    ]
    for method, url, body, headers in api_calls:
        status = client.open(url, method=method, json=body, headers=headers).status_code
        assert 400 <= status < 500, (method, url, status)
    f.page_login(client, admin)
    page_calls = [
        ("GET", f"/clients/show/{BIG}", None),
        ("GET", f"/clients/edit/{BIG}", None),
        ("POST", f"/clients/do/revert/{row.id}", {"transaction_id": str(BIG)}),
        ("POST", "/contacts/add", {"first_name": "a", "last_name": "b", "client": str(BIG)}),
        ("GET", f"/clients/list/?page_ClientView={BIG}", None),
        ("POST", "/clients/action_post", {"action": "archive", "rowid": [str(BIG)]}),
        ("GET", "/clients/list/?_oc_ClientView=nope&_od_ClientView=asc", None),
        ("GET", "/clients/list/?psize_ClientView=abc", None),
    ]
    for method, url, data in page_calls:
        status = client.open(url, method=method, data=data).status_code
        assert status < 500, (method, url, status)
