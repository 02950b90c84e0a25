"""History, audit and timelines people can read: field labels, related records and users by name
with a link, no entry that changed nothing, audit filters that ignore case and link to records."""

from __future__ import annotations

import re

from tests import factories as f


def _history(page: str) -> str:
    return page[page.index('id="History"') :]


def test_history_shows_labels_and_related_records_by_name_with_a_link(client, org):
    manager = f.make_user(org, "Manager")
    mia = f.make_user(org, "Staff", username="mia_owner")
    acme, globex = f.make_client(org, manager, name="Acme Rel"), f.make_client(org, manager, name="Globex Rel")
    task = f.make_task(org, manager, title="Call back", client_id=acme.id)
    h = f.auth(manager)
    assert (
        client.put(f"/api/v1/tasks/{task.id}", json={"client": globex.id, "assignee": mia.id}, headers=h).status_code
        == 200
    )
    f.page_login(client, manager)
    history = _history(client.get(f"/tasks/show/{task.id}").get_data(as_text=True))
    row = history[history.index('data-field="client_id"') :]
    assert re.search(rf'<td>Client</td><td class="diff-old"><a href="/clients/show/{acme.id}">Acme Rel</a>', row)
    assert f'<a href="/clients/show/{globex.id}">Globex Rel</a>' in row
    assert "Mia_Owner Tester" in history  # the user by name, not `assignee_id: 6`
    assert "client_id" not in re.sub(r'data-field="[^"]*"', "", history)


def test_saving_a_form_unchanged_writes_no_entry(client, org):
    manager = f.make_user(org, "Manager")
    row = f.make_client(org, manager, name="Quiet Ltd")
    f.page_login(client, manager)
    before = f.versions_of(type(row), row.id)
    form = {
        "name": "Quiet Ltd",
        "email": "",
        "phone": "",
        "website": "",
        "address": "",
        "owner": str(manager.id),
        "tags": "",
        "notes": "",
        "version": "1",
    }
    assert client.post(f"/clients/edit/{row.id}", data=form).status_code == 302
    assert f.versions_of(type(row), row.id) == before  # an empty Notes is no value: nothing changed
    page = client.get(f"/clients/show/{row.id}").get_data(as_text=True)
    assert "(blank)" not in page and 'History <span class="badge">1</span>' in page


def test_the_audit_log_filters_ignore_case_and_link_to_the_records(client, org):
    admin = f.make_user(org, "Admin", admin=True, username="Audit_Admin")
    row = f.make_client(org, admin, name="Audited Ltd")
    client.put(f"/api/v1/clients/{row.id}", json={"phone": "1"}, headers=f.auth(admin, org))
    f.page_login(client, admin)
    page = client.get("/audit/?user=audit_admin&resource=client").get_data(as_text=True)
    assert f'<a href="/clients/show/{row.id}">Client #{row.id}</a>' in page
    assert "<strong>Phone</strong>" in page
    api = client.get("/api/v1/audit/?user=AUDIT_ADMIN&resource=CLIENT", headers=f.auth(admin, org)).get_json()
    assert api["count"] >= 1 and all(e["resource"] == "Client" for e in api["result"])


def test_moments_read_to_the_minute(app):
    from app.core.readable import Readable
    from app.crm.models import Task
    from app.extensions import db

    with app.test_request_context():
        rows = Readable(db.session).render(Task, {"due_date": ["2026-01-02", "2026-12-02T07:11:16.017232"]})
    assert (rows[0]["old"], rows[0]["new"]) == ("2026-01-02", "2026-12-02 07:11")
