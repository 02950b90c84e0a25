"""The work domain's record actions, declared once (API routes, page buttons, /me capabilities).
Approvals (SPEC §9) gate `reassign`, `delete` (assignments) and `approve` (leave) through
app/core/actions.run(), which every entry point goes through."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from app.core.actions import Choice, RecordAction
from app.core.errors import MAX_ID
from app.work.models import ASSIGNMENT_STATUS, OPEN_STATUSES
from app.work.services import assignments, leave


class ReassignParams(Schema):
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))


class MessageParams(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


TRANSITION = ASSIGNMENT_STATUS.action(label="Move")
REASSIGN = RecordAction(
    "reassign",
    "Reassign",
    lambda assignment, user_id: assignments.reassign(assignment, user_id),
    permission="can_reassign",
    params=ReassignParams,
    available=lambda assignment: assignment.status in OPEN_STATUSES,
    on_page=False,  # the assignment page has its own form (a choice of person)
    done=lambda assignment, _: f"{assignment} is now assigned to {assignment.assignee.username}.",
    summary='Give the assignment to another member: {"user_id": 7} (422 for someone outside the organization).',
)
DELETE = RecordAction(
    "delete",
    "Delete",
    lambda assignment: assignments.delete_assignment(assignment),
    permission="can_delete",
    on_page=False,  # the record page's Delete button (and DELETE /api/v1/assignments/<pk>) run it
    result=lambda assignment, _: {"message": "OK"},
    done=lambda assignment, _: f"Assignment {assignment} deleted.",
    next_page=lambda assignment, _: url_for("AssignmentView.list"),
    summary="Delete an assignment with its messages, documents and calendar entries (409 while an invoice or "
    "tasks refer to it).",
)
INVOICE = RecordAction(
    "invoice",
    "Generate invoice",
    lambda assignment: assignments.generate_invoice(assignment),
    permission="can_invoice",
    owner_rule=False,  # it writes an invoice, not the assignment
    status=201,
    choices=lambda assignment: [
        Choice(
            "Generate invoice",
            style="success",
            icon="fa-file-text-o",
            confirm=f"Create the draft invoice of {assignment} ({assignment.fee_label})?",
        )
    ],
    result=lambda assignment, invoice: {
        "id": invoice.id,
        "result": {"id": invoice.id, "number": invoice.number, "status": invoice.status, "total": str(invoice.total)},
    },
    done=lambda assignment, invoice: f"Draft invoice {invoice.number} created.",
    next_page=lambda assignment, invoice: url_for("InvoiceView.show", pk=invoice.id),
    summary="Create the draft invoice: number derived from the code (VAL/2026/0012 gives INV/2026/0012), one line "
    "for the fee, the bank invoice notes; 409 naming the invoice when one exists.",
)
MESSAGE = RecordAction(
    "message",
    "Message",
    lambda assignment, body: assignments.add_message(assignment, body),
    permission="can_write",  # whoever works on the assignment (a valuer on theirs) takes part in its thread
    params=MessageParams,
    path="messages",
    owner_rule=False,
    on_page=False,  # the Messages tab has the form
    status=201,
    result=lambda assignment, message: {"id": message.id, "result": assignments.message_dict(message)},
    done=lambda assignment, _: "Message sent.",
    summary='Post a message to the thread of the assignment: {"body": "Keys at the front desk"}.',
)

LEAVE_APPROVE = RecordAction(
    "approve",
    "Approve",
    lambda request: leave.approve(request),
    permission="can_approve",
    available=lambda request: request.status == "pending",
    choices=lambda request: [Choice("Approve", style="success", icon="fa-check", confirm="Approve this leave?")],
    done=lambda request, _: f"{request} approved.",
    summary="Approve a pending leave request (403 for your own): its working days go on the calendar.",
)
LEAVE_REJECT = RecordAction(
    "reject",
    "Reject",
    lambda request: leave.reject(request),
    permission="can_approve",
    available=lambda request: request.status == "pending",
    choices=lambda request: [Choice("Reject", style="danger", icon="fa-times", confirm="Reject this leave?")],
    done=lambda request, _: f"{request} rejected.",
    summary="Reject a pending leave request (403 for your own).",
)
LEAVE_CANCEL = RecordAction(
    "cancel",
    "Cancel",
    lambda request: leave.cancel(request),
    permission="can_write",
    available=lambda request: request.status in ("pending", "approved"),
    choices=lambda request: [
        Choice("Cancel my leave", icon="fa-ban", confirm="Cancel this leave? Its days leave the calendar.")
    ],
    allowed=lambda request, _choice: _is_mine(request),
    done=lambda request, _: f"{request} cancelled.",
    summary="Cancel your own leave request, pending or approved (403 for someone else's).",
)


def _is_mine(request) -> bool:
    from app.core import context

    return request.user_id == context.current_user_id()
