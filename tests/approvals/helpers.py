"""The five sensitive actions of SPEC §9, each with a target, who asks, who decides, how it is
called on the API and on the page, and what it looks like once done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.approvals.models import ApprovalRequest
from app.extensions import db
from tests import factories as f
from tests.work import helpers as w


@dataclass
class Case:
    resource: str
    action: str
    api: str  # the resource's API path
    page: str  # its page's route base
    asker: str  # the role that asks
    decider: str  # a role that decides it
    make: Callable[[Any, Any], Any]  # (org, asker) -> the target
    body: Callable[[Any, Any], dict]  # (org, target) -> the action's arguments
    done: Callable[[int, dict], bool]  # (target id, arguments) -> is the action taken?

    @property
    def id(self) -> str:
        return f"{self.resource}.{self.action}"

    def call(self, client, target, headers, body: dict | None = None):
        """The action through its API route (a delete is the resource's DELETE)."""
        if self.action == "delete":
            return client.delete(f"{self.api}/{target.id}", headers=headers)
        return client.post(f"{self.api}/{target.id}/{self.action}", json=body or {}, headers=headers)


def _model(name: str):
    from app.core.registry import registry

    return registry.model(name)


def _status(name: str, pk: int) -> str | None:
    db.session.expire_all()
    row = db.session.get(_model(name), pk)
    return None if row is None else row.status


def _sent_invoice(org, _asker):
    return f.make_invoice(org, send=True)


def _assignment(org, _asker):
    return w.make_assignment(org, f.make_user(org, "Valuer"))


def _leave(org, _asker):
    return w.make_leave(org, f.make_user(org, "Staff"))


def _assignee(pk: int):
    db.session.expire_all()
    return db.session.get(_model("Assignment"), pk).assignee


CASES = [
    Case("Invoice", "mark_paid", "/api/v1/invoices", "/invoices", "Finance", "Finance", _sent_invoice,
         lambda org, t: {"method": "card"}, lambda pk, _: _status("Invoice", pk) == "paid"),
    Case("Invoice", "void", "/api/v1/invoices", "/invoices", "Finance", "Manager", _sent_invoice,
         lambda org, t: {}, lambda pk, _: _status("Invoice", pk) == "void"),
    Case("Assignment", "reassign", "/api/v1/assignments", "/assignments", "Manager", "Manager", _assignment,
         lambda org, t: {"user_id": f.make_user(org, "Valuer").id},
         lambda pk, body: _assignee(pk).id == body["user_id"]),
    Case("Assignment", "delete", "/api/v1/assignments", "/assignments", "Manager", "Admin", _assignment,
         lambda org, t: {}, lambda pk, _: _status("Assignment", pk) is None),
    Case("LeaveRequest", "approve", "/api/v1/leave-requests", "/leave-requests", "HR", "HR", _leave,
         lambda org, t: {}, lambda pk, _: _status("LeaveRequest", pk) == "approved"),
]  # fmt: skip


@dataclass(frozen=True)
class Ref:
    """A target by id (the row itself may be deleted by the action under test)."""

    id: int
    model: type


def prepare(case: Case, org):
    """(target, asker, decider, arguments) for one case."""
    asker = f.make_user(org, case.asker)
    decider = f.make_user(org, case.decider, admin=case.decider == "Admin")
    row = case.make(org, asker)
    return Ref(row.id, type(row)), asker, decider, case.body(org, row)


def requests_about(resource: str, pk: int, org=None) -> list[ApprovalRequest]:
    """The requests about a record (of the organization of the requests' users when given: on
    SQLite a deleted row's id comes back for the next row, so ids alone may name older rows)."""
    db.session.expire_all()
    where = [ApprovalRequest.resource == resource, ApprovalRequest.record_id == pk]
    if org is not None:
        where.append(ApprovalRequest.organization_id == org.id)
    return list(
        db.session.scalars(
            sa.select(ApprovalRequest)
            .where(*where)
            .order_by(ApprovalRequest.id)
            .execution_options(opshub_unscoped=True)
        )
    )


def versions(resource: str, pk: int) -> int:
    return len(f.versions_of(_model(resource), pk))


def set_policy(client, admin, org, resource: str, action: str, required: bool):
    resp = client.put(
        "/api/v1/approval-policy/",
        json={"policy": [{"resource": resource, "action": action, "requires_approval": required}]},
        headers=f.auth(admin, org),
    )
    assert resp.status_code == 200, resp.get_json()
    return resp
