"""Assignments: reassign, delete, generate the invoice, messages and tasks."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User

from app.billing import services as billing
from app.billing.models import Invoice
from app.core.errors import Conflict, invalid, valid_id
from app.core.history import plain
from app.core.uow import unit_of_work
from app.crm.models import Task
from app.extensions import db
from app.work.models import ASSIGNMENT_STATUS, Assignment, AssignmentMessage
from app.work.models.assignment import log_activity
from app.work.storage import delete_after_commit, get_storage


def transition(assignment: Assignment, to: object, *, actor: Any = None) -> Assignment:
    """Move an assignment along its lifecycle (409 naming the allowed next states; a step back
    needs can_rollback_stage)."""
    return ASSIGNMENT_STATUS.transition(assignment, to, actor=actor)


def _username(user_id: int | None) -> str:
    if user_id is None:
        return "nobody"
    return db.session.scalar(sa.select(User.username).where(User.id == user_id)) or f"user #{user_id}"


def reassign(assignment: Assignment, user_id: object, *, actor: Any = None) -> Assignment:
    """Give the assignment to another member of the organization (422 for anyone else)."""
    if not valid_id(user_id):
        raise invalid("user_id", "Not a valid id.")
    if assignment.assignee_id == user_id:
        return assignment
    with unit_of_work(actor=actor) as session:
        before = assignment.assignee_id
        assignment.assignee_id = user_id
        session.flush()  # the flush guard checks the user is a member
        log_activity(session, assignment, "reassign", f"Reassigned from {_username(before)} to {_username(user_id)}")
    return assignment


def delete_assignment(assignment: Assignment, *, actor: Any = None) -> None:
    """Delete an assignment for good with its messages, documents, timeline and calendar
    entries (each removal versioned; the files go once the delete is committed). Refused (409)
    while an invoice or tasks still refer to it."""
    with unit_of_work(actor=actor) as session:
        storage = get_storage()
        for document in assignment.documents:
            delete_after_commit(session, storage, document.storage_key)
        session.delete(assignment)


def existing_invoice(assignment: Assignment) -> Invoice | None:
    return db.session.scalars(
        sa.select(Invoice).where(Invoice.assignment_id == assignment.id).order_by(Invoice.id).limit(1)
    ).first()


def _lock(assignment: Assignment) -> None:
    table = Assignment.__table__
    db.session.execute(sa.select(table.c.id).where(table.c.id == assignment.id).with_for_update())


def generate_invoice(assignment: Assignment, *, actor: Any = None) -> Invoice:
    """The assignment's draft invoice: its number derived from the code (VAL/2026/0012 →
    INV/2026/0012), one line for the fee, the bank's invoice notes. A second call is a 409 naming
    the invoice already generated."""
    with unit_of_work(actor=actor) as session:
        _lock(assignment)  # two concurrent calls: the second waits, then finds the first's invoice
        other = existing_invoice(assignment)
        if other is not None:
            raise Conflict(
                f"This assignment's invoice was already generated: {other.label} (#{other.id}).",
                {"invoice": [f"Already generated: #{other.id}."]},
            )
        if assignment.fee is None or assignment.fee <= 0:
            raise Conflict("Set the assignment's fee before generating its invoice.", {"fee": ["Required."]})
        what = " · ".join(
            p for p in (assignment.property_type and str(assignment.property_type), assignment.address) if p
        )
        invoice = billing.create_invoice(
            assignment.client_id,
            lines=[
                {
                    "description": f"Valuation {assignment.code}" + (f" — {what}" if what else ""),
                    "quantity": 1,
                    "unit_price": assignment.fee,
                }
            ],
            number=billing.derived_invoice_number(assignment.code),
            notes=assignment.bank.invoice_notes if assignment.bank is not None else None,
            currency=assignment.currency,
            assignment_id=assignment.id,
        )
        log_activity(session, assignment, "invoice", f"Invoice {invoice.number} generated (draft)")
    return invoice


def add_message(assignment: Assignment, body: object, *, actor: Any = None) -> AssignmentMessage:
    if not isinstance(body, str) or not body.strip():
        raise invalid("body", "Write a message.")
    with unit_of_work(actor=actor) as session:
        message = AssignmentMessage(assignment=assignment, body=body.strip())
        session.add(message)
    return message


def add_task(
    assignment: Assignment,
    title: object,
    *,
    due_date: date | None = None,
    assignee_id: int | None = None,
    actor: Any = None,
) -> Task:
    """A task of the assignment (and of its client)."""
    if not isinstance(title, str) or not title.strip():
        raise invalid("title", "Required.")
    if assignee_id is not None and not valid_id(assignee_id):
        raise invalid("assignee_id", "Not a valid id.")
    with unit_of_work(actor=actor) as session:
        task = Task(
            title=title.strip(),
            due_date=due_date,
            assignee_id=assignee_id,
            client_id=assignment.client_id,
            assignment_id=assignment.id,
        )
        session.add(task)
        session.flush()
        log_activity(session, assignment, "task", f"Task added: {task.title}")
    return task


# ------------------------------------------------------------------ answers
def message_dict(message: AssignmentMessage, username: str | None = None) -> dict:
    if username is None:
        username = _username(message.created_by_id) if message.created_by_id else None
    return {
        "id": message.id,
        "assignment_id": message.assignment_id,
        "body": message.body,
        "author": username,
        "created_at": plain(message.created_at),
    }


def task_dict(task: Task) -> dict:
    return {
        "id": task.id,
        "title": task.title,
        "due_date": plain(task.due_date),
        "done": task.done,
        "assignee_id": task.assignee_id,
        "assignment_id": task.assignment_id,
    }
