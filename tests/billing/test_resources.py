"""Billing's resources, declared for the tests every resource inherits (tests/resource_tests.py)."""

from __future__ import annotations

from app.core.uow import unit_of_work
from tests import factories as f
from tests.resource_tests import READER, ResourceTests


class TestInvoices(ResourceTests):
    resource = "Invoice"
    change = {"notes": "Net 30, bank transfer"}
    invalid = {"currency": "BANANA"}
    action_params = {"add_payment": {"amount": "10.00"}}

    def make(self, org, owner):
        return f.make_invoice(org)

    def prepare(self, action, org, owner):
        if action in ("mark_paid", "add_payment", "void"):
            return f.make_invoice(org, send=True)
        if action == "revert":
            row = f.make_invoice(org)
            with f.acting(None, org), unit_of_work():
                row.notes = "edited"
            return row
        return super().prepare(action, org, owner)

    def payload(self, org, owner):
        return {"client": f.make_client(org).id, "currency": "EUR"}

    def form(self, org, owner):
        return {"client": str(f.make_client(org).id), "currency": "EUR"}


class TestInvoiceLines(ResourceTests):
    resource = "InvoiceLine"
    change = {"description": "Changed line"}
    invalid = {"quantity": "0"}

    def make(self, org, owner):
        return f.make_invoice(org).lines[0]

    def payload(self, org, owner):
        return {"invoice": f.make_invoice(org).id, "description": "Posted line", "quantity": "2", "unit_price": "10"}

    def form(self, org, owner):
        return {
            "invoice": str(f.make_invoice(org, lines=()).id),
            "description": f.unique("Page line "),
            "quantity": "1",
            "unit_price": "5",
            "tax_rate": "0",
            "discount_rate": "0",
        }

    def test_hard_delete_is_for_admins_only(self, client, org):
        """Lines are removed from a draft by those who write invoices (not only by admins)."""
        staff, viewer = f.make_user(org, "Staff"), f.make_user(org, READER)
        pk = self.make(org, staff).id
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(viewer)).status_code == 403
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(staff)).status_code == 200
        assert [op for op, _ in f.versions_of(self.declared.model, pk)][-1] == 2


class TestPayments(ResourceTests):
    resource = "Payment"
    writer = "Finance"
    change = {"reference": "TRF-9"}
    invalid = {"method": "barter"}

    def make(self, org, owner):
        invoice = f.make_invoice(org, send=True)
        with f.acting(None, org):
            from app.billing import services

            return services.add_payment(invoice, "10.00", reference=f.unique("REF-"))

    def payload(self, org, owner):
        return {"invoice": f.make_invoice(org, send=True).id, "amount": "10.00", "date": "2031-01-05", "method": "cash"}

    def form(self, org, owner):
        return {
            "invoice": str(f.make_invoice(org, send=True).id),
            "amount": "5",
            "date": "2031-01-05",
            "method": "cash",
        }

    def test_hard_delete_is_for_admins_only(self, client, org):
        """Removing a payment is Finance's (and Admin's): Staff is refused."""
        staff, finance = f.make_user(org, "Staff"), f.make_user(org, "Finance")
        pk = self.make(org, finance).id
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(staff)).status_code == 403
        assert client.delete(f"{self.api}/{pk}", headers=f.auth(finance)).status_code == 200
        assert [op for op, _ in f.versions_of(self.declared.model, pk)][-1] == 2
