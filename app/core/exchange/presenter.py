"""Change sets as the API answers them and the pages show them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User

from app.core.exchange import progress
from app.core.exchange.models import ChangeSet, ChangeSetRow
from app.extensions import db

ROWS = ChangeSetRow.__table__


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _usernames(ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all())


def header_dict(cs: ChangeSet, names: dict[int, str] | None = None) -> dict[str, Any]:
    names = names if names is not None else _usernames({cs.created_by_id, cs.committed_by_id, cs.reverted_by_id})
    return {
        "id": cs.id,
        "resource": cs.resource,
        "file_name": cs.file_name,
        "format": cs.file_format,
        "key": cs.key_column,
        "state": cs.state,
        "summary": cs.summary(),
        "total_rows": cs.total_rows,
        "created_by": names.get(cs.created_by_id),
        "created_at": _iso(cs.created_at),
        "expires_at": _iso(cs.expires_at) if cs.state in ("analyzing", "preview") else None,
        "committed_by": names.get(cs.committed_by_id),
        "committed_at": _iso(cs.committed_at),
        "transaction_id": cs.transaction_id,
        "reverted_by": names.get(cs.reverted_by_id),
        "reverted_at": _iso(cs.reverted_at),
    }


def rows_page(cs: ChangeSet, page: int, page_size: int, action: str | None = None) -> list[dict[str, Any]]:
    if page_size <= 0:
        return []
    stmt = sa.select(
        ROWS.c.row_no, ROWS.c.action, ROWS.c.key, ROWS.c.record_id, ROWS.c.changes, ROWS.c.errors, ROWS.c.data
    ).where(ROWS.c.change_set_id == cs.id)
    if action:
        stmt = stmt.where(ROWS.c.action == action)
    stmt = stmt.order_by(ROWS.c.row_no).offset(page * page_size).limit(page_size)
    return [
        {
            "row": r.row_no,
            "action": r.action,
            "key": r.key,
            "record_id": r.record_id,
            "changes": r.changes or {},
            "errors": r.errors or {},
            **({"data": r.data} if r.action == "error" else {}),
        }
        for r in db.session.execute(stmt)
    ]


def change_set_dict(cs: ChangeSet, *, page: int, page_size: int, action: str | None = None) -> dict[str, Any]:
    out = header_dict(cs)
    out["columns"] = list(cs.columns or [])
    out["progress"] = progress.read(cs.id)
    out["page"] = page
    out["page_size"] = page_size
    out["rows"] = rows_page(cs, page, page_size, action)
    return out


def change_set_list(
    resources: list[str], resource: str | None, state: str | None, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    stmt = sa.select(ChangeSet).where(ChangeSet.resource.in_(resources))
    if resource:
        stmt = stmt.where(ChangeSet.resource == resource)
    if state:
        stmt = stmt.where(ChangeSet.state == state)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    sets = list(db.session.scalars(stmt.order_by(ChangeSet.id.desc()).offset(page * page_size).limit(page_size)))
    names = _usernames({i for cs in sets for i in (cs.created_by_id, cs.committed_by_id, cs.reverted_by_id)})
    result = []
    for cs in sets:
        entry = header_dict(cs, names)
        if cs.state in ("analyzing",):
            entry["progress"] = progress.read(cs.id)
        result.append(entry)
    return result, count
