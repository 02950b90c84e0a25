"""Tenancy: rows of another organization do not exist for this one, on every path."""

import pytest

from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def test_lists_show_only_the_active_organizations_rows(client, org, other_org):
    mine = f.make_client(org, None, name="Mine Ltd")
    theirs = f.make_client(other_org, None, name="Theirs Ltd")
    user = f.make_user(org, "Staff")
    body = client.get("/api/v1/clients/?q=(page_size:100)", headers=f.auth(user)).get_json()
    assert mine.id in body["ids"]
    assert theirs.id not in body["ids"]


def test_a_foreign_key_to_another_organizations_row_is_refused(client, org, other_org):
    theirs = f.make_client(other_org, None)
    user = f.make_user(org, "Staff")
    resp = client.post(
        "/api/v1/contacts/", json={"first_name": "A", "last_name": "B", "client": theirs.id}, headers=f.auth(user)
    )
    assert resp.status_code == 422
    assert "client" in resp.get_json()["message"]


def test_an_owner_outside_the_organization_is_refused(client, org, other_org):
    outsider = f.make_user(other_org, "Staff")
    user = f.make_user(org, "Manager")
    resp = client.post("/api/v1/clients/", json={"name": "X", "owner": outsider.id}, headers=f.auth(user))
    assert resp.status_code == 422
    assert "owner" in resp.get_json()["message"]
    assert db.session.query(Client).filter_by(name="X", organization_id=org.id).count() == 0


def test_a_member_of_two_organizations_switches_with_the_header(client, org, other_org):
    user = f.make_user(org, "Staff")
    f.add_membership(user, other_org, "Viewer")
    a = f.make_client(org, None)
    b = f.make_client(other_org, None)
    in_a = client.get("/api/v1/clients/", headers=f.auth(user, org)).get_json()["ids"]
    in_b = client.get("/api/v1/clients/", headers=f.auth(user, other_org)).get_json()["ids"]
    assert a.id in in_a and b.id not in in_a
    assert b.id in in_b and a.id not in in_b
    # the role follows the organization: Viewer may not write in other_org
    assert client.post("/api/v1/clients/", json={"name": "Q"}, headers=f.auth(user, other_org)).status_code == 403
    assert client.post("/api/v1/clients/", json={"name": "Q"}, headers=f.auth(user, org)).status_code == 201


@pytest.mark.parametrize("value", ["999999", "abc", ""])
def test_an_organization_header_the_user_does_not_belong_to_is_404(client, org, other_org, value):
    user = f.make_user(org, "Staff")
    headers = {**f.auth(user), "X-Organization-Id": value or str(other_org.id)}
    resp = client.get("/api/v1/clients/", headers=headers)
    assert resp.status_code == 404


def test_related_pickers_offer_only_this_organizations_rows(client, org, other_org):
    f.make_client(other_org, f.make_user(other_org, "Staff"), name="Hidden Picker Co")
    member = f.make_user(org, "Staff")
    f.make_client(org, member, name="Visible Picker Co")
    info = client.get("/api/v1/contacts/_info?q=(keys:!(add_columns))", headers=f.auth(member)).get_json()
    client_field = next(c for c in info["add_columns"] if c["name"] == "client")
    names = {v["value"] for v in client_field["values"]}
    assert "Visible Picker Co" in names and "Hidden Picker Co" not in names
    info = client.get("/api/v1/clients/_info?q=(keys:!(add_columns))", headers=f.auth(member)).get_json()
    owner_field = next(c for c in info["add_columns"] if c["name"] == "owner")
    assert {v["id"] for v in owner_field["values"]} == {member.id}


def test_pages_answer_404_for_another_organizations_row(client, org, other_org):
    theirs = f.make_client(other_org, None)
    user = f.make_user(org, "Manager")
    f.page_login(client, user)
    assert client.get(f"/clients/show/{theirs.id}").status_code == 404
    assert client.get(f"/clients/edit/{theirs.id}").status_code == 404
    assert client.post(f"/clients/do/revert/{theirs.id}", data={"transaction_id": 1}).status_code == 404
    page = client.get("/clients/list/?include_archived=1").data.decode()
    assert theirs.name not in page


def test_the_page_switcher_changes_the_active_organization(client, org, other_org):
    user = f.make_user(org, "Staff")
    f.add_membership(user, other_org, "Staff")
    f.make_client(org, None, name="Alpha Switch Co")
    f.make_client(other_org, None, name="Beta Switch Co")
    f.page_login(client, user)
    assert "Alpha Switch Co" in client.get("/clients/list/").data.decode()
    assert client.post(f"/org/switch/{other_org.id}").status_code == 302
    page = client.get("/clients/list/").data.decode()
    assert "Beta Switch Co" in page and "Alpha Switch Co" not in page


def test_the_switcher_refuses_an_organization_the_user_is_not_in(client, org, other_org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    assert client.post(f"/org/switch/{other_org.id}").status_code == 404


def test_aggregate_queries_are_scoped_too(client, org, other_org):
    """A COUNT with no entity in its columns (select(func.count()).select_from(Model)) is scoped."""
    user = f.make_user(org, "Staff")
    f.make_contact(f.make_client(org, user))
    for _ in range(3):
        f.make_contact(f.make_client(other_org, None))
    f.page_login(client, user)
    page = client.get("/").data.decode()
    contacts_card = page.split('data-card="Contacts"')[1]
    assert '<div class="count">1</div>' in contacts_card.split("</a>")[0]
