"""History, diff and revert (API and page)."""

from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def _history(client, h, pk):
    resp = client.get(f"/api/v1/clients/{pk}/history", headers=h)
    assert resp.status_code == 200
    return resp.get_json()["result"]


def test_history_lists_versions_newest_first_with_field_changes(client, org):
    user = f.make_user(org, "Staff")
    h = f.auth(user)
    pk = client.post("/api/v1/clients/", json={"name": "Hist Co", "email": "a@hist.example"}, headers=h).get_json()[
        "id"
    ]
    client.put(f"/api/v1/clients/{pk}", json={"email": "b@hist.example"}, headers=h)
    client.post(f"/api/v1/clients/{pk}/archive", headers=h)
    entries = _history(client, h, pk)
    assert [e["operation"] for e in entries] == ["archive", "update", "create"]
    assert entries[1]["changes"] == {"email": ["a@hist.example", "b@hist.example"]}
    assert entries[2]["changes"]["name"] == [None, "Hist Co"]
    assert all(e["user"] == user.username for e in entries)
    assert set(entries[0]) == {"transaction_id", "issued_at", "user", "token", "approved_by", "operation", "changes"}
    assert entries[0]["transaction_id"] > entries[1]["transaction_id"] > entries[2]["transaction_id"]


def test_revert_restores_an_earlier_state_as_a_new_version(client, org):
    user = f.make_user(org, "Manager")
    h = f.auth(user)
    pk = client.post("/api/v1/clients/", json={"name": "Rev Co", "phone": "111"}, headers=h).get_json()["id"]
    first_tx = _history(client, h, pk)[0]["transaction_id"]
    client.put(f"/api/v1/clients/{pk}", json={"phone": "222", "name": "Rev Co Renamed"}, headers=h)
    resp = client.post(f"/api/v1/clients/{pk}/revert", json={"transaction_id": first_tx}, headers=h)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["result"]["phone"] == "111"
    assert resp.get_json()["result"]["name"] == "Rev Co"
    latest = _history(client, h, pk)[0]
    assert latest["operation"] == "revert"
    assert latest["changes"]["phone"] == ["222", "111"]


def test_revert_to_a_transaction_of_another_record_is_404(client, org):
    user = f.make_user(org, "Manager")
    h = f.auth(user)
    a = f.make_client(org, user)
    b = f.make_client(org, user)
    b_tx = _history(client, h, b.id)[0]["transaction_id"]
    resp = client.post(f"/api/v1/clients/{a.id}/revert", json={"transaction_id": b_tx}, headers=h)
    assert resp.status_code == 404


def test_revert_that_breaks_a_rule_is_409_and_writes_nothing(client, org, monkeypatch):
    user = f.make_user(org, "Manager")
    h = f.auth(user)
    pk = client.post(
        "/api/v1/clients/", json={"name": "Rule Co", "website": "https://ok.example"}, headers=h
    ).get_json()["id"]
    first_tx = _history(client, h, pk)[0]["transaction_id"]
    client.put(f"/api/v1/clients/{pk}", json={"website": "https://new.example"}, headers=h)
    # a rule introduced later makes the old state invalid
    from app.core.errors import invalid

    original = Client.validate

    def stricter(self):
        original(self)
        if self.website == "https://ok.example":
            raise invalid("website", "This domain is now blocked.")

    monkeypatch.setattr(Client, "validate", stricter)
    before = len(_history(client, h, pk))
    resp = client.post(f"/api/v1/clients/{pk}/revert", json={"transaction_id": first_tx}, headers=h)
    assert resp.status_code == 409
    assert "website" in resp.get_json()["message"]
    assert len(_history(client, h, pk)) == before
    db.session.expire_all()
    assert db.session.get(Client, pk).website == "https://new.example"


def test_revert_needs_an_integer_transaction_id(client, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user)
    for body in ({}, {"transaction_id": "x"}, {"transaction_id": True}, {"transaction_id": 2**40}):
        resp = client.post(f"/api/v1/clients/{row.id}/revert", json=body, headers=f.auth(user))
        assert resp.status_code == 422
        assert "transaction_id" in resp.get_json()["message"]
    # a body that is not a JSON object is malformed
    assert client.post(f"/api/v1/clients/{row.id}/revert", json=[], headers=f.auth(user)).status_code == 400


def test_the_show_page_has_a_history_tab_with_diffs_and_revert(client, org):
    user = f.make_user(org, "Manager")
    h = f.auth(user)
    pk = client.post("/api/v1/clients/", json={"name": "Tab Co", "phone": "123"}, headers=h).get_json()["id"]
    first_tx = _history(client, h, pk)[0]["transaction_id"]
    client.put(f"/api/v1/clients/{pk}", json={"phone": "456"}, headers=h)
    f.page_login(client, user)
    page = client.get(f"/clients/show/{pk}").data.decode()
    assert 'id="history-tab"' in page
    assert "456" in page and "diff-old" in page
    assert "Revert to this" in page
    resp = client.post(f"/clients/do/revert/{pk}", data={"transaction_id": first_tx})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Client, pk).phone == "123"


def test_staff_without_can_revert_sees_no_revert_button(client, org):
    user = f.make_user(org, "Staff")
    row = f.make_client(org, user)
    f.page_login(client, user)
    page = client.get(f"/clients/show/{row.id}").data.decode()
    assert 'id="history-tab"' in page
    assert "Revert to this" not in page
    assert client.post(f"/clients/do/revert/{row.id}", data={"transaction_id": 1}).status_code in (302, 403)


def test_a_reused_id_starts_a_history_of_its_own(org):
    """SQLite hands a deleted row's id to the next row: the new record's history is its own."""
    from app.core import history, services
    from app.core.uow import unit_of_work
    from app.crm.models import Client

    first = f.make_client(org, name="First owner of the id")
    pk = first.id
    with f.acting(None, org):
        services.delete(first)
    with f.acting(None, org), unit_of_work() as s:
        second = Client(id=pk, name="Second")  # what SQLite does by itself when pk was the last id
        s.add(second)
    entries = history.history_for(db.session, second)
    assert [e["operation"] for e in entries] == ["create"]
    assert entries[0]["changes"]["name"] == [None, "Second"]
