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
    body = csv_text([["id", "name", "phone", "owner"], [str(kept.id), "Kept Ltd", "2", manager.username], ["", "New Co", "", manager.username]])
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
