"""An organization keeps at least one administrator: its last Admin member can be neither
demoted nor removed (409), by the API or by the service, and nothing is written."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.tenancy import Membership
from app.extensions import db
from tests import factories as f


def _role_of(user, org) -> str:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Membership).where(Membership.user_id == user.id, Membership.organization_id == org.id)
    ).role.name


def test_the_last_admin_cannot_be_demoted_or_removed(client, org):
    owner = f.make_user(org, "Admin")
    h = f.auth(owner, org)
    url = f"/api/v1/organizations/{org.id}/members/{owner.id}"
    resp = client.put(url, json={"role": "Staff"}, headers=h)
    assert resp.status_code == 409 and "at least one administrator" in resp.get_json()["detail"]
    assert client.delete(url, headers=h).status_code == 409
    assert _role_of(owner, org) == "Admin"


def test_with_a_second_admin_one_may_step_down(client, org):
    owner, second = f.make_user(org, "Admin"), f.make_user(org, "Admin")
    h = f.auth(owner, org)
    assert (
        client.put(f"/api/v1/organizations/{org.id}/members/{owner.id}", json={"role": "Staff"}, headers=h).status_code
        == 200
    )
    assert _role_of(owner, org) == "Staff"
    # now `second` is the last one
    h2 = f.auth(second, org)
    assert client.delete(f"/api/v1/organizations/{org.id}/members/{second.id}", headers=h2).status_code == 409


def test_other_members_are_demoted_and_removed_freely(client, org):
    owner, staff = f.make_user(org, "Admin"), f.make_user(org, "Staff")
    h = f.auth(owner, org)
    url = f"/api/v1/organizations/{org.id}/members/{staff.id}"
    assert client.put(url, json={"role": "Viewer"}, headers=h).status_code == 200
    assert client.delete(url, headers=h).status_code == 200
