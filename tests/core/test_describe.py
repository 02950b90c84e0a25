"""GET /api/v1/_resources/: one description of every resource the caller may read, built from the
registry — columns, fields, filters (flags among them), declared record actions with their
parameters and whether the caller may take them, a record's extra routes — with an ETag; and
the organization's members by username."""

from __future__ import annotations

from app.core.registry import registry
from tests import factories as f


def _described(client, user, org) -> dict:
    resp = client.get("/api/v1/_resources/", headers=f.auth(user, org))
    assert resp.status_code == 200
    return {r["name"]: r for r in resp.get_json()["resources"]}


def test_every_readable_resource_is_described_from_the_registry(client, org):
    manager = f.make_user(org, "Manager")
    described = _described(client, manager, org)
    assert set(described) == {n for n, r in registry.resources.items() if r.api is not None}
    contract = described["Contract"]
    assert contract["path"] == "/api/v1/contracts"
    assert {a["name"] for a in contract["actions"]} >= {"archive", "restore", "revert", "sign", "add_payment"}
    payment = next(a for a in contract["actions"] if a["name"] == "add_payment")
    assert payment["path"] == "payments" and payment["status"] == 201 and payment["allowed"] is True
    assert [p["name"] for p in payment["params"]] == ["amount", "date"]
    flags = {(x["column"], x["operator"]) for x in contract["filters"] if x["flag"]}
    assert {("status", "not_signed"), ("status", "not_paid"), ("commercial", "mine")} <= flags
    client_field = next(x for x in contract["add_fields"] if x["name"] == "client")
    assert client_field["type"] == "relation" and client_field["relation"]["resource"] == "Client"
    support = next(a for a in described["Event"]["actions"] if a["name"] == "set_support")
    assert support["params"][0]["relation"]["resource"] == "User"
    assert {"name": "pdf", "path": "pdf"}.items() <= described["Invoice"]["record_routes"][0].items()
    stage = next(x for x in described["Deal"]["add_fields"] if x["name"] == "stage")
    assert "proposal" in stage["enum"]


def test_a_role_sees_what_it_may_read_and_which_actions_it_holds(client, org):
    support = f.make_user(org, "Support")
    described = _described(client, support, org)
    assert "Invoice" not in described and "Event" in described
    event_actions = {a["name"]: a["allowed"] for a in described["Event"]["actions"]}
    assert event_actions["set_support"] is False
    assert described["Event"]["exchange"] == {
        "export": "can_export" in described["Event"]["permissions"],
        "import": False,
    }
    assert client.get("/api/v1/_resources/").status_code == 401


def test_the_description_has_an_etag(client, org):
    user = f.make_user(org, "Staff")
    first = client.get("/api/v1/_resources/", headers=f.auth(user, org))
    again = client.get("/api/v1/_resources/", headers={**f.auth(user, org), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    manager = f.make_user(org, "Manager")
    other = client.get("/api/v1/_resources/", headers={**f.auth(manager, org), "If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200  # another role: another description


def test_users_lookup_finds_members_of_the_active_organization_only(client, org, other_org):
    user = f.make_user(org, "Staff", username=f.unique("alice"))
    outsider = f.make_user(other_org, "Staff", username=f.unique("alice"))
    h = f.auth(user, org)
    found = client.get(f"/api/v1/_resources/users?username={user.username.upper()}", headers=h).get_json()
    assert [u["id"] for u in found["result"]] == [user.id]
    assert client.get(f"/api/v1/_resources/users?username={outsider.username}", headers=h).get_json()["result"] == []
    assert client.get("/api/v1/_resources/users?search=" + "x" * 65, headers=h).status_code == 400
