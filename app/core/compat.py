"""Every dependency on Flask-AppBuilder's and SQLAlchemy-Continuum's private internals, in one
place. `PRIVATE_SYMBOLS` lists each one with the signature we rely on; tests/core/test_compat.py
checks them all, so an upgrade that removes or changes one fails loudly, naming it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy_continuum import versioning_manager


# ------------------------------------------------------------------ SQLAlchemy-Continuum
def continuum_join_outer_transaction(session: Session) -> None:
    """Give Continuum's unit of work its version session now, outside any savepoint. Created
    lazily at the first flush inside a savepoint, it would own a savepoint of its own that the
    outer one's release leaves dangling ("nested transaction already deassociated")."""
    uow = versioning_manager.unit_of_work(session)
    if uow.version_session is None:
        uow.version_session = sa.orm.Session(bind=session.connection())
        uow.version_session.connection()  # begin now: it joins the outer transaction
