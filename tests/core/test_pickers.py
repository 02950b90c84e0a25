"""Relation pickers on the pages search the server (never a whole table) and stay in scope."""

from app.crm.models import Contact
from app.extensions import db
from tests import factories as f


def test_the_contact_form_uses_a_remote_client_picker(client, org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    html = client.get("/contacts/add").data.decode()
    assert 'class="form-control opshub-remote-select"' in html
    assert 'data-endpoint="/contacts/lookup/client"' in html


def test_the_lookup_finds_by_prefix_in_the_active_organization_only(client, org, other_org):
    user = f.make_user(org, "Staff")
    f.make_client(org, user, name="Lookup Alpha")
    f.make_client(org, user, name="Lookup Beta")
    f.make_client(other_org, None, name="Lookup Alpha Foreign")
    archived = f.make_client(org, user, name="Lookup Archived")
    from app.core import services

    with __import__("app.core.context", fromlist=["acting_as"]).acting_as(user.id, org.id, system=True):
        services.archive(archived)
    f.page_login(client, user)
    body = client.get("/contacts/lookup/client?term=lookup a").get_json()
    assert [r["text"] for r in body["results"]] == ["Lookup Alpha"]
    body = client.get("/contacts/lookup/client?term=100%25").get_json()
    assert body["results"] == []
    assert client.get("/contacts/lookup/nope").status_code == 404


def test_the_lookup_pages_by_twenty(client, org):
    user = f.make_user(org, "Staff")
    for i in range(25):
        f.make_client(org, user, name=f"Paging {i:02d}")
    f.page_login(client, user)
    first = client.get("/contacts/lookup/client?term=paging").get_json()
    second = client.get("/contacts/lookup/client?term=paging&page=2").get_json()
    assert len(first["results"]) == 20 and first["pagination"]["more"] is True
    assert len(second["results"]) == 5 and second["pagination"]["more"] is False


def test_posting_another_organizations_client_is_a_form_error(client, org, other_org):
    user = f.make_user(org, "Staff")
    theirs = f.make_client(other_org, None)
    f.page_login(client, user)
    resp = client.post("/contacts/add", data={"first_name": "X", "last_name": "Forged", "client": str(theirs.id)})
    assert resp.status_code == 200
    assert "Not found in this organization." in resp.data.decode()
    assert db.session.query(Contact).filter_by(last_name="Forged").count() == 0


def test_a_contact_is_added_through_the_page(client, org):
    user = f.make_user(org, "Staff")
    mine = f.make_client(org, user)
    f.page_login(client, user)
    resp = client.post("/contacts/add", data={"first_name": "Page", "last_name": "Added", "client": str(mine.id)})
    assert resp.status_code == 302
    contact = db.session.query(Contact).filter_by(last_name="Added").one()
    assert contact.client_id == mine.id and contact.organization_id == org.id


def test_the_lookup_needs_read_permission(client, org):
    user = f.make_user(org, "NoAccess")
    f.page_login(client, user)
    assert client.get("/contacts/lookup/client?term=a").status_code in (302, 403)
