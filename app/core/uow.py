"""Units of work: one business action = one database transaction = one Continuum transaction,
however many services it calls.

    with unit_of_work("convert", actor=user_id) as session:   # the outermost unit commits
        crm.services.move_deal(deal, "proposal")              # an inner unit joins it
        ...                                                   # an exception anywhere: all undone

* Only the outermost unit commits. An inner one joins its transaction (it flushes at its end, so
  that its rule errors surface where it ran, but never commits).
* An exception leaving any unit rolls the whole action back: the outermost unit rolls back, and
  an exception swallowed by a caller between an inner unit and the outermost one still dooms the
  action (the outermost refuses to commit it).
* The outermost unit's action name is the one audited; an inner unit's is ignored.
* `actor` (a user or user id) makes that user the acting user for the whole action — the version
  and audit rows name them, and the rules check their permissions — where the caller is not the
  request's user (the seed, an approval executed on behalf of its requester, an import run from
  the CLI). An inner unit may repeat the outer's actor but not name another one.
* `dry_run()` is an outermost unit that is always rolled back; inside it `attempt()` tries one
  step in a savepoint and undoes just that step when it fails (an import's preview, row by row).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core import compat, context
from app.core.errors import Conflict, DomainError
from app.core.integrity import generic_message
from app.core.versioning import ACTION_KEY
from app.extensions import db

STALE_MESSAGE = "This record was changed by someone else since you loaded it; reload and try again."
DEPTH_KEY = "opshub_uow_depth"
DOOMED_KEY = "opshub_uow_doomed"
DRY_RUN_KEY = "opshub_dry_run"


@dataclass(frozen=True)
class ConstraintMessage:
    """The sentence a user reads when a named constraint refuses a write — typically a
    concurrent write that won a race the rule's own check could not see. PostgreSQL names the
    constraint; SQLite names the kind and the columns (`UNIQUE constraint failed: t.a, t.b`)."""

    name: str
    table: str
    columns: tuple[str, ...]
    message: str
    kind: str = "UNIQUE"  # or "CHECK", "NOT NULL", "FOREIGN KEY"

    def matches(self, exc: IntegrityError) -> bool:
        diag = getattr(exc.orig, "diag", None)
        if diag is not None:
            return getattr(diag, "constraint_name", None) == self.name
        text = str(exc.orig)
        if self.kind == "CHECK":
            return text == f"CHECK constraint failed: {self.name}"
        prefix = f"{self.kind} constraint failed: "
        if not text.startswith(prefix):
            return False
        named = {part.strip() for part in text[len(prefix) :].split(",")}
        return named == {f"{self.table}.{col}" for col in self.columns}


_constraint_messages: list[ConstraintMessage] = []


def register_constraint_messages(messages: list[ConstraintMessage]) -> None:
    for message in messages:
        if message not in _constraint_messages:
            _constraint_messages.append(message)


def integrity_message(exc: IntegrityError) -> str:
    """A sentence for a refused write; never the database's own text."""
    for message in _constraint_messages:
        if message.matches(exc):
            return message.message
    return generic_message(exc)  # a sentence by the kind of constraint; the database's text is logged


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", actor)


def in_unit_of_work(session: Session | None = None) -> bool:
    return bool((session or db.session).info.get(DEPTH_KEY))


@contextmanager
def unit_of_work(action: str | None = None, *, actor: Any = None) -> Iterator[Session]:
    session = db.session
    info = session.info
    if info.get(DEPTH_KEY):
        if actor is not None and _actor_id(actor) != context.current_user_id():
            raise RuntimeError("An inner unit of work cannot name another actor than the action it joins.")
        info[DEPTH_KEY] += 1
        try:
            yield session
            session.flush()
        except BaseException:
            info[DOOMED_KEY] = True
            raise
        finally:
            info[DEPTH_KEY] -= 1
        return

    with ExitStack() as stack:
        if actor is not None:
            stack.enter_context(
                context.acting_as(_actor_id(actor), context.current_org_id(), system=context.is_system())
            )
        info[DEPTH_KEY] = 1
        info[DOOMED_KEY] = False
        if action:
            info[ACTION_KEY] = action
        try:
            yield session
            if info.get(DOOMED_KEY):
                raise RuntimeError("An inner step of this action failed; the action is rolled back as a whole.")
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
        except BaseException:
            session.rollback()
            raise
        finally:
            info.pop(ACTION_KEY, None)
            info.pop(DEPTH_KEY, None)
            info.pop(DOOMED_KEY, None)


@contextmanager
def dry_run(action: str | None = None, *, actor: Any = None, versions: bool = True) -> Iterator[Session]:
    """An outermost unit whose work is always rolled back: every rule runs, nothing stays.
    `versions=False` skips Continuum's version rows, which a dry run throws away anyway (the
    rules and the database's constraints all run; an import's preview is a third faster)."""
    session = db.session
    if session.info.get(DEPTH_KEY):
        raise RuntimeError("A dry run is an action of its own; it cannot join another unit of work.")
    with ExitStack() as stack:
        if actor is not None:
            stack.enter_context(
                context.acting_as(_actor_id(actor), context.current_org_id(), system=context.is_system())
            )
        _begin_for_savepoints(session)
        compat.continuum_join_outer_transaction(session)
        session.info[DEPTH_KEY] = 1
        session.info[DRY_RUN_KEY] = True
        if not versions:
            session.info[compat.UNVERSIONED_KEY] = True
        if action:
            session.info[ACTION_KEY] = action
        try:
            yield session
            session.flush()
        finally:
            session.rollback()
            for key in (ACTION_KEY, DEPTH_KEY, DOOMED_KEY, DRY_RUN_KEY, compat.UNVERSIONED_KEY):
                session.info.pop(key, None)


def _begin_for_savepoints(session: Session) -> None:
    """pysqlite begins a transaction only before the first INSERT/UPDATE/DELETE: a SAVEPOINT sent
    first would open the transaction itself, and releasing it would COMMIT. Begin for real
    (IMMEDIATE: a dry run writes, so take the write lock now rather than fail to upgrade later)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def attempt() -> Iterator[Session]:
    """Inside a dry run: one step in a savepoint. When the step fails its work is undone and the
    exception re-raised for the caller, which may carry on with the next step. (Only in dry runs:
    a savepoint rolled back leaves Continuum's unit of work remembering versions that no longer
    exist, which is harmless only when the whole transaction is rolled back too.)"""
    session = db.session
    if not session.info.get(DRY_RUN_KEY):
        raise RuntimeError("attempt() is for dry runs; a real action succeeds or fails as a whole.")
    savepoint = session.begin_nested()
    try:
        yield session
        session.flush()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        session.info[DOOMED_KEY] = False
        raise
    else:
        savepoint.commit()
