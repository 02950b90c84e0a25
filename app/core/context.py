"""Who is acting, in which organization, from where.

In a request the actor is FAB's `g.user` (set for both the session cookie and the JWT) and the
organization is resolved from the `X-Organization-Id` header or the page switcher. Outside a
request (CLI, seed, tests calling services) `acting_as()` sets both explicitly.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import g, has_request_context, request


@dataclass(frozen=True)
class Acting:
    user_id: int | None
    organization_id: int | None
    system: bool = False  # a system actor bypasses row scope (seed, migrations)


# execution option: a query that must see every organization's rows (the scope hook skips it)
UNSCOPED = "opshub_unscoped"

_acting: contextvars.ContextVar[Acting | None] = contextvars.ContextVar("opshub_acting", default=None)


@contextmanager
def acting_as(user_id: int | None, organization_id: int | None, system: bool = False) -> Iterator[None]:
    token = _acting.set(Acting(user_id, organization_id, system))
    try:
        yield
    finally:
        _acting.reset(token)


def explicit() -> Acting | None:
    return _acting.get()


def request_user():
    """The authenticated FAB user of this request, or None."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def current_user_id() -> int | None:
    acting = explicit()
    if acting is not None:
        return acting.user_id
    user = request_user()
    return user.id if user is not None else None


def current_org_id() -> int | None:
    """The active organization, or None when there is none (system context, anonymous)."""
    acting = explicit()
    if acting is not None:
        return acting.organization_id
    if not has_request_context() or _org_resolver is None:
        return None
    return _org_resolver()


_org_resolver: Callable[[], int | None] | None = None


def register_org_resolver(resolver: Callable[[], int | None]) -> None:
    """The request's active organization comes from app/core/tenancy.py, which registers here
    (it needs the models, which must not load before Continuum is set up)."""
    global _org_resolver
    _org_resolver = resolver


def is_system() -> bool:
    acting = explicit()
    if acting is not None:
        return acting.system
    return not has_request_context()


def in_tenant_request() -> bool:
    """True in a request that must be tenant-filtered (everything but explicit system work)."""
    acting = explicit()
    if acting is not None:
        return not acting.system
    return has_request_context()


def remote_addr() -> str | None:
    """The client's address: validated and bounded (app.core.request_guard), or None."""
    from app.core.request_guard import client_address

    return client_address() if has_request_context() else None


def request_id() -> str | None:
    if not has_request_context():
        return None
    rid = getattr(g, "_opshub_request_id", None)
    if rid is None:
        from app.core.request_guard import valid_request_id

        rid = valid_request_id(request.headers.get("X-Request-Id")) or uuid.uuid4().hex
        g._opshub_request_id = rid
    return rid
