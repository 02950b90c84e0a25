"""An import is one change set: previewed (every rule, nothing written), committed once as one
audited transaction, and reverted as a whole."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.audit import AuditRecord
from app.crm.models import Client
from app.extensions import db
from tests import factories as f
from tests.exchange_helpers import csv_text, upload, writes

API = "/api/v1/clients"


def test_preview_commit_and_revert_of_a_client_import(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager, org)
    kept = f.make_client(org, manager, name="Kept Ltd", phone="1")
    before = writes()
    body = csv_text(
        [
            ["id", "name", "phone", "owner"],
            [str(kept.id), "Kept Ltd", "2", manager.username],
            ["", "New Co", "", manager.username],
        ]
    )
    resp = upload(client, API, h, body)
    assert resp.status_code == 201, resp.get_json()
    cs = resp.get_json()
    assert cs["state"] == "preview"
    assert cs["summary"] == {"create": 1, "update": 1, "unchanged": 0, "error": 0}
    assert cs["rows"][0]["changes"] == {"phone": ["1", "2"]}
    assert writes() == before  # the dry run wrote nothing
    resp = client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=h)
    assert resp.status_code == 200, resp.get_json()
    committed = resp.get_json()
    assert committed["state"] == "committed"
    tx = committed["transaction_id"]
    actions = set(db.session.scalars(sa.select(AuditRecord.action).where(AuditRecord.transaction_id == tx)))
    assert actions == {"import"}
    entry = db.session.scalars(
        sa.select(AuditRecord).where(AuditRecord.transaction_id == tx, AuditRecord.resource == "ChangeSet")
    ).one()
    assert "1 created, 1 updated" in entry.detail
    db.session.expire_all()
    assert db.session.get(Client, kept.id).phone == "2"
    assert client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=h).status_code == 409
    resp = client.post(f"/api/v1/changesets/{cs['id']}/revert?dry_run=1", headers=h)
    assert resp.status_code == 200 and resp.get_json()["revert"] == 2, resp.get_json()
    resp = client.post(f"/api/v1/changesets/{cs['id']}/revert", headers=h)
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    assert db.session.get(Client, kept.id).phone == "1"
    new = db.session.scalars(sa.select(Client).where(Client.name == "New Co")).one()
    assert new.archived_at is not None


def _preview(client, h, rows, key=None):
    resp = upload(client, API, h, csv_text(rows), key=key)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_a_row_whose_record_changed_since_the_preview_fails_the_whole_commit(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager, org)
    a, b = f.make_client(org, manager, name="A co"), f.make_client(org, manager, name="B co")
    cs = _preview(client, h, [["id", "phone"], [str(a.id), "10"], [str(b.id), "20"]])
    assert client.put(f"{API}/{a.id}", json={"phone": "99"}, headers=h).status_code == 200  # someone else
    before = writes()
    resp = client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=h)
    assert resp.status_code == 409
    assert [r["row"] for r in resp.get_json()["rows"]] == [2]
    assert "changed by someone else" in resp.get_json()["rows"][0]["errors"]["_row"][0]
    assert writes() == before
    db.session.expire_all()
    assert db.session.get(Client, b.id).phone is None
    assert client.get(f"/api/v1/changesets/{cs['id']}", headers=h).get_json()["state"] == "preview"


def test_two_concurrent_commits_exactly_one_succeeds(app, org):
    import threading

    manager = f.make_user(org, "Manager")
    h = f.auth(manager, org)
    target = f.make_client(org, manager, name="Raced")
    cs = _preview(app.test_client(), h, [["id", "phone"], [str(target.id), "42"]])
    barrier, statuses = threading.Barrier(2), []

    def commit():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=h).status_code)

    threads = [threading.Thread(target=commit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200, 409]
    assert len(f.versions_of(Client, target.id)) == 2  # created, then imported once


def test_revert_leaves_records_changed_since_unless_forced(client, org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager, org)
    a = f.make_client(org, manager, name="Rev A", phone="1")
    cs = _preview(client, h, [["id", "name", "phone"], [str(a.id), "Rev A", "2"], ["", "Rev New", "3"]])
    assert client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=h).status_code == 200
    assert client.put(f"{API}/{a.id}", json={"phone": "7"}, headers=h).status_code == 200  # someone since
    before = writes()
    resp = client.post(f"/api/v1/changesets/{cs['id']}/revert", headers=h)
    assert resp.status_code == 409 and [r["row"] for r in resp.get_json()["rows"]] == [2]
    preview = client.post(f"/api/v1/changesets/{cs['id']}/revert?dry_run=1", headers=h).get_json()
    assert preview["revert"] == 1 and preview["changed_since"][0]["row"] == 2 and preview["failed"] == []
    assert writes() == before
    resp = client.post(f"/api/v1/changesets/{cs['id']}/revert?force=1", headers=h)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["change_set"]["state"] == "reverted"
    db.session.expire_all()
    assert db.session.get(Client, a.id).phone == "7"  # left as it is
    new = db.session.scalars(sa.select(Client).where(Client.name == "Rev New")).one()
    assert new.archived_at is not None
    assert client.post(f"/api/v1/changesets/{cs['id']}/revert?force=1", headers=h).status_code == 409


def test_another_organizations_change_set_is_404_and_import_needs_can_import(client, org, other_org):
    manager = f.make_user(org, "Manager")
    cs = _preview(client, f.auth(manager, org), [["name"], ["Tenancy Co"]])
    outsider = f.make_user(other_org, "Manager")
    ho = f.auth(outsider, other_org)
    for method, url in [
        ("GET", f"/api/v1/changesets/{cs['id']}"),
        ("POST", f"/api/v1/changesets/{cs['id']}/commit"),
        ("POST", f"/api/v1/changesets/{cs['id']}/revert"),
    ]:
        assert client.open(url, method=method, headers=ho).status_code == 404, url
    assert cs["id"] not in [s["id"] for s in client.get("/api/v1/changesets/", headers=ho).get_json()["result"]]
    staff = f.make_user(org, "Staff")  # no can_import on Client
    assert client.get(f"/api/v1/changesets/{cs['id']}", headers=f.auth(staff, org)).status_code == 403
    assert client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=f.auth(staff, org)).status_code == 403
    assert client.get(f"/api/v1/changesets/{cs['id']}").status_code == 401
    f.page_login(client, outsider)
    assert client.get(f"/changesets/show/{cs['id']}").status_code == 404


def test_a_preview_expires(client, org):
    from datetime import timedelta

    from app.core.exchange.models import ChangeSet
    from app.core.models import utcnow

    manager = f.make_user(org, "Manager")
    h = f.auth(manager, org)
    cs = _preview(client, h, [["name"], ["Late Co"]])
    db.session.execute(
        sa.update(ChangeSet).where(ChangeSet.id == cs["id"]).values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    listed = client.get("/api/v1/changesets/?resource=Client", headers=h).get_json()["result"]
    assert next(s for s in listed if s["id"] == cs["id"])["state"] == "expired"
    resp = client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=h)
    assert resp.status_code == 409 and "expired" in resp.get_json()["message"]


def test_the_pages_preview_commit_and_revert(client, org):
    import io

    manager = f.make_user(org, "Manager")
    f.page_login(client, manager)
    page = client.get("/changesets/import/Client")
    assert page.status_code == 200 and b"Match rows on" in page.data
    body = csv_text([["name", "email"], ["Paged Co", "paged@x.example"], ["", "bad"]]).encode()
    resp = client.post("/changesets/import/Client", data={"file": (io.BytesIO(body), "c.csv"), "key": "id"})
    assert resp.status_code == 200 and b"not in the file" in resp.data  # key id, but no id column
    resp = client.post("/changesets/import/Client", data={"file": (io.BytesIO(body), "c.csv")})
    assert resp.status_code == 302
    show = resp.headers["Location"]
    pk = int(show.rstrip("/").rsplit("/", 1)[1])
    assert b'data-state="analyzing"' in client.get(show).data
    assert client.post(f"/changesets/analyze/{pk}").get_json()["state"] == "preview"
    assert client.get(f"/changesets/progress/{pk}").get_json()["progress"]["phase"] == "preview"
    text = client.get(show).data.decode()
    assert "row-error" in text and "text-danger" in text and "paged@x.example" in text, text[
        text.find("changeset-rows") :
    ][:3000]
    assert client.post(f"/changesets/commit/{pk}").status_code == 302
    assert db.session.scalars(sa.select(Client).where(Client.name == "Paged Co")).one()
    revert_page = client.get(f"/changesets/revert/{pk}")
    assert revert_page.status_code == 200 and b"1 record(s) would be reverted" in revert_page.data
    assert client.post(f"/changesets/revert/{pk}").status_code == 302
    assert "reverted" in client.get("/changesets/list/").data.decode()
