"""Approval requests, declared for the tests every resource inherits. A request has no form and
no POST/PUT/DELETE of its own (it is made by calling a gated action and decided by its record
actions), so the inherited tests of those routes are replaced by ones that say so."""

from __future__ import annotations

from app.approvals import engine
from app.approvals.models import ApprovalRequest
from app.core.registry import registry
from app.core.versioning import transaction_model
from app.extensions import db
from tests import factories as f
from tests.exchange_helpers import read_csv, upload, writes
from tests.resource_tests import MANAGER, NOBODY, READER, ResourceTests, _audited, _transactions_by


def _request(org, requester=None) -> ApprovalRequest:
    """A pending mark-paid request about a sent invoice, asked by `requester` (a Finance user)."""
    requester = requester or f.make_user(org, "Finance")
    invoice = f.make_invoice(org, send=True)
    with f.acting(requester, org):
        return engine.request("Invoice", registry.action("Invoice", "mark_paid"), invoice, {})


class TestApprovalRequests(ResourceTests):
    resource = "ApprovalRequest"
    writer = "Finance"
    action_params = {"approve": {"comment": "ok"}, "reject": {"comment": "no"}, "cancel": {}}

    def make(self, org, owner):
        return _request(org)

    def prepare(self, action: str, org, owner):
        # the requester cancels their own; someone else's request is approved or rejected
        if action == "cancel" and owner is not None and owner.username:
            return _request(org, owner)
        return _request(org)

    # ---------------------------------------------------------------- no forms, no writes of its own
    def test_the_api_requires_a_token(self, client, org):
        row = self.make(org, None)
        for method, url in [
            ("GET", f"{self.api}/"),
            ("GET", f"{self.api}/{row.id}"),
            ("GET", f"{self.api}/{row.id}/history"),
            *[("POST", f"{self.api}/{row.id}/{name}") for name in self.actions()],
        ]:
            assert client.open(url, method=method, json={}).status_code == 401, (method, url)

    def test_requests_have_no_create_update_or_delete_route(self, client, org):
        admin = f.make_user(org, "Admin", admin=True)
        row = self.make(org, None)
        h = f.auth(admin, org)
        assert client.post(f"{self.api}/", json={"action": "void"}, headers=h).status_code == 405
        assert client.put(f"{self.api}/{row.id}", json={"status": "approved"}, headers=h).status_code == 405
        assert client.delete(f"{self.api}/{row.id}", headers=h).status_code == 405
        f.page_login(client, admin)
        for path in ("add", f"edit/{row.id}"):
            assert client.get(f"{self.page}/{path}").status_code == 404, path
        assert client.post(f"{self.page}/delete/{row.id}").status_code in (404, 405)
        assert _transactions_by(admin) == 0

    test_hard_delete_is_for_admins_only = None
    test_writes_are_versioned_audited_and_attributed = None
    test_invalid_input_is_422_with_its_field_and_writes_nothing = None
    test_the_add_page_saves_a_versioned_row_or_shows_the_error = None

    def _decisions_refused(self, client, org, user) -> None:
        h = f.auth(user)
        for name in self.actions():
            target = self.prepare(name, org, None)
            resp = client.post(f"{self.api}/{target.id}/{name}", json=self.params_for(name, target), headers=h)
            assert resp.status_code == 403, name
        assert _transactions_by(user) == 0

    def test_a_role_without_permission_gets_403_and_writes_nothing(self, client, org):
        user = f.make_user(org, NOBODY)
        row = self.make(org, user)
        assert client.get(f"{self.api}/", headers=f.auth(user)).status_code == 403
        assert client.get(f"{self.api}/{row.id}", headers=f.auth(user)).status_code == 403
        self._decisions_refused(client, org, user)

    def test_a_read_only_role_reads_but_cannot_write(self, client, org):
        user = f.make_user(org, READER)
        row = self.make(org, user)
        assert client.get(f"{self.api}/{row.id}", headers=f.auth(user)).status_code == 200
        assert client.get(f"{self.api}/{row.id}/history", headers=f.auth(user)).status_code == 200
        self._decisions_refused(client, org, user)

    def test_each_declared_action_runs_with_its_permission_versioned_and_audited(self, client, org):
        """Rejecting and cancelling are the decider's (the requester's) own transaction; approving
        is the requester's, approved by the decider (the action is taken on their behalf)."""
        user = f.make_user(org, MANAGER)
        h = f.auth(user, org)
        Tx = transaction_model()
        for name in self.actions():
            row = self.prepare(name, org, user)
            resp = client.post(f"{self.api}/{row.id}/{name}", json=self.params_for(name, row), headers=h)
            assert resp.status_code == 200, (name, resp.get_json())
            tx_id = f.versions_of(ApprovalRequest, row.id, with_tx=True)[-1][2]
            tx = db.session.get(Tx, tx_id)
            if name == "approve":
                assert (tx.user_id, tx.approved_by_id) == (row.requester_id, user.id)
            else:
                assert (tx.user_id, tx.approved_by_id) == (user.id, None)
            assert _audited(db.session.get(type(user), tx.user_id), self.resource, row.id)[-1] == f"{name}_request"

    def test_another_organizations_row_is_404_on_every_route(self, client, org, other_org):
        theirs = self.make(other_org, None)
        user = f.make_user(org, MANAGER)
        h = f.auth(user, org)
        base = f"{self.api}/{theirs.id}"
        assert client.get(base, headers=h).status_code == 404
        assert client.get(f"{base}/history", headers=h).status_code == 404
        for name in self.actions():
            assert client.post(f"{base}/{name}", json=self.params_for(name, theirs), headers=h).status_code == 404
        assert theirs.id not in client.get(f"{self.api}/", headers=h).get_json()["ids"]
        f.page_login(client, user)
        assert client.get(f"{self.page}/show/{theirs.id}").status_code == 404
        for name in self.actions():
            assert client.post(f"{self.page}/do/{name}/{theirs.id}", data={}).status_code == 404, name
        db.session.expire_all()
        assert db.session.get(ApprovalRequest, theirs.id).status == "pending"

    def test_an_export_imports_back_unchanged_and_writes_nothing(self, client, org, other_org):
        """Requests are exported (a manager's report); they are never imported: made by calling
        gated actions only."""
        user = f.make_user(org, MANAGER)
        h = f.auth(user, org)
        mine, theirs = self.make(org, user), self.make(other_org, None)
        resp = client.get(f"{self.api}/export?format=csv", headers=h)
        assert resp.status_code == 200
        ids = [r[0] for r in read_csv(resp.data)[1:]]
        assert str(mine.id) in ids and str(theirs.id) not in ids
        before = writes()
        assert upload(client, self.api, h, resp.data, name="export.csv").status_code == 403
        assert writes() == before

    def test_pages_follow_the_permission_matrix(self, app, org):
        nobody, reader = f.make_user(org, NOBODY), f.make_user(org, READER)
        row = self.make(org, reader)
        for user, may_read in ((nobody, False), (reader, True)):
            client = app.test_client()
            f.page_login(client, user)
            assert client.get(f"{self.page}/list/").status_code == (200 if may_read else 403), user
            assert client.get(f"{self.page}/show/{row.id}").status_code == (200 if may_read else 403), user
            assert client.get("/approvals/").status_code == (200 if may_read else 403), user
        assert _transactions_by(nobody) == _transactions_by(reader) == 0

    def test_page_actions_need_their_permission(self, app, org):
        manager, reader = f.make_user(org, MANAGER), f.make_user(org, READER)
        for user, allowed in ((reader, False), (manager, True)):
            client = app.test_client()
            f.page_login(client, user)
            for name in ("approve", "reject"):
                row = self.prepare(name, org, None)
                resp = client.post(f"{self.page}/do/{name}/{row.id}", data=self.params_for(name, row))
                assert resp.status_code == 302, name
                db.session.expire_all()
                status = db.session.get(ApprovalRequest, row.id).status
                assert status == ({"approve": "approved", "reject": "rejected"}[name] if allowed else "pending"), name
