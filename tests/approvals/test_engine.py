"""The approval engine on the API (SPEC §9): the policy, requesting instead of acting, four
eyes, exactly one outcome, execution for the requester attributed to both, failed and rejected
requests, scope and tenancy."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.approvals.models import ApprovalPolicy, ApprovalRequest
from app.core.audit import AuditRecord
from app.core.versioning import transaction_model
from app.extensions import db
from tests import factories as f
from tests.approvals.helpers import CASES, Case, prepare, requests_about, set_policy, versions
from tests.work import helpers as w

CASE_IDS = [c.id for c in CASES]


def _case(resource: str, action: str) -> Case:
    return next(c for c in CASES if (c.resource, c.action) == (resource, action))


MARK_PAID = _case("Invoice", "mark_paid")


def _ask(client, case: Case, org):
    target, asker, decider, body = prepare(case, org)
    resp = case.call(client, target, f.auth(asker, org), body)
    assert resp.status_code == 202, resp.get_json()
    return target, asker, decider, body, resp.get_json()["approval_request_id"]


# ------------------------------------------------------------------ the policy
def test_the_default_policy_gates_the_five_sensitive_actions(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    resp = client.get("/api/v1/approval-policy/", headers=f.auth(admin, org))
    assert resp.status_code == 200
    gated = {(e["resource"], e["action"]) for e in resp.get_json()["result"] if e["requires_approval"]}
    assert gated == {(c.resource, c.action) for c in CASES}
    everything = {(e["resource"], e["action"]) for e in resp.get_json()["result"]}
    assert ("Deal", "close") in everything and ("ApprovalRequest", "approve") not in everything


def test_admins_change_the_policy_audited_and_others_cannot(client, org, other_org):
    admin = f.make_user(org, "Admin", admin=True)
    manager = f.make_user(org, "Manager")
    body = {"policy": [{"resource": "Invoice", "action": "void", "requires_approval": False}]}
    assert client.put("/api/v1/approval-policy/", json=body, headers=f.auth(manager, org)).status_code == 403
    assert client.get("/api/v1/approval-policy/", headers=f.auth(manager, org)).status_code == 200
    resp = client.put("/api/v1/approval-policy/", json=body, headers=f.auth(admin, org))
    assert resp.status_code == 200
    void = next(e for e in resp.get_json()["result"] if (e["resource"], e["action"]) == ("Invoice", "void"))
    assert void == {**void, "requires_approval": False, "default": True}
    row = db.session.scalar(sa.select(ApprovalPolicy).where(ApprovalPolicy.organization_id == org.id))
    assert (row.resource, row.action, row.required) == ("Invoice", "void", False)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.resource == "ApprovalPolicy", AuditRecord.record_id == row.id)
        )
        == 1
    )
    # the other organization keeps its defaults
    other_admin = f.make_user(other_org, "Admin", admin=True)
    theirs = client.get("/api/v1/approval-policy/", headers=f.auth(other_admin, other_org)).get_json()["result"]
    assert next(e for e in theirs if (e["resource"], e["action"]) == ("Invoice", "void"))["requires_approval"]


@pytest.mark.parametrize(
    "body",
    [
        {"policy": [{"resource": "Invoice", "action": "fly", "requires_approval": True}]},
        {"policy": [{"resource": "ApprovalRequest", "action": "approve", "requires_approval": False}]},
        {"policy": [{"resource": "Invoice", "action": "void", "requires_approval": "no"}]},
        {"policy": "all"},
        {},
    ],
)
def test_a_bad_policy_is_422_and_changes_nothing(client, org, body):
    admin = f.make_user(org, "Admin", admin=True)
    resp = client.put("/api/v1/approval-policy/", json=body, headers=f.auth(admin, org))
    assert resp.status_code == 422, resp.get_json()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApprovalPolicy).where(
        ApprovalPolicy.organization_id == org.id)) == 0  # fmt: skip


# ------------------------------------------------------------------ requesting
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_a_gated_action_answers_202_and_changes_nothing(client, org, case):
    target, asker, _decider, body = prepare(case, org)
    before = versions(case.resource, target.id)
    resp = case.call(client, target, f.auth(asker, org), body)
    assert resp.status_code == 202, resp.get_json()
    answer = resp.get_json()
    assert answer["status"] == "pending" and isinstance(answer["approval_request_id"], int)
    assert not case.done(target.id, body)
    assert versions(case.resource, target.id) == before
    (req,) = requests_about(case.resource, target.id, org)
    assert (req.id, req.action, req.status, req.requester_id) == (
        answer["approval_request_id"],
        case.action,
        "pending",
        asker.id,
    )
    assert req.arguments == {k: v for k, v in body.items()}  # the validated arguments, kept for the decision


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_with_the_policy_off_the_action_acts_directly(client, org, case):
    admin = f.make_user(org, "Admin", admin=True)
    set_policy(client, admin, org, case.resource, case.action, False)
    target, asker, _decider, body = prepare(case, org)
    resp = case.call(client, target, f.auth(asker, org), body)
    assert resp.status_code == 200, resp.get_json()
    assert case.done(target.id, body)
    assert requests_about(case.resource, target.id, org) == []


def test_another_action_can_be_gated_by_the_policy(client, org):
    """The policy covers every declared action, not only the defaults: archiving a client."""
    admin = f.make_user(org, "Admin", admin=True)
    set_policy(client, admin, org, "Client", "archive", True)
    staff = f.make_user(org, "Staff")
    mine = f.make_client(org, staff)
    resp = client.post(f"/api/v1/clients/{mine.id}/archive", headers=f.auth(staff, org))
    assert resp.status_code == 202
    db.session.expire_all()
    assert db.session.get(type(mine), mine.id).archived_at is None


def test_a_request_that_could_never_succeed_is_refused_now(client, org):
    finance = f.make_user(org, "Finance")
    invoice = f.make_invoice(org, send=True)
    f.pay(invoice, "10.00", org)
    resp = client.post(f"/api/v1/invoices/{invoice.id}/void", headers=f.auth(finance, org))
    assert resp.status_code == 409 and "has payments" in resp.get_json()["message"]
    draft = f.make_invoice(org)
    resp = client.post(f"/api/v1/invoices/{draft.id}/mark_paid", headers=f.auth(finance, org))
    assert resp.status_code == 409
    resp = client.post(
        f"/api/v1/invoices/{invoice.id}/mark_paid", json={"method": "barter"}, headers=f.auth(finance, org)
    )
    assert resp.status_code == 422 and "method" in resp.get_json()["message"]
    assert requests_about("Invoice", invoice.id, org) == requests_about("Invoice", draft.id, org) == []
    manager = f.make_user(org, "Manager")
    assignment = w.make_assignment(org, f.make_user(org, "Valuer"))
    outsider = f.make_user(f.make_org(), "Valuer")
    resp = client.post(
        f"/api/v1/assignments/{assignment.id}/reassign", json={"user_id": outsider.id}, headers=f.auth(manager, org)
    )
    assert resp.status_code == 422, resp.get_json()
    assert requests_about("Assignment", assignment.id, org) == []


def test_two_identical_pending_requests_are_409_naming_the_first(client, org):
    target, _asker, _decider, body, first = _ask(client, MARK_PAID, org)
    again = MARK_PAID.call(client, target, f.auth(f.make_user(org, "Finance"), org), body)
    assert again.status_code == 409 and f"#{first}" in again.get_json()["message"]
    assert len(requests_about("Invoice", target.id, org)) == 1


def test_the_database_keeps_one_pending_request_per_record_and_action(org):
    """The rule's own check has a database constraint behind it (a concurrent second request)."""
    from app.core.errors import Conflict
    from app.core.uow import unit_of_work

    user = f.make_user(org, "Finance")
    invoice = f.make_invoice(org, send=True)
    fields = {"resource": "Invoice", "record_id": invoice.id, "action": "mark_paid", "requester_id": user.id}
    with f.acting(user, org), unit_of_work() as s:
        s.add(ApprovalRequest(**fields))
    with pytest.raises(Conflict, match="already waiting"), f.acting(user, org), unit_of_work() as s:
        s.add(ApprovalRequest(**fields))


