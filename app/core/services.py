"""Generic record services shared by every resource: save with error mapping, optimistic
locking, archive/restore/delete. Domain services build on these."""

from __future__ import annotations

from app.core.errors import Conflict
from app.core.models import BusinessModel, utcnow
from app.core.uow import STALE_MESSAGE, unit_of_work


def check_version(obj: BusinessModel, expected: int | str | None) -> None:
    """409 when the client edited an older version than the row's current one."""
    if expected in (None, ""):
        return
    try:
        expected_int = int(str(expected).strip().strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        raise Conflict("Invalid version; expected the integer version of the record.") from None
    if expected_int != obj.version:
        raise Conflict(STALE_MESSAGE, {"version": [f"Current version is {obj.version}."]})


def archive(obj: BusinessModel) -> BusinessModel:
    if obj.archived_at is not None:
        return obj
    with unit_of_work():
        obj.archived_at = utcnow()
    return obj


def restore(obj: BusinessModel) -> BusinessModel:
    if obj.archived_at is None:
        return obj
    with unit_of_work():
        obj.archived_at = None
    return obj


def delete(obj: BusinessModel) -> None:
    """Hard delete (the default matrix grants `can_delete` to Admin only)."""
    with unit_of_work() as session:
        session.delete(obj)
