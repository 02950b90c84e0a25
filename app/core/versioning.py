"""SQLAlchemy-Continuum wiring.

* The transaction row carries the acting user (session or JWT), organization, remote address,
  request id and, when a service names it, the business action (`revert`, `status_change`...).
* Each versioned record touched by a transaction gets one `audit_record` row (resource,
  record id, action), so the audit log is one indexed query over two tables; the changed fields
  come from the version tables themselves.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy_continuum import make_versioned, versioning_manager
from sqlalchemy_continuum.plugins.base import Plugin
from sqlalchemy_continuum.transaction import TransactionFactory

from app.core import compat, context

ACTION_KEY = "opshub_action"
# session.info key: the user who approved the action this transaction carries out on its
# requester's behalf (app/approvals); the transaction's user is the requester
APPROVED_BY_KEY = "opshub_approved_by"
OPERATION_ACTIONS = {0: "create", 1: "update", 2: "delete"}


class OpsTransactionFactory(TransactionFactory):
    def create_class(self, manager):
        cls = super().create_class(manager)
        cls.organization_id = sa.Column(sa.Integer, index=True)
        cls.request_id = sa.Column(sa.String(64))
        cls.action = sa.Column(sa.String(32))
        # the API token a write was made with (app/core/tokens.py): its id and, kept as written, its name
        cls.token_id = sa.Column(sa.Integer)
        cls.token_name = sa.Column(sa.String(100))
        # an action taken after approval: its requester is `user_id`, its approver this one
        cls.approved_by_id = sa.Column(sa.Integer)
        sa.Index("ix_transaction_issued_at", cls.__table__.c.issued_at)
        return cls


def _record_action(target, operation_type: int, session) -> str:
    explicit = session.info.get(ACTION_KEY)
    if explicit:
        return explicit
    if operation_type != 1:
        return OPERATION_ACTIONS[operation_type]
    state = sa.inspect(target)
    # a model's lifecycle fields (a deal's stage and status): moving one is a status change
    for lifecycle in getattr(type(target), "__lifecycles__", ()):
        if state.attrs[lifecycle.field].history.has_changes():
            return lifecycle.audit_action
    if "archived_at" in state.attrs:
        hist = state.attrs.archived_at.history
        if hist.added and hist.added[0] is not None and (not hist.deleted or hist.deleted[0] is None):
            return "archive"
        if hist.deleted and hist.deleted[0] is not None and (not hist.added or hist.added[0] is None):
            return "restore"
    return "update"


def token_args() -> dict:
    """`token_id`/`token_name` of the API token this request's user acts with (none when a
    service acts for someone else: `acting_as` another user)."""
    from app.core import tokens

    token = tokens.presented()
    if token is None:
        return {"token_id": None, "token_name": None}
    acting = context.explicit()
    if acting is not None and acting.user_id != getattr(context.request_user(), "id", None):
        return {"token_id": None, "token_name": None}
    return {"token_id": token.id, "token_name": token.name}


class OpsHubPlugin(Plugin):
    def transaction_args(self, uow, session):
        return {
            "user_id": context.current_user_id(),
            "organization_id": context.current_org_id(),
            "remote_addr": context.remote_addr(),
            "request_id": context.request_id(),
            "action": session.info.get(ACTION_KEY),
            "approved_by_id": session.info.get(APPROVED_BY_KEY),
            **token_args(),
        }

    def _state(self, uow) -> dict:
        tx_id = compat.continuum_transaction_id(uow)
        state = compat.continuum_scratch(uow, "_opshub_audit")
        if state.get("tx") != tx_id:
            state.update(tx=tx_id, pending={}, written=set())
        return state

    def after_create_version_object(self, uow, parent_obj, version_obj):
        state = self._state(uow)
        key = (type(parent_obj).__name__, parent_obj.id)
        if key in state["written"] or key in state["pending"]:
            return
        session = sa.orm.object_session(parent_obj) or compat.continuum_version_session(uow)
        org_id = getattr(parent_obj, "organization_id", None)
        if org_id is None and parent_obj.__tablename__ == "organization":
            org_id = parent_obj.id  # an organization's own rows are its audit, nobody else's
        state["pending"][key] = (_record_action(parent_obj, version_obj.operation_type, session), org_id)

    def after_create_version_objects(self, uow, session):
        state = self._state(uow)
        if not state["pending"]:
            return
        from app.core.audit import AuditRecord

        rows = [
            {
                "transaction_id": state["tx"],
                "resource": resource,
                "record_id": record_id,
                "action": action,
                "organization_id": org_id,
            }
            for (resource, record_id), (action, org_id) in state["pending"].items()
        ]
        compat.continuum_version_session(uow).execute(sa.insert(AuditRecord.__table__), rows)
        state["written"].update(state["pending"])
        state["pending"] = {}


_done = False


def setup() -> None:
    global _done
    if _done:
        return
    versioning_manager.transaction_cls = OpsTransactionFactory()
    make_versioned(user_cls="User", plugins=[OpsHubPlugin()], options={"strategy": "validity"})
    compat.use_batched_validity()
    compat.skip_marshmallow_version_probe()
    # once the models are mapped (a model may declare an @aggregated attribute)
    sa.event.listen(sa.orm.Mapper, "after_configured", compat.drop_idle_aggregates_listener)
    _done = True


def transaction_model():
    return versioning_manager.transaction_cls
