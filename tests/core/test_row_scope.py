"""Row scope: roles without can_edit_all change only the rows they own."""

from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def test_staff_edits_their_own_client(client, org):
    staff = f.make_user(org, "Staff")
    row = f.make_client(org, staff)
    assert client.put(f"/api/v1/clients/{row.id}", json={"phone": "1"}, headers=f.auth(staff)).status_code == 200


def test_staff_cannot_change_someone_elses_client(client, org):
    staff = f.make_user(org, "Staff")
    manager = f.make_user(org, "Manager")
    row = f.make_client(org, manager)
    h = f.auth(staff)
    assert client.get(f"/api/v1/clients/{row.id}", headers=h).status_code == 200  # reading is org-wide
    resp = client.put(f"/api/v1/clients/{row.id}", json={"phone": "1"}, headers=h)
    assert resp.status_code == 403
    assert client.put(f"/api/v1/clients/{row.id}", json={"owner": staff.id}, headers=h).status_code == 403
    assert client.post(f"/api/v1/clients/{row.id}/archive", headers=h).status_code == 403
    db.session.expire_all()
    fresh = db.session.get(Client, row.id)
    assert (fresh.phone, fresh.owner_id, fresh.archived_at, fresh.version) == (None, manager.id, None, 1)


def test_staff_cannot_add_contacts_to_someone_elses_client(client, org):
    staff = f.make_user(org, "Staff")
    row = f.make_client(org, f.make_user(org, "Manager"))
    resp = client.post(
        "/api/v1/contacts/", json={"first_name": "a", "last_name": "b", "client": row.id}, headers=f.auth(staff)
    )
    assert resp.status_code == 403


def test_a_new_client_belongs_to_its_creator_by_default(client, org):
    staff = f.make_user(org, "Staff")
    resp = client.post("/api/v1/clients/", json={"name": "Mine by default"}, headers=f.auth(staff))
    assert resp.get_json()["result"]["owner"] == staff.id


def test_a_manager_with_can_edit_all_edits_any_client(client, org):
    manager = f.make_user(org, "Manager")
    row = f.make_client(org, f.make_user(org, "Staff"))
    assert client.put(f"/api/v1/clients/{row.id}", json={"phone": "7"}, headers=f.auth(manager)).status_code == 200


def test_the_edit_page_shows_the_scope_refusal(client, org):
    staff = f.make_user(org, "Staff")
    row = f.make_client(org, f.make_user(org, "Manager"), name="Not Yours Co")
    f.page_login(client, staff)
    resp = client.post(f"/clients/edit/{row.id}", data={"name": "Hijacked", "version": "1"})
    assert resp.status_code == 200
    assert "You can only change Client records you own" in resp.data.decode()
    db.session.expire_all()
    assert db.session.get(Client, row.id).name == "Not Yours Co"


def test_staff_cannot_take_over_a_contact_by_moving_it_to_their_own_client(client, org):
    me = f.make_user(org, "Staff")
    other = f.make_user(org, "Staff")
    mine = f.make_client(org, me)
    contact = f.make_contact(f.make_client(org, other), email="keep@x.example")
    resp = client.put(
        f"/api/v1/contacts/{contact.id}", json={"client": mine.id, "email": "stolen@x.example"}, headers=f.auth(me)
    )
    assert resp.status_code == 403
    db.session.expire_all()
    from app.crm.models import Contact

    assert db.session.get(Contact, contact.id).email == "keep@x.example"


def test_staff_cannot_create_a_client_owned_by_someone_else(client, org):
    me = f.make_user(org, "Staff")
    other = f.make_user(org, "Staff")
    resp = client.post("/api/v1/clients/", json={"name": "Gift Co", "owner": other.id}, headers=f.auth(me))
    assert resp.status_code == 403
    assert db.session.query(Client).filter_by(name="Gift Co").count() == 0


def test_staff_cannot_give_their_client_away(client, org):
    me = f.make_user(org, "Staff")
    other = f.make_user(org, "Staff")
    row = f.make_client(org, me)
    assert client.put(f"/api/v1/clients/{row.id}", json={"owner": other.id}, headers=f.auth(me)).status_code == 403