# ------------------------------------------------------------------ deciding
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_approving_takes_the_action_for_the_requester_in_the_same_transaction(client, org, case):
    target, asker, decider, body, req_id = _ask(client, case, org)
    resp = client.post(f"/api/v1/approvals/{req_id}/approve", json={"comment": "ok"}, headers=f.auth(decider, org))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["result"]["status"] == "approved"
    assert case.done(target.id, body)
    (req,) = requests_about(case.resource, target.id, org)
    assert (req.status, req.decided_by_id, req.comment) == ("approved", decider.id, "ok")
    # one transaction: the decision and the action; its user is the requester, its approver the decider
    Tx = transaction_model()
    target_tx = f.versions_of(target.model, target.id, with_tx=True)[-1][2]
    request_tx = f.versions_of(ApprovalRequest, req.id, with_tx=True)[-1][2]
    assert target_tx == request_tx
    tx = db.session.get(Tx, target_tx)
    assert (tx.user_id, tx.approved_by_id, tx.action) == (asker.id, decider.id, "approve_request")


def test_the_history_names_the_requester_and_the_approver(client, org):
    target, asker, decider, _body, req_id = _ask(client, MARK_PAID, org)
    client.post(f"/api/v1/approvals/{req_id}/approve", headers=f.auth(decider, org))
    entry = client.get(f"/api/v1/invoices/{target.id}/history", headers=f.auth(asker, org)).get_json()["result"][0]
    assert (entry["user"], entry["approved_by"]) == (asker.username, decider.username)
    assert entry["changes"]["status"] == ["sent", "paid"]


