"""The tests every resource inherits (NetBox's `utilities/testing/api.py` pattern). A domain's
test module only declares what its resource is:

    class TestClients(ResourceTests):
        resource = "Client"                       # its name in the registry
        def make(self, org, owner): ...            # a committed row `owner` may change
        def payload(self, org, owner): ...         # a valid POST body
        change = {"phone": "+1 555 0199"}          # a valid partial update
        invalid = {"email": "not-an-email"}        # a field the model refuses (422)
        def form(self, org, owner): ...            # a valid add form, for the page
        action_params = {"move": {"stage": "proposal"}}   # one valid call of each named action

and inherits, on the API, the pages, export/import and each of its declared record actions (the generic ones
too: archive, restore, revert): 401 without a token, 403 without the permission and nothing
written, success with a version and an audit row attributed to the user, another
organization's row 404, and bad input 422 with nothing written. `test_declarations.py` checks
that every resource in the registry has such a class.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import sqlalchemy as sa

from app.core.audit import AuditRecord
from app.core.registry import registry
from app.core.versioning import transaction_model
from app.extensions import db
from tests import factories as f
from tests.exchange_helpers import read_csv, upload, writes

# a role with every business permission (and rollbacks), one that only reads, one with nothing
MANAGER, READER, NOBODY = "Manager", "Viewer", "NoAccess"


def _transactions_by(user) -> int:
    """Writes `user` made through requests (a test's own setup runs outside requests and has no
    request id; logging in is an event, not a write)."""
    Tx = transaction_model()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Tx)
        .where(Tx.user_id == user.id, Tx.request_id.is_not(None), sa.or_(Tx.action.is_(None), Tx.action != "login"))
    )


def _audited(user, resource: str, record_id: int) -> list[str]:
    """The audit actions of `user`'s transactions on that record, oldest first."""
    Tx = transaction_model()
    return list(
        db.session.scalars(
            sa.select(AuditRecord.action)
            .join(Tx, Tx.id == AuditRecord.transaction_id)
            .where(Tx.user_id == user.id, AuditRecord.resource == resource, AuditRecord.record_id == record_id)
            .order_by(AuditRecord.id)
        )
    )


