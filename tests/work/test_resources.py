"""The work domain's resources, declared for the tests every resource inherits."""

from __future__ import annotations

from tests import factories as f
from tests.resource_tests import MANAGER, ResourceTests
from tests.work import helpers as w


class TestBanks(ResourceTests):
    resource = "Bank"
    writer = "Manager"
    change = {"invoice_notes": "Pay within 15 days"}
    invalid = {"name": ""}

    def make(self, org, owner):
        return w.make_bank(org)

    def payload(self, org, owner):
        return {"name": f.unique("Posted bank "), "account_details": "IBAN X"}

    def form(self, org, owner):
        return {"name": f.unique("Page bank ")}

    def test_hard_delete_is_for_admins_only(self, client, org):
        manager, staff = f.make_user(org, "Manager"), f.make_user(org, "Staff")
        pk = self.make(org, manager).id
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(staff)).status_code == 403
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(manager)).status_code == 403  # archive instead


class TestBranches(ResourceTests):
    resource = "Branch"
    writer = "Manager"
    change = {"city": "Lyon"}
    invalid = {"name": ""}

    def make(self, org, owner):
        return w.make_branch(org)

    def payload(self, org, owner):
        return {"name": "Posted branch", "bank": w.make_bank(org).id}

    def form(self, org, owner):
        return {"name": f.unique("Page branch "), "bank": str(w.make_bank(org).id), "city": "Nice"}

    test_hard_delete_is_for_admins_only = TestBanks.test_hard_delete_is_for_admins_only


class TestPropertyTypes(ResourceTests):
    resource = "PropertyType"
    writer = "Manager"
    change = {"name": "Loft"}
    invalid = {"name": "  "}

    def make(self, org, owner):
        return w.make_property_type(org)

    def payload(self, org, owner):
        return {"name": f.unique("Posted type ")}

    def form(self, org, owner):
        return {"name": f.unique("Page type ")}

    test_hard_delete_is_for_admins_only = TestBanks.test_hard_delete_is_for_admins_only


class TestAssignments(ResourceTests):
    resource = "Assignment"
    writer = "Manager"
    change = {"address": "12 Rue Neuve"}
    invalid = {"fee": "-1"}
    action_params = {"transition": {"to": "site_visit"}, "message": {"body": "On my way"}}

    def make(self, org, owner):
        return w.make_assignment(org, owner)

    def prepare(self, action, org, owner):
        if action == "revert":  # a second version (the code never changes: edit the address)
            from app.core.uow import unit_of_work

            row = self.make(org, owner)
            with f.acting(None, org), unit_of_work():
                row.address = "Edited address"
            return row
        return super().prepare(action, org, owner)

    def params_for(self, action, row):
        if action == "reassign":
            return {"user_id": f.make_user(f.db_org(row), "Valuer").id}
        return super().params_for(action, row)

    def payload(self, org, owner):
        return {"client": f.make_client(org).id, "fee": "450.00", "due_date": "2031-04-01", "address": "1 Main St"}

    def form(self, org, owner):
        return {"client": str(f.make_client(org).id), "fee": "300", "currency": "EUR", "due_date": "2031-04-01"}

    def test_hard_delete_is_for_admins_only(self, client, org):
        """Deleting an assignment is its own permission (Manager and Admin by default): others 403."""
        valuer, manager = f.make_user(org, "Valuer"), f.make_user(org, MANAGER)
        pk = self.make(org, valuer).id
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(valuer)).status_code == 403
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(manager)).status_code == 200
        assert [op for op, _ in f.versions_of(self.declared.model, pk)][-1] == 2


class TestCalendarEvents(ResourceTests):
    resource = "CalendarEvent"
    writer = "HR"  # sees everyone's entries (others see their own)
    change = {"location": "Room 4"}
    invalid = {"end": "2031-03-04T09:00:00"}

    def make(self, org, owner):
        return w.make_event(org, owner)

    def payload(self, org, owner):
        return {
            "title": "Posted meeting",
            "type": "meeting",
            "start": "2031-03-04T10:00:00",
            "end": "2031-03-04T11:00:00",
        }

    def form(self, org, owner):
        return {
            "title": f.unique("Page meeting "),
            "type": "meeting",
            "start": "2031-03-04 10:00:00",
            "end": "2031-03-04 11:00:00",
        }


class TestLeaveRequests(ResourceTests):
    resource = "LeaveRequest"
    writer = "HR"  # sees everyone's requests (others see their own)
    change = {"reason": "Wedding"}
    invalid = {"end_date": "2030-01-01"}

    def make(self, org, owner):
        return w.make_leave(org, owner or f.make_user(org, "Staff"))

    def prepare(self, action, org, owner):
        if action in ("approve", "reject"):  # someone else's request (deciding one's own is refused)
            return w.make_leave(org, f.make_user(org, "Staff"))
        if action == "cancel":  # one's own
            return w.make_leave(org, owner)
        return super().prepare(action, org, owner)

    def payload(self, org, owner):
        return {"start_date": "2033-02-01", "end_date": "2033-02-03", "reason": "Posted"}

    def form(self, org, owner):
        return {"start_date": "2034-02-01", "end_date": "2034-02-03", "reason": "Page"}

    def test_page_actions_need_their_permission(self, app, org):
        """A Viewer does not see other people's leave at all (404); HR decides it."""
        from tests.resource_tests import READER, _transactions_by

        hr, reader = f.make_user(org, "HR"), f.make_user(org, READER)
        for user, allowed in ((reader, False), (hr, True)):
            client = app.test_client()
            f.page_login(client, user)
            for name in self.actions():
                row = self.prepare(name, org, user)
                before = _transactions_by(user)
                params = {k: str(v) for k, v in self.params_for(name, row).items()}
                resp = client.post(f"{self.page}/do/{name}/{row.id}", data=params)
                mine = row.user_id == user.id
                assert resp.status_code == (302 if allowed or mine else 404), (user.username, name)
                assert _transactions_by(user) == before + (1 if allowed else 0), (user.username, name)
