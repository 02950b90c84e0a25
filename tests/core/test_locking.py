"""Optimistic locking: an edit based on a stale version is a 409, never a lost update."""

import threading

from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def test_put_with_a_stale_if_match_is_409(client, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user)
    h = f.auth(user)
    etag = client.get(f"/api/v1/clients/{row.id}", headers=h).headers["ETag"]
    assert (
        client.put(f"/api/v1/clients/{row.id}", json={"phone": "1"}, headers={**h, "If-Match": etag}).status_code == 200
    )
    resp = client.put(f"/api/v1/clients/{row.id}", json={"phone": "2"}, headers={**h, "If-Match": etag})
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Client, row.id).phone == "1"


def test_put_with_a_stale_version_field_is_409(client, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user)
    h = f.auth(user)
    assert client.put(f"/api/v1/clients/{row.id}", json={"phone": "1", "version": 1}, headers=h).status_code == 200
    resp = client.put(f"/api/v1/clients/{row.id}", json={"phone": "2", "version": 1}, headers=h)
    assert resp.status_code == 409
    assert resp.get_json()["message"]["version"] == ["Current version is 2."]
    assert client.put(f"/api/v1/clients/{row.id}", json={"phone": "2", "version": 2}, headers=h).status_code == 200


def test_a_garbage_version_is_refused(client, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user)
    resp = client.put(f"/api/v1/clients/{row.id}", json={"phone": "2"}, headers={**f.auth(user), "If-Match": "abc"})
    assert resp.status_code == 409


def test_concurrent_puts_on_the_same_version_let_exactly_one_win(app, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user)
    headers = f.auth(user)
    pk = row.id
    results: list[int] = []
    barrier = threading.Barrier(4)

    def put(phone):
        c = app.test_client()
        barrier.wait()
        results.append(c.put(f"/api/v1/clients/{pk}", json={"phone": phone, "version": 1}, headers=headers).status_code)

    threads = [threading.Thread(target=put, args=(str(i),)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409, 409, 409]
    db.session.expire_all()
    fresh = db.session.get(Client, row.id)
    assert fresh.version == 2
    assert [op for op, _ in f.versions_of(Client, row.id)] == [0, 1]


def test_the_edit_page_shows_a_conflict_for_a_stale_version(client, org):
    user = f.make_user(org, "Manager")
    row = f.make_client(org, user, phone="1")
    f.page_login(client, user)
    form = {"name": row.name, "phone": "2", "version": "1"}
    assert client.post(f"/clients/edit/{row.id}", data=form).status_code == 302
    resp = client.post(f"/clients/edit/{row.id}", data={**form, "phone": "3"})
    assert resp.status_code == 200
    assert "changed by someone else" in resp.data.decode()
    assert 'value="3"' in resp.data.decode()  # the typed input is kept
    db.session.expire_all()
    assert db.session.get(Client, row.id).phone == "2"
