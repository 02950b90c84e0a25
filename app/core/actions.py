"""Record actions, declared once: `archive`, `restore`, `revert`, `move`, `close`, `convert`...

A `RecordAction` names a service and says who may call it and how:
    RecordAction("close", "Close", close_deal, params=CloseParams, choices=close_choices)
From the declaration come
* the API route `POST /api/v1/<resource>/<pk>/<name>` with its OpenAPI entry (the params schema
  is the request body),
* the page button(s) on the record's page (`choices`), shown only to roles that may use them, and
  the bulk action on the list (`bulk=True`),
* the capability listed by `GET /api/v1/me` (`actions`).
Every entry point runs the action through `run()`: the one place a policy (approvals,
SPEC §9) can intercept a declared action, whatever path called it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

from app.core.errors import MAX_ID, Invalid


@dataclass(frozen=True)
class Choice:
    """One button of an action on a record's page: what it says and the parameters it posts."""

    label: str
    params: Mapping[str, Any] = field(default_factory=dict)
    style: str = "default"
    confirm: str | None = None
    icon: str = ""


@dataclass(frozen=True)
class RecordAction:
    name: str
    label: str
    # service(record, **params) -> anything; raises DomainErrors (4xx) and writes nothing then
    service: Callable[..., Any]
    permission: str = "can_write"  # on the record's resource
    params: type[Schema] | None = None
    # can the record, in its current state, take this action at all? (Restore: archived only)
    available: Callable[[Any], bool] = lambda record: True
    # the page's buttons for a record (default: one button, no parameters); each choice is
    # offered only if `allowed(record, choice)` says the user may take it
    choices: Callable[[Any], list[Choice]] | None = None
    allowed: Callable[[Any, Choice], bool] | None = None
    confirm: str | None = None
    icon: str = ""
    style: str = "default"
    status: int = 200
    # offered only to users who may change the record (the owner rule, which the flush guard
    # enforces anyway); off for actions that do not change the record itself
    owner_rule: bool = True
    result: Callable[[Any, Any], dict] | None = None  # the API body; default: the record
    done: Callable[[Any, Any], str] | None = None  # the page's success message
    next_page: Callable[[Any, Any], str | None] | None = None  # where the page goes afterwards
    bulk: bool = False  # also a bulk action on the list
    on_page: bool = True  # a button on the record's page (revert has its own, in History)
    summary: str = ""
    # the API route's last segment when it is not the name (`add_payment` answers at .../payments)
    path: str | None = None

    @property
    def route_name(self) -> str:
        return f"action_{self.name}"

    @property
    def route_path(self) -> str:
        return self.path or self.name

    def buttons(self, record) -> list[Choice]:
        if self.choices is None:
            return [Choice(self.label, style=self.style, confirm=self.confirm, icon=self.icon)]
        options = self.choices(record)
        if self.allowed is not None:
            options = [c for c in options if self.allowed(record, c)]
        return options

    def load(self, body: Mapping[str, Any], *, form: bool = False) -> dict[str, Any]:
        """The validated parameters (422 with a message per field). A page form posts text: its
        whole numbers are read as integers for the schema's (strict) integer fields."""
        if form and self.params is not None:
            ints = {name for name, f in self.params().fields.items() if isinstance(f, fields.Integer)}
            body = {k: int(v) if k in ints and isinstance(v, str) and v.isdigit() else v for k, v in body.items()}
        if self.params is None:
            unknown = [k for k in body if k not in ("csrf_token", "next")]
            if unknown:
                raise Invalid("Unknown parameters", {k: ["Unknown field."] for k in unknown})
            return {}
        try:
            return self.params().load({k: v for k, v in body.items() if k not in ("csrf_token", "next")})
        except ValidationError as err:
            fields_ = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
            detail = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in fields_.items())
            raise Invalid(detail or "Invalid input", fields_) from err


