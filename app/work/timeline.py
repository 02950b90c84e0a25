"""An assignment's timeline: its activities (status changes, reassignments, documents, the
invoice, tasks), its messages and its versions (who changed which fields), newest first — read
through the scoped session like everything else."""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User

from app.crm.timeline import Entry, _contributed, _merge, _versions
from app.extensions import db
from app.work.models import Assignment, AssignmentActivity

LIMIT = 60


def assignment_timeline(assignment: Assignment, messages=None, documents=None) -> list[Entry]:
    rows = db.session.execute(
        sa.select(AssignmentActivity, User.username)
        .outerjoin(User, User.id == AssignmentActivity.created_by_id)
        .where(AssignmentActivity.assignment_id == assignment.id)
        .order_by(AssignmentActivity.id.desc())
        .limit(LIMIT)
    ).all()
    activities = [Entry(a.created_at, a.kind, a.body, u, "Assignment", assignment.id) for a, u in rows]
    said = [
        Entry(m.created_at, "comment", f"Message: {m.body[:200]}", u, "Assignment", assignment.id)
        for m, u in (messages or [])
    ]
    versions = _versions({"Assignment": [assignment.id]}, {("Assignment", assignment.id): assignment.code})
    return _merge(activities, said, versions, _contributed({"Assignment": [assignment.id]}))
