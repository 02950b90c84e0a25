"""Generic record services shared by every resource: save with error mapping, optimistic
locking, archive/restore/delete. Domain services build on these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import Conflict, DomainError
from app.core.integrity import generic_message
from app.core.models import BusinessModel, utcnow
from app.core.versioning import ACTION_KEY
from app.extensions import db

STALE_MESSAGE = "This record was changed by someone else since you loaded it; reload and try again."
# A constraint's name (PostgreSQL) or the columns SQLite names in its message -> the sentence a
# user reads when a concurrent write loses the race that the rule's own check could not see.
CONSTRAINT_MESSAGES: dict[str, str] = {}


def integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig)
    for marker, message in CONSTRAINT_MESSAGES.items():
        if marker in text:
            return message
    return generic_message(exc)  # never the database's own text


@contextmanager
def unit_of_work(action: str | None = None) -> Iterator[Session]:
    """One business action = one database transaction = one Continuum transaction."""
    session = db.session
    if action:
        session.info[ACTION_KEY] = action
    try:
        yield session
        session.flush()
        session.commit()
    except DomainError:
        session.rollback()
        raise
    except StaleDataError as exc:
        session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(integrity_message(exc)) from exc
    finally:
        session.info.pop(ACTION_KEY, None)


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
