"""Organizations and people on pages: org admins manage members (add an existing user, invite a
new one, change a role, remove one); global Admins create and rename organizations; the users
page lists each user's memberships; a user of no organization is told who can add them."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User

from app.core.tenancy import Membership, Organization
from app.extensions import db
from tests import factories as f


def _flash(resp) -> str:
    return " ".join(
        re.findall(r'class="alert alert-\w+">\s*<button[^>]*>[^<]*</button>\s*([^<]*)', resp.get_data(as_text=True))
    )


def _role_of(user, org) -> str | None:
    db.session.expire_all()
    m = db.session.scalar(
        sa.select(Membership).where(Membership.user_id == user.id, Membership.organization_id == org.id)
    )
    return m.role.name if m else None


def test_an_org_admin_manages_members_on_the_page(app, client, org, other_org):
    admin = f.make_user(org, "Admin")
    existing = f.make_user(other_org, "Staff", username=f.unique("existing"))
    f.page_login(client, admin)
    page = client.get("/organization/members/").get_data(as_text=True)
    assert admin.username in page and 'id="invite-form"' in page and 'id="add-member-form"' in page
    roles = {r.name: r.id for r in app.appbuilder.sm.get_all_roles()}
    resp = client.post(
        "/organization/members/add",
        data={"who": existing.email.upper(), "role": roles["Viewer"]},
        follow_redirects=True,
    )
    assert "Member added." in _flash(resp) and _role_of(existing, org) == "Viewer"
    resp = client.post(
        f"/organization/members/{existing.id}/role", data={"role": roles["Staff"]}, follow_redirects=True
    )
    assert "Role changed." in _flash(resp) and _role_of(existing, org) == "Staff"
    resp = client.post(f"/organization/members/{existing.id}/remove", follow_redirects=True)
    assert "Member removed" in _flash(resp) and _role_of(existing, org) is None
    # invite someone new: a user with a temporary password, shown once
    invite = {"username": "newcomer_x", "email": "newcomer_x@test.example", "first_name": "New", "last_name": "Comer"}
    resp = client.post("/organization/members/invite", data={**invite, "role": roles["Staff"]}, follow_redirects=True)
    message = _flash(resp)
    password = re.search(r"temporary password (\S+)", message).group(1)
    newcomer = db.session.scalar(sa.select(User).where(User.username == "newcomer_x"))
    assert _role_of(newcomer, org) == "Staff"
    other = app.test_client()
    login = other.post("/login/", data={"username": "newcomer_x", "password": password})
    assert login.status_code == 302 and "/login" not in login.headers["Location"]
    # the last administrator stays
    resp = client.post(f"/organization/members/{admin.id}/role", data={"role": roles["Staff"]}, follow_redirects=True)
    assert "at least one administrator" in _flash(resp) and _role_of(admin, org) == "Admin"


def test_members_page_refusals(client, org):
    manager = f.make_user(org, "Manager")  # reads members, manages none
    f.page_login(client, manager)
    page = client.get("/organization/members/").get_data(as_text=True)
    assert manager.username in page and 'id="invite-form"' not in page
    assert client.post("/organization/members/add", data={"who": "x", "role": "1"}).status_code == 403
    staff = f.make_user(org, "Staff")
    other = client.application.test_client()
    f.page_login(other, staff)
    assert other.get("/organization/members/").status_code == 403


def test_global_admins_create_and_rename_organizations(client, org):
    glob = f.make_user(org, "Staff", admin=True)
    f.page_login(client, glob)
    resp = client.post("/organizations/create", data={"name": "Brand New Org"}, follow_redirects=True)
    assert "Organization created." in _flash(resp)
    made = db.session.scalar(sa.select(Organization).where(Organization.name == "Brand New Org"))
    client.post(f"/organizations/{made.id}/rename", data={"name": "Renamed Org"})
    db.session.expire_all()
    assert db.session.get(Organization, made.id).name == "Renamed Org"
    org_admin = f.make_user(org, "Admin")  # administers its organization, not the list of organizations
    other = client.application.test_client()
    f.page_login(other, org_admin)
    assert other.get("/organizations/").status_code == 403
    assert other.post("/organizations/create", data={"name": "Nope"}).status_code == 403


def test_the_users_page_lists_memberships(client, org, other_org):
    glob = f.make_user(org, "Staff", admin=True)
    member = f.make_user(org, "Viewer", username=f.unique("listed"))
    f.add_membership(member, other_org, "Finance")
    f.page_login(client, glob)
    page = client.get(f"/users/list/?_flt_0_username={member.username}").get_data(as_text=True)
    assert f"{org.name}: Viewer" in page and f"{other_org.name}: Finance" in page and "[]" not in page


def test_a_user_of_no_organization_is_told_who_can_add_them(client, org):
    loner = f.make_user(None)
    f.make_user(org, "Staff", admin=True, username=f.unique("globaladmin"))
    f.page_login(client, loner)
    page = client.get("/").get_data(as_text=True)
    assert 'id="no-organization"' in page and "You are not a member of any organization yet" in page
    assert "mailto:" in page
