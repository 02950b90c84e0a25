"""A record's page and its forms, made good at the base: the header names the record, Edit and
Delete only for who may use them, each action once (Restore only on an archived record, Archive
only on a live one), no internal fields; after a save the saved record with a message naming it,
or "Save and add another"; typed input kept on an error; choices rendered consistently;
dependent pickers; likely duplicates flagged; bulk actions that report what they did."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app.core.services import archive
from app.crm.models import Client
from app.extensions import db
from tests import factories as f


def _buttons(page: str) -> list[str]:
    start = page.find('id="record-actions"')
    if start < 0:
        return []
    block = page[start : page.index("</div>", start)]
    return re.findall(r'data-action="(\w+)"|id="(edit|delete)-btn"', block)


def _actions(page: str) -> list[str]:
    return [a or b for a, b in _buttons(page)]


def test_the_header_names_the_record_and_hides_internal_fields(client, org):
    manager = f.make_user(org, "Manager")
    row = f.make_client(org, manager, name="Acme Corporation")
    f.page_login(client, manager)
    page = client.get(f"/clients/show/{row.id}").get_data(as_text=True)
    assert re.search(r'id="record-title">Acme Corporation <small>Clients</small>', page)
    assert ">Version<" not in page


def test_each_action_once_and_only_where_it_applies(client, org):
    manager = f.make_user(org, "Manager")
    row = f.make_client(org, manager)
    f.page_login(client, manager)
    live = _actions(client.get(f"/clients/show/{row.id}").get_data(as_text=True))
    assert live.count("archive") == 1 and "restore" not in live and "edit" in live
    with f.acting(None, org):
        archive(row)
    archived = _actions(client.get(f"/clients/show/{row.id}").get_data(as_text=True))
    assert archived.count("restore") == 1 and "archive" not in archived


def test_buttons_follow_the_role_and_the_owner_rule(client, org, app):
    staff, other, viewer = f.make_user(org, "Staff"), f.make_user(org, "Staff"), f.make_user(org, "Viewer")
    theirs = f.make_deal(org, other)
    mine = f.make_deal(org, staff, stage="negotiation")
    f.page_login(client, staff)
    assert _actions(client.get(f"/deals/show/{theirs.id}").get_data(as_text=True)) == []  # not theirs to change
    own = client.get(f"/deals/show/{mine.id}").get_data(as_text=True)
    assert "edit" in _actions(own) and "delete" not in _actions(own)  # hard delete is Admin's
    assert "Close as won" in own and "Back to" not in own  # a move back is a rollback: not offered to staff
    reader = app.test_client()
    f.page_login(reader, viewer)
    assert _actions(reader.get(f"/deals/show/{mine.id}").get_data(as_text=True)) == []


def test_after_saving_the_saved_record_with_a_message_naming_it(client, org):
    staff = f.make_user(org, "Staff")
    f.page_login(client, staff)
    resp = client.post("/clients/add", data={"name": "Nakatomi Trading"})
    pk = db.session.scalar(
        sa.select(Client.id).where(Client.name == "Nakatomi Trading", Client.organization_id == org.id)
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/clients/show/{pk}")
    assert "Client “Nakatomi Trading” created." in client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = client.post(f"/clients/edit/{pk}", data={"name": "Nakatomi Trading Co", "version": "1"})
    assert resp.headers["Location"].endswith(f"/clients/show/{pk}")
    assert "Client “Nakatomi Trading Co” saved." in client.get(resp.headers["Location"]).get_data(as_text=True)
    again = client.post("/clients/add", data={"name": "Second Co", "_save_and_add": "1"})
    assert again.headers["Location"].endswith("/clients/add")
    assert 'id="save-add-btn"' in client.get("/clients/add").get_data(as_text=True)


def test_a_bad_date_is_a_form_error_with_the_typed_text_kept(client, org):
    staff = f.make_user(org, "Staff")
    customer = f.make_client(org, staff)
    f.page_login(client, staff)
    form = {
        "title": "Dated Deal",
        "client": str(customer.id),
        "amount": "0",
        "currency": "EUR",
        "stage": "qualification",
        "status": "open",
        "expected_close_date": "2026-13-45",
    }
    page = client.post("/deals/add", data=form).get_data(as_text=True)
    assert "Not a valid date value" in page
    assert 'value="2026-13-45"' in page  # not dropped
    bad_money = client.post("/deals/add", data={**form, "expected_close_date": "", "currency": "banana money"})
    assert "Not a valid choice" in bad_money.get_data(as_text=True)  # never guessed into "BAN"


def test_choices_render_consistently(client, org):
    staff = f.make_user(org, "Staff")
    f.make_task(org, staff, title="Done task", done=True)
    f.make_client(org, staff, name="Tagged", tags="alpha,beta")
    f.page_login(client, staff)
    add = client.get("/deals/add").get_data(as_text=True)
    assert "__None</" not in add and ">__None" not in add
    assert re.search(r'<select[^>]+id="stage"[^>]*>', add) and "EUR — Euro" in add
    assert 'class="bool-yes"' in client.get("/tasks/list/").get_data(as_text=True)
    assert '<span class="tag-chip">beta</span>' in client.get("/clients/list/").get_data(as_text=True)


def test_a_deals_contact_picker_offers_the_chosen_clients_contacts(client, org):
    staff = f.make_user(org, "Staff")
    acme, other = f.make_client(org, staff, name="Acme"), f.make_client(org, staff, name="Other")
    jane, joe = f.make_contact(acme, last_name="Acmeperson"), f.make_contact(other, last_name="Otherperson")
    f.page_login(client, staff)
    assert 'data-depends-on="client"' in client.get("/deals/add").get_data(as_text=True)
    narrowed = client.get(f"/deals/lookup/contact?term=&client={acme.id}").get_json()["results"]
    assert [r["id"] for r in narrowed] == [jane.id]
    everyone = {r["id"] for r in client.get("/deals/lookup/contact?term=").get_json()["results"]}
    assert {jane.id, joe.id} <= everyone


def test_a_likely_duplicate_is_flagged_before_saving(client, org):
    staff = f.make_user(org, "Staff")
    acme = f.make_client(org, staff, name="Acme Corporation")
    f.page_login(client, staff)
    assert "data-similar" in client.get("/clients/add").get_data(as_text=True)
    found = client.get("/clients/similar/name?value=acme corporation").get_json()["matches"]
    assert [m["id"] for m in found] == [acme.id] and found[0]["url"].endswith(f"/clients/show/{acme.id}")
    assert client.get(f"/clients/similar/name?value=Acme Corporation&exclude={acme.id}").get_json()["matches"] == []
    assert client.get("/clients/similar/notes?value=x").status_code == 404
    # the user may still save
    assert client.post("/clients/add", data={"name": "Acme Corporation"}).status_code == 302


def test_bulk_actions_report_what_they_did(client, org):
    staff = f.make_user(org, "Staff")
    rows = [f.make_client(org, staff) for _ in range(4)]
    with f.acting(None, org):
        archive(rows[0])
    f.page_login(client, staff)
    resp = client.post(
        "/clients/action_post", data={"action": "restore", "rowid": [str(r.id) for r in rows]}, follow_redirects=True
    )
    page = resp.get_data(as_text=True)
    assert "Restore: 1 record(s)." in page and "Restore: 3 record(s) left as they were" in page