@dataclass(frozen=True)
class Outcome:
    """What running an action did: `result` is the service's return value; `pending` is set
    when a policy turned the call into a request instead (approvals)."""

    result: Any = None
    pending: dict | None = None


# Policies consulted before an action runs (approvals, SPEC §9, registers one): each gets
# (resource, action, record, params) and returns an Outcome to stop there, or None.
_interceptors: list[Callable[[str, RecordAction, Any, dict], Outcome | None]] = []


def add_interceptor(interceptor: Callable[[str, RecordAction, Any, dict], Outcome | None]) -> None:
    if interceptor not in _interceptors:
        _interceptors.append(interceptor)


def run(resource: str, action: RecordAction, record, params: Mapping[str, Any]) -> Outcome:
    """Run a declared action on a record (the parameters already loaded by `action.load`)."""
    for interceptor in _interceptors:
        outcome = interceptor(resource, action, record, dict(params))
        if outcome is not None:
            return outcome
    return Outcome(result=action.service(record, **params))


def may(resource: str, action: RecordAction, record=None) -> bool:
    """May the acting user take `action` (on `record`, as it is saved)?"""
    from app.core.scope import capability, may_change

    if not capability(action.permission, resource):
        return False
    if record is None:
        return True
    if not action.available(record):
        return False
    return not action.owner_rule or may_change(record)


# ------------------------------------------------------------------ the generic actions
class RevertParams(Schema):
    transaction_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_ID))


def _revert(record, transaction_id: int):
    from app.core import history
    from app.extensions import db

    return history.revert(db.session, record, transaction_id)


def _archive(record):
    from app.core import services

    return services.archive(record)


def _restore(record):
    from app.core import services

    return services.restore(record)


ARCHIVE = RecordAction(
    "archive",
    "Archive",
    _archive,
    permission="can_archive",
    available=lambda r: getattr(r, "archived_at", None) is None,
    confirm="Archive this record? It leaves the lists and can be restored.",
    icon="fa-archive",
    style="warning",
    bulk=True,
    done=lambda r, _: f"“{r}” archived.",
    summary="Archive (soft delete) the record: it leaves the default lists and can be restored.",
)
RESTORE = RecordAction(
    "restore",
    "Restore",
    _restore,
    permission="can_archive",
    available=lambda r: getattr(r, "archived_at", None) is not None,
    icon="fa-undo",
    bulk=True,
    done=lambda r, _: f"“{r}” restored.",
    summary="Restore an archived record.",
)
REVERT = RecordAction(
    "revert",
    "Revert",
    _revert,
    permission="can_revert",
    params=RevertParams,
    on_page=False,
    done=lambda r, _: f"“{r}” reverted.",
    summary="Restore the record's fields to their state after a transaction (the same rules as an edit).",
)


@functools.cache
def generic_actions(model: type) -> tuple[RecordAction, ...]:
    out = []
    if hasattr(model, "archived_at") and getattr(model, "__archivable__", True):
        out += [ARCHIVE, RESTORE]
    if hasattr(model, "__versioned__") and getattr(model, "__revertible__", True):
        out.append(REVERT)
    return tuple(out)


def capabilities() -> dict[str, list[str]]:
    """resource -> the actions the acting user may take on its records (by permission; the
    record's own state and the owner rule decide the rest)."""
    from app.core.registry import registry
    from app.core.scope import capability

    out: dict[str, list[str]] = {}
    for name in registry.resources:
        allowed = [a.name for a in registry.actions_of(name) if capability(a.permission, name)]
        if allowed:
            out[name] = allowed
    return out


def attach_actions(cls: type, resource, actions: list[RecordAction]) -> None:
    """Give a resource's page or API class its declared actions (core calls this once, before
    FAB instantiates the class)."""
    if getattr(cls, "_record_actions_for", None) is cls:
        return
    hook = getattr(cls, "attach_record_actions", None)
    if hook is None:
        current_app.logger.debug("%s takes no record actions", cls.__name__)
        return
    hook(resource, actions)
    cls._record_actions_for = cls
