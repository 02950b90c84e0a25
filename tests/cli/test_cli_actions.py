"""The named actions from the command line, as generated from the declared record actions: the
event company's (contract sign|add-payment, event set-support, customer set-commercial), the
pipeline's (deal move|close, lead convert), billing's (invoice send|mark-paid|void|pdf), a gated
action answered 202, and each refused as the roles say."""

from __future__ import annotations

import pytest

from opshub_cli import exits
from tests import factories as f


def test_contracts_are_signed_and_paid(opshub):
    org = opshub.org
    contract = f.make_contract(org, f.make_client(org, opshub.user("Commercial")), total="1000")
    opshub.login("Commercial")
    signed = opshub("contract", "sign", str(contract.id), "--yes", "--json")
    assert signed.exit_code == 0 and signed.json()["result"]["status"] == "signed"
    again = opshub("contract", "sign", str(contract.id), "--yes")
    assert again.exit_code == exits.CONFLICT
    paid = opshub("contract", "add-payment", str(contract.id), "--amount", "400", "--json").json()
    assert paid["result"]["amount_due"] == "600.00"
    too_much = opshub("contract", "add-payment", str(contract.id), "900")
    assert too_much.exit_code == exits.INVALID and "amount" in too_much.stderr
    opshub.login("Support")
    assert opshub("contract", "sign", str(f.make_contract(org).id), "--yes").exit_code == exits.FORBIDDEN


def test_only_managers_set_an_event_s_support(opshub):
    org = opshub.org
    event = f.make_event(org)
    opshub.login("Commercial")
    assert opshub("event", "set-support", str(event.id), opshub.username("Support")).exit_code == exits.FORBIDDEN
    opshub.login("Manager")
    done = opshub("event", "set-support", str(event.id), "--user", opshub.username("Support"), "--json")
    assert done.exit_code == 0 and done.json()["result"]["support"]["username"] == opshub.username("Support")
    cleared = opshub("event", "set-support", str(event.id), "none", "--json").json()
    assert cleared["result"]["support"] is None
    assert opshub("event", "set-support", str(event.id)).exit_code == exits.USAGE  # the user is required


def test_customer_set_commercial(opshub):
    org = opshub.org
    row = f.make_client(org, opshub.user("Manager"))
    opshub.login("Manager")
    result = opshub("customer", "set-commercial", str(row.id), opshub.username("Commercial"), "--json")
    assert result.exit_code == 0 and result.json()["result"]["owner"]["username"] == opshub.username("Commercial")


def test_the_pipeline_s_actions(opshub):
    org = opshub.org
    staff = opshub.user("Staff")
    deal = f.make_deal(org, staff, amount="100")
    lead = f.make_lead(org, staff, status="qualified", email=f"{f.unique('l')}@lead.example")
    opshub.login("Staff")
    assert opshub("deal", "move", str(deal.id), "negotiation", "--json").json()["result"]["stage"] == "negotiation"
    back = opshub("deal", "move", str(deal.id), "--stage", "proposal")
    assert back.exit_code == exits.FORBIDDEN  # a rollback is for managers
    bad = opshub("deal", "move", str(deal.id), "--stage", "nowhere")
    assert bad.exit_code == exits.USAGE  # the stages are known: click says which
    closed = opshub("deal", "close", str(deal.id), "won", "--json").json()
    assert closed["result"]["status"] == "won"
    converted = opshub("lead", "convert", str(lead.id), "--amount", "1200", "--json").json()
    assert converted["result"]["deal_id"] and converted["result"]["client_id"]
    assert opshub("lead", "convert", str(lead.id)).exit_code == exits.CONFLICT


def test_invoices_are_sent_paid_voided_and_printed(opshub, tmp_path):
    org = opshub.org
    opshub.login("Finance")
    first = f.make_invoice(org)
    second = f.make_invoice(org, send=True)  # (voiding a draft answers 422 today: see the report)
    sent = opshub("invoice", "send", str(first.id), "--yes", "--json").json()
    assert sent["result"]["status"] == "sent" and sent["result"]["number"].startswith("INV/")
    paid = opshub("invoice", "mark-paid", str(first.id), "--method", "card", "--yes", "--json").json()
    assert paid["result"]["status"] == "paid"
    assert opshub("invoice", "void", str(second.id), "--yes", "--json").json()["result"]["status"] == "void"
    target = tmp_path / "invoice.pdf"
    saved = opshub("invoice", "pdf", str(first.id), "-o", str(target))
    assert saved.exit_code == 0 and target.read_bytes().startswith(b"%PDF")
    opshub.login("Staff")
    assert opshub("invoice", "mark-paid", str(second.id), "--yes").exit_code == exits.FORBIDDEN


def test_a_gated_action_says_a_request_was_created(opshub):
    """An approval policy (SPEC §9) answers 202 with the request's id instead of acting."""
    from app.core import actions

    org = opshub.org
    contract = f.make_contract(org, f.make_client(org, opshub.user("Commercial")))

    def gate(resource, action, record, params):
        if resource == "Contract" and action.name == "sign" and record.id == contract.id:
            return actions.Outcome(pending={"approval_request_id": 4242, "status": "pending"})
        return None

    actions.add_interceptor(gate)
    try:
        opshub.login("Manager")
        result = opshub("contract", "sign", str(contract.id), "--yes")
        assert result.exit_code == 0
        assert "request #4242 was created" in result.stderr
        assert result.json() == {"approval_request_id": 4242, "status": "pending"}
    finally:
        actions._interceptors.remove(gate)


@pytest.mark.default_approvals
def test_approvals_from_the_command_line(opshub):
    """A gated action (the default policy: marking an invoice paid) is a request; another person
    lists what waits for them and approves it; the requester cannot (four eyes)."""
    org = opshub.org
    invoice = f.make_invoice(org, send=True)
    opshub.login("Finance")
    asked = opshub("invoice", "mark-paid", str(invoice.id), "--yes", "--json")
    assert asked.exit_code == 0, asked.stderr
    req_id = asked.json()["approval_request_id"]
    assert f"request #{req_id} was created" in asked.stderr
    assert opshub("approval", "approve", str(req_id), "--yes").exit_code == exits.FORBIDDEN
    opshub.login("Manager")
    waiting = opshub("approval", "list", "--waiting-for-me", "--json").json()
    assert req_id in [row["id"] for row in waiting["result"]]
    done = opshub("approval", "approve", str(req_id), "--comment", "Seen on the statement", "--yes", "--json")
    assert done.exit_code == 0, done.stderr
    assert done.json()["result"]["status"] == "approved"
    assert opshub("invoice", "show", str(invoice.id), "--json").json()["result"]["status"] == "paid"
    assert opshub("approval", "reject", str(req_id), "--yes").exit_code == exits.CONFLICT
