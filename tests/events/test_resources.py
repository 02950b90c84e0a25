"""Contracts and events, declared for the tests every resource inherits."""

from __future__ import annotations

from tests import factories as f
from tests.resource_tests import ResourceTests


class TestContracts(ResourceTests):
    resource = "Contract"
    writer = "Manager"  # Admin and Manager create contracts
    change = {"reference": "Changed reference"}
    invalid = {"total_amount": "-5"}
    action_params = {"add_payment": {"amount": "100"}}

    def make(self, org, owner):
        return f.make_contract(org, f.make_client(org, owner))

    def payload(self, org, owner):
        return {"client": f.make_client(org).id, "total_amount": "1500", "reference": f.unique("Posted ")}

    def form(self, org, owner):
        return {"client": str(f.make_client(org).id), "total_amount": "1000", "currency": "EUR", "reference": "x"}


class TestEvents(ResourceTests):
    resource = "Event"
    writer = "Commercial"  # a Commercial creates events for their own clients' contracts
    change = {"location": "Room 2"}
    invalid = {"attendees": -1}

    def make(self, org, owner):
        return f.make_event(org, f.make_contract(org, f.make_client(org, owner), signed=True))

    def params_for(self, action, row):
        if action == "set_support":
            return {"user_id": f.make_user(f.db_org(row), "Support").id}
        return super().params_for(action, row)

    def payload(self, org, owner):
        contract = f.make_contract(org, f.make_client(org, owner), signed=True)
        return {
            "name": "Posted event",
            "contract": contract.id,
            "start": "2031-06-01T18:00:00",
            "end": "2031-06-01T23:00:00",
        }

    def form(self, org, owner):
        contract = f.make_contract(org, f.make_client(org, owner), signed=True)
        return {
            "name": f.unique("Page event "),
            "contract": str(contract.id),
            "start": "2031-06-01 18:00:00",
            "end": "2031-06-01 23:00:00",
            "attendees": "10",
        }
