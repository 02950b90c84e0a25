"""The permission matrix, applied to every resource: no token 401; a role without the
permission 403; with it 2xx and a version row whose actor is that user; another org's row 404."""

import pytest

from tests import factories as f
from tests.resources import IDS, RESOURCES


@pytest.fixture(params=RESOURCES, ids=IDS)
def res(request):
    return request.param


def test_it_requires_a_token(client, res, org):
    row = res.make(org, None)
    assert client.get(f"/api/v1/{res.name}/").status_code == 401
    assert client.get(f"/api/v1/{res.name}/{row.id}").status_code == 401
    assert client.post(f"/api/v1/{res.name}/", json={}).status_code == 401
    assert client.put(f"/api/v1/{res.name}/{row.id}", json={}).status_code == 401
    assert client.post(f"/api/v1/{res.name}/{row.id}/archive").status_code == 401
    assert client.get(f"/api/v1/{res.name}/{row.id}/history").status_code == 401


def test_a_role_without_permission_gets_403(client, res, org):
    user = f.make_user(org, "NoAccess")
    row = res.make(org, user)
    h = f.auth(user)
    assert client.get(f"/api/v1/{res.name}/", headers=h).status_code == 403
    assert client.get(f"/api/v1/{res.name}/{row.id}", headers=h).status_code == 403
    assert client.post(f"/api/v1/{res.name}/", json=res.payload(org, user), headers=h).status_code == 403
    assert client.put(f"/api/v1/{res.name}/{row.id}", json=res.change, headers=h).status_code == 403
    assert client.post(f"/api/v1/{res.name}/{row.id}/archive", headers=h).status_code == 403
    assert client.delete(f"/api/v1/{res.name}/{row.id}", headers=h).status_code == 403


def test_a_read_only_role_reads_but_cannot_write(client, res, org):
    user = f.make_user(org, "Viewer")
    row = res.make(org, user)
    h = f.auth(user)
    assert client.get(f"/api/v1/{res.name}/{row.id}", headers=h).status_code == 200
    assert client.post(f"/api/v1/{res.name}/", json=res.payload(org, user), headers=h).status_code == 403
    assert client.put(f"/api/v1/{res.name}/{row.id}", json=res.change, headers=h).status_code == 403
    assert client.post(f"/api/v1/{res.name}/{row.id}/revert", json={"transaction_id": 1}, headers=h).status_code == 403


def test_with_permission_writes_are_versioned_and_attributed(client, res, org):
    user = f.make_user(org, res.writer)
    h = f.auth(user)
    resp = client.post(f"/api/v1/{res.name}/", json=res.payload(org, user), headers=h)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    resp = client.put(f"/api/v1/{res.name}/{pk}", json=res.change, headers=h)
    assert resp.status_code == 200, resp.get_json()
    assert f.versions_of(res.model, pk) == [(0, user.username), (1, user.username)]


def test_hard_delete_is_for_admins_only(client, res, org):
    staff = f.make_user(org, "Staff")
    admin = f.make_user(org, "Admin", admin=True)
    row = res.make(org, staff)
    assert client.delete(f"/api/v1/{res.name}/{row.id}", headers=f.auth(staff)).status_code == 403
    assert client.delete(f"/api/v1/{res.name}/{row.id}", headers=f.auth(admin, org)).status_code == 200
    ops = [op for op, _ in f.versions_of(res.model, row.id)]
    assert ops[-1] == 2  # the delete is versioned too


def test_another_organizations_row_is_404(client, res, org, other_org):
    outsider_row = res.make(other_org, None)
    user = f.make_user(org, "Manager")
    h = f.auth(user)
    base = f"/api/v1/{res.name}/{outsider_row.id}"
    assert client.get(base, headers=h).status_code == 404
    assert client.put(base, json=res.change, headers=h).status_code == 404
    admin = f.make_user(org, "Admin", admin=True)
    assert client.delete(base, headers=f.auth(admin, org)).status_code == 404
    assert client.post(f"{base}/archive", headers=h).status_code == 404
    assert client.post(f"{base}/restore", headers=h).status_code == 404
    assert client.get(f"{base}/history", headers=h).status_code == 404
    assert client.post(f"{base}/revert", json={"transaction_id": 1}, headers=h).status_code == 404
    listed = client.get(f"/api/v1/{res.name}/?include_archived=1", headers=h).get_json()
    assert outsider_row.id not in listed["ids"]
