"""The approvals demo: one request in each state, so that the inbox, the list and the records'
pages show them — pending (finance asks to mark an invoice paid; hr asks to approve a leave;
the manager asks to reassign an assignment), approved (a void, by the manager), rejected (a
mark-paid, by the manager, with a comment) and failed (a void approved after a payment came in).
Made through the engine, as the demo users, so their versions and audit rows are the real ones."""

from __future__ import annotations

import sqlalchemy as sa

from app.approvals import engine
from app.approvals.models import ApprovalRequest
from app.core.registry import registry
from app.core.seed import SeedContext
from app.extensions import db


def _sent_invoices(ctx: SeedContext) -> list:
    model = registry.model("Invoice")
    if model is None:
        return []
    return list(
        db.session.scalars(
            sa.select(model)
            .where(model.organization_id == ctx.org.id, model.status == "sent")
            .order_by(model.paid_total.desc(), model.id)
        )
    )


def _ask(ctx: SeedContext, username: str, resource: str, action_name: str, record, **params):
    action = registry.action(resource, action_name)
    with ctx.as_user(username):
        return engine.request(resource, action, record, action.load(params) if params else {})


def seed(ctx: SeedContext) -> None:
    if ctx.count(ApprovalRequest):
        return
    invoices = _sent_invoices(ctx)  # partly paid first: those can be marked paid, not voided
    unpaid = [i for i in invoices if not i.paid_total]
    if len(invoices) >= 4 and len(unpaid) >= 2:
        approved, failed = unpaid[:2]
        pending, rejected = [i for i in invoices if i not in (approved, failed)][:2]
        _ask(ctx, "finance", "Invoice", "mark_paid", pending)
        req = _ask(ctx, "finance", "Invoice", "void", approved)
        with ctx.as_user("manager"):
            engine.approve(req, "Sent by mistake: the client was billed twice.")
        req = _ask(ctx, "finance", "Invoice", "mark_paid", rejected)
        with ctx.as_user("manager"):
            engine.reject(req, "No payment on the bank statement yet; check again on Friday.")
        req = _ask(ctx, "finance", "Invoice", "void", failed)
        from app.billing import services as billing  # the demo of a rule refusing at approval

        with ctx.as_user("finance"):
            billing.add_payment(failed, amount="10.00")
        with ctx.as_user("manager"):
            try:
                engine.approve(req)
            except engine.Conflict:
                pass  # the request is now `failed`, with the rule's message
    leave_model = registry.model("LeaveRequest")
    if leave_model is not None:
        waiting = db.session.scalars(
            sa.select(leave_model)
            .where(leave_model.organization_id == ctx.org.id, leave_model.status == "pending")
            .where(leave_model.user_id != ctx.users["hr"].id)
            .order_by(leave_model.id)
            .limit(1)
        ).first()
        if waiting is not None:
            _ask(ctx, "hr", "LeaveRequest", "approve", waiting)
    assignment_model = registry.model("Assignment")
    if assignment_model is not None and "valuer2" in ctx.users:
        open_one = db.session.scalars(
            sa.select(assignment_model)
            .where(
                assignment_model.organization_id == ctx.org.id,
                assignment_model.status == "pending",
                assignment_model.assignee_id == ctx.users["valuer"].id,
            )
            .order_by(assignment_model.id)
            .limit(1)
        ).first()
        if open_one is not None:
            _ask(ctx, "manager", "Assignment", "reassign", open_one, user_id=ctx.users["valuer2"].id)
