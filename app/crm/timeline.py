"""Timelines of a deal and of a client: activities (comments, stage and status changes, system
events) and versions (who changed which fields), newest first, in one list.

A client's timeline gathers the client, its deals, its leads (the ones converted into it) and
the tasks linked to it or to its deals. Everything is read through the scoped session: another
organization's rows do not exist here either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User

from app.core import context
from app.core.audit import AuditRecord, audit_query, changes_for
from app.core.history import model_for_resource
from app.core.readable import Readable
from app.crm.models import Activity, Client, Deal, Lead, Task
from app.extensions import db

LIMIT = 60
DERIVED = ("furthest_stage", "closed_at")  # follow from the stage and status
MOVES = ("stage", "status")
LABELS = {"Client": "client", "Deal": "deal", "Lead": "lead", "Task": "task"}


@dataclass
class Entry:
    when: datetime
    kind: str  # an activity kind, or "version"
    text: str
    user: str | None
    resource: str | None = None
    record_id: int | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def order(self) -> tuple:
        # a version and the activity its transaction wrote share a time: the activity first
        return (self.when, self.kind != "version")


def _activities(where: sa.ColumnElement[bool]) -> list[Entry]:
    rows = db.session.execute(
        sa.select(Activity, User.username)
        .outerjoin(User, User.id == Activity.created_by_id)
        .where(where)
        .order_by(Activity.id.desc())
        .limit(LIMIT)
    ).all()
    return [
        Entry(
            a.created_at,
            a.kind,
            a.body,
            u,
            "Deal" if a.deal_id else ("Lead" if a.lead_id else "Client"),
            a.deal_id or a.lead_id or a.client_id,
        )
        for a, u in rows
    ]


def _versions(records: dict[str, list[int]], names: dict[tuple[str, int], str]) -> list[Entry]:
    wanted = [
        sa.and_(AuditRecord.resource == resource, AuditRecord.record_id.in_(ids))
        for resource, ids in records.items()
        if ids
    ]
    if not wanted:
        return []
    rows = db.session.execute(audit_query(context.current_org_id()).where(sa.or_(*wanted)).limit(LIMIT)).all()
    changes = changes_for(db.session, [row[0] for row in rows])
    readable = Readable(db.session)
    kept = []
    for rec, issued_at, username, _token in rows:
        # a creation lists every field: the record itself says it better; edits show their diff
        fields = {} if rec.action == "create" else changes.get(rec.id, {})
        fields = {k: v for k, v in fields.items() if k not in DERIVED}
        if rec.action == "status_change":
            # the move is the activity's line: the version adds only the other fields it changed
            fields = {k: v for k, v in fields.items() if k not in MOVES}
            if not fields:
                continue
        model = model_for_resource(rec.resource)
        if model is not None:
            readable.collect(model, fields)
        kept.append((rec, issued_at, username, fields, model))
    readable.resolve()
    out = []
    for rec, issued_at, username, fields, model in kept:
        label = names.get((rec.resource, rec.record_id)) or f"#{rec.record_id}"
        text = f"{rec.action.replace('_', ' ')} · {LABELS.get(rec.resource, rec.resource)} {label}"
        shown = readable.render(model, fields) if model is not None else []
        out.append(Entry(issued_at, "version", text, username, rec.resource, rec.record_id, shown))
    return out


def _contributed(records: dict[str, list[int]]) -> list[Entry]:
    """What other domains add to these records' timelines (approval requests and decisions)."""
    from app.core.registry import registry

    return [Entry(**entry) for entry in registry.timeline_entries({r: ids for r, ids in records.items() if ids})]


def _merge(*groups: list[Entry]) -> list[Entry]:
    entries = [e for group in groups for e in group]
    entries.sort(key=lambda e: e.order, reverse=True)
    return entries[:LIMIT]


def _readable(resource: str) -> bool:
    from app.core.scope import capability

    return capability("can_read", resource)


def deal_timeline(deal: Deal) -> list[Entry]:
    tasks = []
    if _readable("Task"):
        tasks = list(db.session.execute(sa.select(Task.id, Task.title).where(Task.deal_id == deal.id)).all())
    names = {("Deal", deal.id): deal.title, **{("Task", i): t for i, t in tasks}}
    records = {"Deal": [deal.id], "Task": [i for i, _ in tasks]}
    return _merge(_activities(Activity.deal_id == deal.id), _versions(records, names), _contributed(records))


def client_timeline(client: Client) -> list[Entry]:
    """Only what the user may read: a role without can_read on Deal, Lead or Task sees neither
    those rows' versions nor their activities here."""
    deals, leads, tasks = [], [], []
    if _readable("Deal"):
        deals = list(db.session.execute(sa.select(Deal.id, Deal.title).where(Deal.client_id == client.id)).all())
    deal_ids = [i for i, _ in deals]
    if _readable("Lead"):
        leads = list(db.session.execute(sa.select(Lead.id, Lead.name).where(Lead.client_id == client.id)).all())
    lead_ids = [i for i, _ in leads]
    if _readable("Task"):
        task_where = Task.client_id == client.id
        if deal_ids:
            task_where = sa.or_(task_where, Task.deal_id.in_(deal_ids))
        tasks = list(db.session.execute(sa.select(Task.id, Task.title).where(task_where)).all())
    names = {
        ("Client", client.id): client.name,
        **{("Deal", i): t for i, t in deals},
        **{("Lead", i): n for i, n in leads},
        **{("Task", i): t for i, t in tasks},
    }
    where = Activity.client_id == client.id
    if not _readable("Deal"):
        where = sa.and_(where, Activity.deal_id.is_(None))
    if not _readable("Lead"):
        where = sa.and_(where, Activity.lead_id.is_(None))
    if deal_ids:
        where = sa.or_(where, Activity.deal_id.in_(deal_ids))
    if lead_ids:
        where = sa.or_(where, Activity.lead_id.in_(lead_ids))
    records = {"Client": [client.id], "Deal": deal_ids, "Lead": lead_ids, "Task": [i for i, _ in tasks]}
    return _merge(_activities(where), _versions(records, names), _contributed(records))
