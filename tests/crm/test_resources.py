"""The CRM's resources, declared for the tests every resource inherits (tests/resource_tests.py)."""

from __future__ import annotations

from tests import factories as f
from tests.resource_tests import ResourceTests


class TestClients(ResourceTests):
    resource = "Client"
    change = {"phone": "+1 555 0199"}
    invalid = {"email": "not-an-email"}

    def make(self, org, owner):
        return f.make_client(org, owner)

    def payload(self, org, owner):
        return {"name": f.unique("Posted "), "email": "p@example.com"}

    def form(self, org, owner):
        return {"name": f.unique("Page client ")}


class TestContacts(ResourceTests):
    resource = "Contact"
    change = {"title": "Head of Ops"}
    invalid = {"email": "broken"}

    def make(self, org, owner):
        return f.make_contact(f.make_client(org, owner))

    def payload(self, org, owner):
        return {"first_name": "Ana", "last_name": "Lima", "client": f.make_client(org, owner).id}

    def form(self, org, owner):
        return {"first_name": "Page", "last_name": f.unique("Contact"), "client": str(f.make_client(org, owner).id)}


class TestLeads(ResourceTests):
    resource = "Lead"
    change = {"phone": "+1 555 0142"}
    invalid = {"email": "nope"}
    action_params = {"transition": {"to": "contacted"}}

    def make(self, org, owner):
        return f.make_lead(org, owner)

    def prepare(self, action, org, owner):
        if action == "convert":
            return f.make_lead(org, owner, status="qualified", company=f.unique("Converted Co "))
        return super().prepare(action, org, owner)

    def payload(self, org, owner):
        return {"name": f.unique("Posted lead "), "company": "Posted Co", "source": "web"}

    def form(self, org, owner):
        return {"name": f.unique("Page lead "), "source": ""}


class TestDeals(ResourceTests):
    resource = "Deal"
    change = {"expected_close_date": "2031-03-31"}
    invalid = {"currency": "BANANA MONEY"}
    action_params = {"move": {"stage": "proposal"}, "close": {"status": "lost"}, "comment": {"body": "Called them"}}

    def make(self, org, owner):
        return f.make_deal(org, owner)

    def payload(self, org, owner):
        return {"title": f.unique("Posted deal "), "client": f.make_client(org, owner).id}

    def form(self, org, owner):
        return {
            "title": f.unique("Page deal "),
            "client": str(f.make_client(org, owner).id),
            "amount": "0",
            "currency": "EUR",
            "stage": "qualification",
            "status": "open",
        }


class TestTasks(ResourceTests):
    resource = "Task"
    change = {"done": True}
    invalid = {"title": "   "}

    def make(self, org, owner):
        return f.make_task(org, owner)

    def payload(self, org, owner):
        return {"title": f.unique("Posted task "), "due_date": "2031-01-15"}

    def form(self, org, owner):
        return {"title": f.unique("Page task ")}