def test_four_eyes_the_requester_never_decides_even_as_admin(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    invoice = f.make_invoice(org, send=True)
    req_id = client.post(f"/api/v1/invoices/{invoice.id}/mark_paid", headers=f.auth(admin, org)).get_json()[
        "approval_request_id"
    ]
    for decision in ("approve", "reject"):
        resp = client.post(f"/api/v1/approvals/{req_id}/{decision}", headers=f.auth(admin, org))
        assert resp.status_code == 403 and "four eyes" in resp.get_json()["message"]
    assert requests_about("Invoice", invoice.id, org)[0].status == "pending"
    assert MARK_PAID.done(invoice.id, {}) is False


def test_deciding_needs_can_approve_on_the_target_resource(client, org):
    target, _asker, _decider, _body, req_id = _ask(client, MARK_PAID, org)
    for role in ("Staff", "Viewer"):  # they read invoices, and so the request: not theirs to decide
        user = f.make_user(org, role)
        resp = client.post(f"/api/v1/approvals/{req_id}/approve", headers=f.auth(user, org))
        assert resp.status_code == 403, (role, resp.get_json())
    hr = f.make_user(org, "HR")  # reads no invoices: the request about one does not exist for them
    assert client.post(f"/api/v1/approvals/{req_id}/approve", headers=f.auth(hr, org)).status_code == 404
    hr_case = _case("LeaveRequest", "approve")
    _leave, _hr, _other, _b, leave_req = _ask(client, hr_case, org)
    finance = f.make_user(org, "Finance")  # sees their own leave only: someone else's request is not there for them
    assert client.post(f"/api/v1/approvals/{leave_req}/approve", headers=f.auth(finance, org)).status_code == 404
    assert requests_about("Invoice", target.id, org)[0].status == "pending"


def test_a_decided_request_cannot_be_decided_again(client, org):
    target, asker, decider, _body, req_id = _ask(client, MARK_PAID, org)
    h = f.auth(decider, org)
    assert client.post(f"/api/v1/approvals/{req_id}/reject", json={"comment": "no"}, headers=h).status_code == 200
    for decision in ("approve", "reject"):
        resp = client.post(f"/api/v1/approvals/{req_id}/{decision}", headers=h)
        assert resp.status_code == 409, resp.get_json()
    assert client.post(f"/api/v1/approvals/{req_id}/cancel", headers=f.auth(asker, org)).status_code == 409
    assert requests_about("Invoice", target.id, org)[0].status == "rejected"


def test_a_rejected_request_leaves_the_target_untouched(client, org):
    target, _asker, decider, _body, req_id = _ask(client, _case("Invoice", "void"), org)
    before = versions("Invoice", target.id)
    resp = client.post(f"/api/v1/approvals/{req_id}/reject", json={"comment": "Keep it"}, headers=f.auth(decider, org))
    assert resp.status_code == 200 and resp.get_json()["result"]["comment"] == "Keep it"
    assert versions("Invoice", target.id) == before
    assert requests_about("Invoice", target.id, org)[0].status == "rejected"


def test_an_approval_the_rules_now_refuse_fails_and_applies_nothing(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    target, _asker, decider, _body, req_id = _ask(client, MARK_PAID, org)
    set_policy(client, admin, org, "Invoice", "void", False)
    assert client.post(f"/api/v1/invoices/{target.id}/void", headers=f.auth(admin, org)).status_code == 200
    before = versions("Invoice", target.id)
    resp = client.post(f"/api/v1/approvals/{req_id}/approve", headers=f.auth(decider, org))
    assert resp.status_code == 409 and "marked failed" in resp.get_json()["message"]
    (req,) = requests_about("Invoice", target.id, org)
    assert req.status == "failed" and req.reason and req.decided_by_id == decider.id
    assert versions("Invoice", target.id) == before  # nothing of the action
    from app.billing.models import Payment

    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Payment).where(Payment.invoice_id == target.id)) == 0
    )


def test_only_the_requester_cancels(client, org):
    target, asker, decider, _body, req_id = _ask(client, MARK_PAID, org)
    assert client.post(f"/api/v1/approvals/{req_id}/cancel", headers=f.auth(decider, org)).status_code == 403
    resp = client.post(
        f"/api/v1/approvals/{req_id}/cancel", json={"comment": "paid by card"}, headers=f.auth(asker, org)
    )
    assert resp.status_code == 200 and resp.get_json()["result"]["status"] == "cancelled"
    assert client.post(f"/api/v1/approvals/{req_id}/approve", headers=f.auth(decider, org)).status_code == 409
    assert not MARK_PAID.done(target.id, {})