class ResourceTests:
    resource: ClassVar[str]
    writer: ClassVar[str] = "Staff"  # a role that creates and edits its own rows by default
    change: ClassVar[dict] = {}
    invalid: ClassVar[dict] = {}
    action_params: ClassVar[dict[str, dict]] = {}

    def make(self, org, owner) -> Any:
        raise NotImplementedError

    def payload(self, org, owner) -> dict:
        raise NotImplementedError

    def form(self, org, owner) -> dict:
        raise NotImplementedError

    def prepare(self, action: str, org, owner) -> Any:
        """A row on which `action` is available (override for e.g. a lead that must be qualified)."""
        from app.core import services
        from app.core.uow import unit_of_work

        row = self.make(org, owner)
        if action == "restore":
            with f.acting(None, org):
                services.archive(row)
        if action == "revert":  # a second version, so that reverting to the first changes something
            column = type(row).__lookup_column__
            with f.acting(None, org), unit_of_work():
                setattr(row, column, f"{getattr(row, column)} (edited)")
        return row

    # ---------------------------------------------------------------- helpers
    @property
    def declared(self):
        return registry.resources[self.resource]

    @property
    def api(self) -> str:
        return f"/api/v1/{self.declared.api.resource_name}"

    @property
    def page(self) -> str:
        return self.declared.view.route_base

    def params_for(self, action: str, row) -> dict:
        if action == "revert":
            return {"transaction_id": f.versions_of(self.declared.model, row.id, with_tx=True)[0][2]}
        return dict(self.action_params.get(action, {}))

    def actions(self) -> list[str]:
        return [a.name for a in registry.actions_of(self.resource)]

    def route(self, action: str) -> str:
        """The API path segment of an action (`add_payment` answers at .../payments)."""
        return registry.action(self.resource, action).route_path

    # ---------------------------------------------------------------- API: the permission matrix
    def test_the_api_requires_a_token(self, client, org):
        row = self.make(org, None)
        for method, url in [
            ("GET", f"{self.api}/"),
            ("GET", f"{self.api}/{row.id}"),
            ("POST", f"{self.api}/"),
            ("PUT", f"{self.api}/{row.id}"),
            ("GET", f"{self.api}/{row.id}/history"),
            *[("POST", f"{self.api}/{row.id}/{self.route(name)}") for name in self.actions()],
        ]:
            assert client.open(url, method=method, json={}).status_code == 401, (method, url)

    def test_a_role_without_permission_gets_403_and_writes_nothing(self, client, org):
        user = f.make_user(org, NOBODY)
        row = self.make(org, user)
        h = f.auth(user)
        assert client.get(f"{self.api}/", headers=h).status_code == 403
        assert client.get(f"{self.api}/{row.id}", headers=h).status_code == 403
        assert client.post(f"{self.api}/", json=self.payload(org, user), headers=h).status_code == 403
        assert client.put(f"{self.api}/{row.id}", json=self.change, headers=h).status_code == 403
        assert client.delete(f"{self.api}/{row.id}", headers=h).status_code == 403
        for name in self.actions():
            target = self.prepare(name, org, user)
            resp = client.post(
                f"{self.api}/{target.id}/{self.route(name)}", json=self.params_for(name, target), headers=h
            )
            assert resp.status_code == 403, name
        assert _transactions_by(user) == 0

    def test_a_read_only_role_reads_but_cannot_write(self, client, org):
        user = f.make_user(org, READER)
        row = self.make(org, user)
        h = f.auth(user)
        assert client.get(f"{self.api}/{row.id}", headers=h).status_code == 200
        assert client.get(f"{self.api}/{row.id}/history", headers=h).status_code == 200
        assert client.post(f"{self.api}/", json=self.payload(org, user), headers=h).status_code == 403
        assert client.put(f"{self.api}/{row.id}", json=self.change, headers=h).status_code == 403
        for name in self.actions():
            target = self.prepare(name, org, user)
            resp = client.post(
                f"{self.api}/{target.id}/{self.route(name)}", json=self.params_for(name, target), headers=h
            )
            assert resp.status_code == 403, name
        assert _transactions_by(user) == 0

    def test_writes_are_versioned_audited_and_attributed(self, client, org):
        user = f.make_user(org, self.writer)
        h = f.auth(user)
        resp = client.post(f"{self.api}/", json=self.payload(org, user), headers=h)
        assert resp.status_code == 201, resp.get_json()
        pk = resp.get_json()["id"]
        resp = client.put(f"{self.api}/{pk}", json=self.change, headers=h)
        assert resp.status_code == 200, resp.get_json()
        assert f.versions_of(self.declared.model, pk) == [(0, user.username), (1, user.username)]
        assert _audited(user, self.resource, pk) == ["create", "update"]

    def test_each_declared_action_runs_with_its_permission_versioned_and_audited(self, client, org):
        user = f.make_user(org, MANAGER)
        h = f.auth(user, org)
        for name in self.actions():
            row = self.prepare(name, org, user)
            before = _transactions_by(user)
            resp = client.post(f"{self.api}/{row.id}/{self.route(name)}", json=self.params_for(name, row), headers=h)
            assert resp.status_code in (200, 201), (name, resp.get_json())
            assert _transactions_by(user) == before + 1, name  # one action, one transaction
            Tx = transaction_model()
            tx_id = db.session.scalar(sa.select(sa.func.max(Tx.id)).where(Tx.user_id == user.id))
            audited = db.session.scalar(
                sa.select(sa.func.count()).select_from(AuditRecord).where(AuditRecord.transaction_id == tx_id)
            )
            assert audited >= 1, name

    def test_actions_refuse_unknown_parameters_and_write_nothing(self, client, org):
        user = f.make_user(org, MANAGER)
        h = f.auth(user, org)
        for name in self.actions():
            row = self.prepare(name, org, user)
            before = _transactions_by(user)
            body = {**self.params_for(name, row), "bogus_parameter": 1}
            resp = client.post(f"{self.api}/{row.id}/{self.route(name)}", json=body, headers=h)
            assert resp.status_code == 422, (name, resp.get_json())
            assert "bogus_parameter" in resp.get_json()["message"], name
            assert _transactions_by(user) == before, name

    def test_hard_delete_is_for_admins_only(self, client, org):
        staff = f.make_user(org, self.writer)
        admin = f.make_user(org, "Admin", admin=True)
        pk = self.make(org, staff).id
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(staff)).status_code == 403
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(admin, org)).status_code == 200
        assert [op for op, _ in f.versions_of(self.declared.model, pk)][-1] == 2  # the delete is versioned

    # ---------------------------------------------------------------- tenancy
    def test_another_organizations_row_is_404_on_every_route(self, client, org, other_org):
        theirs = self.make(other_org, None)
        user = f.make_user(org, MANAGER)
        admin = f.make_user(org, "Admin", admin=True)
        h = f.auth(user)
        base = f"{self.api}/{theirs.id}"
        assert client.get(base, headers=h).status_code == 404
        assert client.put(base, json=self.change, headers=h).status_code == 404
        assert client.get(f"{base}/history", headers=h).status_code == 404
        assert client.delete(base, headers=f.auth(admin, org)).status_code == 404
        for name in self.actions():
            assert (
                client.post(f"{base}/{self.route(name)}", json=self.params_for(name, theirs), headers=h).status_code
                == 404
            )
        listed = client.get(f"{self.api}/?include_archived=1", headers=h).get_json()
        assert theirs.id not in listed["ids"]
        f.page_login(client, user)
        assert client.get(f"{self.page}/show/{theirs.id}").status_code == 404
        assert client.get(f"{self.page}/edit/{theirs.id}").status_code == 404
        for name in self.actions():
            assert client.post(f"{self.page}/do/{name}/{theirs.id}", data={}).status_code == 404, name

    def test_no_count_includes_another_organizations_rows(self, app, org, other_org):
        owner = f.make_user(org, MANAGER)
        for _ in range(2):
            self.make(org, owner)
        outsider = f.make_user(other_org, MANAGER)
        client = app.test_client()
        for archived in ("", "?include_archived=1"):
            api = client.get(f"{self.api}/{archived}", headers=f.auth(outsider))
            assert (api.get_json()["count"], api.headers["X-Total-Count"], api.get_json()["result"]) == (0, "0", [])
        f.page_login(client, outsider)
        for archived in ("", "?include_archived=1"):
            page = client.get(f"{self.page}/list/{archived}").get_data(as_text=True)
            assert 'id="empty-list"' in page and re.search(r"Records:</strong>\s*0\b", page), archived

    # ---------------------------------------------------------------- bad input
    def test_invalid_input_is_422_with_its_field_and_writes_nothing(self, client, org):
        user = f.make_user(org, self.writer)
        row = self.make(org, user)
        h = f.auth(user)
        (field, _value), *_ = self.invalid.items()
        resp = client.post(f"{self.api}/", json={**self.payload(org, user), **self.invalid}, headers=h)
        assert resp.status_code == 422 and field in resp.get_json()["message"], resp.get_json()
        resp = client.put(f"{self.api}/{row.id}", json=self.invalid, headers=h)
        assert resp.status_code == 422 and field in resp.get_json()["message"], resp.get_json()
        assert client.put(f"{self.api}/{row.id}", json={"bogus": 1}, headers=h).status_code == 422
        assert _transactions_by(user) == 0

    # ---------------------------------------------------------------- pages
    def test_pages_follow_the_permission_matrix(self, app, org):
        nobody, reader, writer = (f.make_user(org, r) for r in (NOBODY, READER, self.writer))
        row = self.make(org, reader)  # the reader's own (an assigned project, for roles that see only those)
        for user, may_read, may_write in ((nobody, False, False), (reader, True, False), (writer, True, True)):
            client = app.test_client()
            f.page_login(client, user)
            assert client.get(f"{self.page}/list/").status_code == (200 if may_read else 403), user
            assert client.get(f"{self.page}/show/{row.id}").status_code == (200 if may_read else 403), user
            assert client.get(f"{self.page}/add").status_code == (200 if may_write else 403), user
        assert _transactions_by(nobody) == _transactions_by(reader) == 0

    def test_the_add_page_saves_a_versioned_row_or_shows_the_error(self, client, org):
        user = f.make_user(org, self.writer)
        f.page_login(client, user)
        model = self.declared.model
        count = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.organization_id == org.id))
        (field, value), *_ = self.invalid.items()
        resp = client.post(f"{self.page}/add", data={**self.form(org, user), field: value})
        assert resp.status_code == 200  # the form again, with its error
        assert _transactions_by(user) == 0
        resp = client.post(f"{self.page}/add", data=self.form(org, user))
        assert resp.status_code == 302, resp.data.decode()[-2000:]
        after = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.organization_id == org.id))
        assert after == count + 1
        assert _transactions_by(user) == 1

    def test_page_actions_need_their_permission(self, app, org):
        manager, reader = f.make_user(org, MANAGER), f.make_user(org, READER)
        for user, allowed in ((reader, False), (manager, True)):
            client = app.test_client()
            f.page_login(client, user)
            for name in self.actions():
                row = self.prepare(name, org, user)
                before = _transactions_by(user)
                params = {k: str(v) for k, v in self.params_for(name, row).items()}
                resp = client.post(f"{self.page}/do/{name}/{row.id}", data=params)
                assert resp.status_code == 302, name
                assert _transactions_by(user) == before + (1 if allowed else 0), (user.username, name)

    # ---------------------------------------------------------------- export / import
    def test_an_export_imports_back_unchanged_and_writes_nothing(self, client, org, other_org):
        user = f.make_user(org, MANAGER)
        h = f.auth(user, org)
        mine = self.make(org, user)
        theirs = self.make(other_org, None)
        for fmt in ("csv", "xlsx"):
            resp = client.get(f"{self.api}/export?format={fmt}&include_archived=1", headers=h)
            assert resp.status_code == 200, resp.get_data()[:300]
            if fmt == "csv":
                ids = [r[0] for r in read_csv(resp.data)[1:]]
                assert str(mine.id) in ids and str(theirs.id) not in ids
            before = writes()
            imported = upload(client, self.api, h, resp.data, name=f"export.{fmt}")
            assert imported.status_code == 201, imported.get_json()
            summary = imported.get_json()["summary"]
            assert summary["unchanged"] >= 1 and summary["create"] == summary["update"] == summary["error"] == 0, (
                fmt,
                imported.get_json()["rows"][:3],
            )
            committed = client.post(f"/api/v1/changesets/{imported.get_json()['id']}/commit", headers=h)
            assert committed.status_code == 200 and committed.get_json()["transaction_id"] is None
            assert writes() == before  # nothing changed: no transaction, no audit row

    def test_export_and_import_need_their_permissions(self, client, org):
        for role in (READER, NOBODY):
            user = f.make_user(org, role)
            h = f.auth(user)
            assert client.get(f"{self.api}/export", headers=h).status_code == 403, role
            assert upload(client, self.api, h, "id\r\n1\r\n").status_code == 403, role
            assert _transactions_by(user) == 0
