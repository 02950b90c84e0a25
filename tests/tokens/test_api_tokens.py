"""Personal API tokens on the API: created once and stored hashed, accepted like a JWT on every
route, limited to their organization and to what their user may do now, read-only tokens
refused every write, revoked/expired/unknown ones 401, writes attributed to user and token."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.core.models import utcnow
from app.core.tenancy import membership_for
from app.core.tokens import ApiToken
from app.core.uow import unit_of_work
from app.core.versioning import transaction_model
from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def _create(client, user, org, **body) -> dict:
    body.setdefault("name", f.unique("token "))
    resp = client.post("/api/v1/tokens/", json=body, headers=f.auth(user, org))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def bearer(secret: str, org=None) -> dict:
    headers = {"Authorization": f"Bearer {secret}"}
    if org is not None:
        headers["X-Organization-Id"] = str(org.id)
    return headers


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ------------------------------------------------------------------ creating, listing
def test_the_secret_is_shown_once_and_stored_hashed(client, org):
    user = f.make_user(org)
    created = _create(client, user, org, name="nightly export")
    secret = created["token"]
    assert created["result"]["name"] == "nightly export"
    assert created["result"]["read_only"] is True  # least privilege unless asked
    assert created["result"]["organization"]["id"] == org.id
    row = db.session.get(ApiToken, created["id"])
    assert secret not in (row.secret_hash, row.hint) and len(row.secret_hash) == 64
    listed = client.get("/api/v1/tokens/", headers=f.auth(user, org)).get_json()
    assert [t["id"] for t in listed["result"]] == [created["id"]]
    assert secret not in str(listed) and "token" not in listed["result"][0]
    one = client.get(f"/api/v1/tokens/{created['id']}", headers=f.auth(user, org)).get_json()
    assert secret not in str(one)


def test_creating_refuses_bad_input(client, org, other_org):
    user = f.make_user(org)
    h = f.auth(user, org)
    assert client.post("/api/v1/tokens/", json={}, headers=h).status_code == 422
    assert client.post("/api/v1/tokens/", json={"name": ""}, headers=h).status_code == 422
    assert client.post("/api/v1/tokens/", json={"name": "x" * 101}, headers=h).status_code == 422
    assert client.post("/api/v1/tokens/", json={"name": "a\x1bb"}, headers=h).status_code in (400, 422)
    resp = client.post("/api/v1/tokens/", json={"name": "x", "organization_id": other_org.id}, headers=h)
    assert resp.status_code == 422 and "organization_id" in resp.get_json()["message"]
    resp = client.post("/api/v1/tokens/", json={"name": "x", "expires_at": "2001-01-01"}, headers=h)
    assert resp.status_code == 422 and "expires_at" in resp.get_json()["message"]
    resp = client.post("/api/v1/tokens/", json={"name": "x", "expires_at": "soon"}, headers=h)
    assert resp.status_code == 422
    assert client.post("/api/v1/tokens/", json={"name": "x"}).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) == 0


def test_a_token_cannot_make_tokens(client, org):
    user = f.make_user(org)
    secret = _create(client, user, org, read_only=False)["token"]
    resp = client.post("/api/v1/tokens/", json={"name": "more"}, headers=bearer(secret))
    assert resp.status_code == 403


# ------------------------------------------------------------------ using one
def test_a_token_works_on_every_kind_of_route(client, org):
    user = f.make_user(org, "Manager")
    f.make_client(org, user, name="Initech")
    secret = _create(client, user, org)["token"]
    h = bearer(secret)
    me = client.get("/api/v1/me/", headers=h).get_json()  # @jwt_required
    assert me["username"] == user.username and me["organization"]["id"] == org.id
    assert me["token"]["read_only"] is True
    names = [c["name"] for c in client.get("/api/v1/clients/", headers=h).get_json()["result"]]  # @protect
    assert names == ["Initech"]
    assert client.get("/api/v1/changesets/", headers=h).status_code == 200
    assert client.get("/api/v1/clients/export?format=csv", headers=h).status_code == 200


def test_a_read_only_token_is_refused_every_write(client, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user, name="Readonly Ltd")
    h = bearer(_create(client, user, org)["token"])
    before = _count(Client)
    assert client.post("/api/v1/clients/", json={"name": "New"}, headers=h).status_code == 403
    assert client.put(f"/api/v1/clients/{row.id}", json={"phone": "1"}, headers=h).status_code == 403
    assert client.post(f"/api/v1/clients/{row.id}/archive", headers=h).status_code == 403
    assert client.delete(f"/api/v1/clients/{row.id}", headers=h).status_code == 403
    resp = client.post("/api/v1/clients/import", data={"file": (io.BytesIO(b"name\nX\n"), "c.csv")}, headers=h)
    assert resp.status_code == 403
    assert _count(Client) == before
    db.session.refresh(row)
    assert row.phone is None and row.archived_at is None
    caps = client.get("/api/v1/me/", headers=h).get_json()
    assert caps["capabilities"] and all(
        c.split()[0] in ("can_read", "can_export", "menu_access") for c in caps["capabilities"]
    )
    assert caps["actions"] == {}


def test_writes_with_a_token_are_versioned_and_audited_with_user_and_token(client, org):
    user = f.make_user(org, "Manager")
    h = bearer(_create(client, user, org, name="crm sync", read_only=False)["token"])
    resp = client.post("/api/v1/clients/", json={"name": "Tokened"}, headers=h)
    assert resp.status_code == 201
    pk = resp.get_json()["id"]
    history = client.get(f"/api/v1/clients/{pk}/history", headers=h).get_json()["result"]
    assert history[0]["user"] == user.username and history[0]["token"] == "crm sync"
    Tx = transaction_model()
    tx = db.session.execute(sa.select(Tx).where(Tx.id == history[0]["transaction_id"])).scalar_one()
    assert (tx.user_id, tx.token_name, tx.organization_id) == (user.id, "crm sync", org.id)
    admin = f.make_user(org, "Admin")
    audit = client.get("/api/v1/audit/?resource=Client", headers=f.auth(admin, org)).get_json()["result"]
    assert any(e["record_id"] == pk and e["token"] == "crm sync" and e["user"] == user.username for e in audit)


def test_a_token_is_limited_to_its_organization(client, org, other_org):
    user = f.make_user(org, "Manager")
    f.add_membership(user, other_org, "Manager")
    elsewhere = f.make_client(other_org, user, name="Other Org Client")
    h = bearer(_create(client, user, org)["token"])
    assert client.get("/api/v1/clients/", headers={**h, "X-Organization-Id": str(other_org.id)}).status_code == 403
    assert client.get(f"/api/v1/clients/{elsewhere.id}", headers=h).status_code == 404
    same = client.get("/api/v1/clients/", headers={**h, "X-Organization-Id": str(org.id)})
    assert same.status_code == 200


def test_a_token_never_grants_more_than_its_user_has_now(client, org):
    viewer = f.make_user(org, "Viewer")
    h = bearer(_create(client, viewer, org, read_only=False)["token"])
    assert client.post("/api/v1/clients/", json={"name": "No"}, headers=h).status_code == 403
    manager = f.make_user(org, "Manager")
    hm = bearer(_create(client, manager, org, read_only=False)["token"])
    assert client.post("/api/v1/clients/", json={"name": "Yes"}, headers=hm).status_code == 201
    membership = membership_for(manager.id, org.id)
    with f.acting(None, org), unit_of_work():
        membership.role_id = current_app.appbuilder.sm.find_role("Viewer").id
    assert client.post("/api/v1/clients/", json={"name": "Now no"}, headers=hm).status_code == 403
    with f.acting(None, org), unit_of_work() as s:
        s.delete(membership_for(manager.id, org.id))
    assert client.get("/api/v1/clients/", headers=hm).status_code == 401  # the membership ended it


def test_revoked_expired_unknown_and_forged_tokens_are_401(client, org):
    user = f.make_user(org)
    other = f.make_user(org)
    created = _create(client, user, org)
    h = bearer(created["token"])
    assert client.get("/api/v1/clients/", headers=h).status_code == 200
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=f.auth(user, org)).status_code == 200
    resp = client.get("/api/v1/clients/", headers=h)
    assert resp.status_code == 401 and "revoked" in resp.get_json()["message"]

    expiring = _create(client, user, org, expires_at=(utcnow() + timedelta(days=2)).date().isoformat())
    assert expiring["result"]["expires_at"]
    eh = bearer(expiring["token"])
    assert client.get("/api/v1/clients/", headers=eh).status_code == 200
    db.session.get(ApiToken, expiring["id"]).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/clients/", headers=eh).status_code == 401

    assert client.get("/api/v1/clients/", headers=bearer("not-a-token")).status_code == 401
    from flask_jwt_extended import create_access_token

    from app.core import sessions

    with sessions.without_session():  # signed with the right key, but no such secret
        forged = create_access_token(identity=str(user.id), additional_claims={"tid": expiring["id"], "jti": "guess"})
        someone_elses = create_access_token(identity=str(other.id), additional_claims={"tid": created["id"]})
    assert client.get("/api/v1/clients/", headers=bearer(forged)).status_code == 401
    assert client.get("/api/v1/clients/", headers=bearer(someone_elses)).status_code == 401


def test_a_deactivated_user_s_tokens_stop(client, org):
    user = f.make_user(org)
    h = bearer(_create(client, user, org)["token"])
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/clients/", headers=h).status_code == 401


def test_last_use_is_recorded_with_the_address(client, org):
    user = f.make_user(org)
    created = _create(client, user, org)
    assert created["result"]["last_used_at"] is None
    client.get("/api/v1/clients/", headers=bearer(created["token"]), environ_base={"REMOTE_ADDR": "10.1.2.3"})
    listed = client.get("/api/v1/tokens/", headers=f.auth(user, org)).get_json()["result"][0]
    assert listed["last_used_at"] is not None and listed["last_used_addr"] == "10.1.2.3"


def test_logout_with_a_token_revokes_it(client, org):
    user = f.make_user(org)
    created = _create(client, user, org)
    h = bearer(created["token"])
    assert client.post("/api/v1/security/logout", headers=h).status_code == 200
    assert client.get("/api/v1/me/", headers=h).status_code == 401
    assert db.session.get(ApiToken, created["id"]).revoked_at is not None


def test_only_an_admin_lists_and_revokes_anyone_s(client, org):
    user = f.make_user(org)
    nosy = f.make_user(org, "Manager")
    admin = f.make_user(org, "Staff", admin=True)
    created = _create(client, user, org)
    assert client.get("/api/v1/tokens/?all=1", headers=f.auth(nosy, org)).status_code == 403
    assert client.get(f"/api/v1/tokens/{created['id']}", headers=f.auth(nosy, org)).status_code == 404
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=f.auth(nosy, org)).status_code == 404
    everyone = client.get("/api/v1/tokens/?all=1&page_size=100", headers=f.auth(admin, org)).get_json()
    mine = [t for t in everyone["result"] if t["id"] == created["id"]]
    assert mine and mine[0]["user"]["username"] == user.username
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=f.auth(admin, org)).status_code == 200
    assert client.get("/api/v1/me/", headers=bearer(created["token"])).status_code == 401
    assert client.get("/api/v1/tokens/?page=x", headers=f.auth(user, org)).status_code == 400