def test_a_comment_is_bounded(client, org):
    _target, _asker, decider, _body, req_id = _ask(client, MARK_PAID, org)
    resp = client.post(f"/api/v1/approvals/{req_id}/reject", json={"comment": "x" * 2001}, headers=f.auth(decider, org))
    assert resp.status_code == 422 and "comment" in resp.get_json()["message"]
    assert (
        client.post(f"/api/v1/approvals/{req_id}/reject", json={"comment": 5}, headers=f.auth(decider, org)).status_code
        == 422
    )


# ------------------------------------------------------------------ reading, scope, tenancy
def test_the_list_filters_what_waits_for_me_and_mine(client, org):
    _t, asker, decider, _b, req_id = _ask(client, MARK_PAID, org)

    def listed(user, filter_name):
        column = "requester" if filter_name == "mine" else "status"
        query = f"(filters:!((col:{column},opr:{filter_name},value:1)))"
        resp = client.get(f"/api/v1/approvals/?q={query}", headers=f.auth(user, org))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    assert listed(decider, "waiting_for_me")["ids"] == [req_id]
    assert listed(asker, "waiting_for_me")["ids"] == []
    mine = listed(asker, "mine")
    assert mine["ids"] == [req_id] and mine["result"][0]["requester"]["username"] == asker.username
    assert listed(decider, "mine")["ids"] == []


def test_a_valuer_sees_requests_about_their_own_assignments_only(client, org):
    manager = f.make_user(org, "Manager")
    mine_valuer, other_valuer = f.make_user(org, "Valuer"), f.make_user(org, "Valuer")
    mine = w.make_assignment(org, mine_valuer)
    theirs = w.make_assignment(org, other_valuer)
    ids = {}
    for assignment in (mine, theirs):
        resp = client.post(
            f"/api/v1/assignments/{assignment.id}/reassign", json={"user_id": manager.id}, headers=f.auth(manager, org)
        )
        assert resp.status_code == 202, resp.get_json()
        ids[assignment.id] = resp.get_json()["approval_request_id"]
    h = f.auth(mine_valuer, org)
    assert client.get("/api/v1/approvals/", headers=h).get_json()["ids"] == [ids[mine.id]]
    assert client.get(f"/api/v1/approvals/{ids[theirs.id]}", headers=h).status_code == 404
    assert client.post(f"/api/v1/approvals/{ids[theirs.id]}/approve", headers=h).status_code == 404
    assert client.get(f"/api/v1/approvals/{ids[mine.id]}", headers=h).status_code == 200
    assert sorted(client.get("/api/v1/approvals/", headers=f.auth(manager, org)).get_json()["ids"]) == sorted(
        ids.values()
    )


def test_another_organizations_request_is_404(client, org, other_org):
    _t, _a, _d, _b, req_id = _ask(client, MARK_PAID, org)
    outsider = f.make_user(other_org, "Manager")
    h = f.auth(outsider, other_org)
    assert client.get(f"/api/v1/approvals/{req_id}", headers=h).status_code == 404
    for decision in ("approve", "reject", "cancel"):
        assert client.post(f"/api/v1/approvals/{req_id}/{decision}", headers=h).status_code == 404
    assert client.get("/api/v1/approvals/", headers=h).get_json()["ids"] == []


def test_me_says_what_i_may_do_request_or_decide(client, org):
    finance, staff = f.make_user(org, "Finance"), f.make_user(org, "Staff")
    me = client.get("/api/v1/me/", headers=f.auth(finance, org)).get_json()["approvals"]
    assert {"mark_paid", "void"} <= set(me["request"]["Invoice"])
    assert "add_payment" in me["act"]["Invoice"] and "mark_paid" not in me["act"]["Invoice"]
    assert "Invoice" in me["approve"] and "LeaveRequest" not in me["approve"]
    staff_me = client.get("/api/v1/me/", headers=f.auth(staff, org)).get_json()["approvals"]
    assert "Invoice" not in staff_me["request"] and staff_me["approve"] == []


def test_deleting_a_record_fails_its_pending_requests(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    target, _asker, decider, _body, req_id = _ask(client, _case("Assignment", "reassign"), org)
    set_policy(client, admin, org, "Assignment", "delete", False)
    assert client.delete(f"/api/v1/assignments/{target.id}", headers=f.auth(admin, org)).status_code == 200
    (req,) = requests_about("Assignment", target.id, org)
    assert (req.status, req.reason) == ("failed", "The record was deleted before the request was decided.")
    assert [op for op, _ in f.versions_of(ApprovalRequest, req_id)] == [0, 1]  # versioned like any change
    assert client.post(f"/api/v1/approvals/{req_id}/approve", headers=f.auth(decider, org)).status_code == 409
