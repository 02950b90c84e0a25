"""Lifecycles as data: a state field's states, its allowed moves, which moves are rollbacks (and
the permission they need), where a new record starts, and what a move writes.

    LEAD_STATUS = Lifecycle("status", ("new", "contacted", "qualified", "lost"), resource="Lead",
                            moves={"new": ("contacted",), ...}, rollbacks={("lost", "contacted")},
                            initial="new", record=write_activity)

A model lists its lifecycles in `__lifecycles__`; the flush guard (app/core/scope.py) calls
`apply()` on every insert and update, whatever the entry point — API, page, board, revert,
import, seed. A move outside the lifecycle is a 409 naming the allowed next states; a rollback
without its permission is a 403; each move is audited as `status_change` and written by the
lifecycle's `record` callback (a timeline entry) in the same transaction. `transition()` is the
one service that moves a record; `action()` declares it as a record action (`POST
.../transition {"to": ...}`, the page's buttons).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields

from app.core import context
from app.core.actions import Choice, RecordAction
from app.core.errors import Conflict, Forbidden, invalid
from app.core.models import committed


def article(noun: str) -> str:
    """ "a deal", "an assignment"."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _changed(record, attr: str) -> bool:
    return sa.inspect(record).attrs[attr].history.has_changes()


@dataclass(frozen=True)
class Lifecycle:
    field: str
    states: tuple[str, ...]
    resource: str
    # state -> the states it may move to; None: the states are ordered and any later one may be
    # reached (skipping too)
    moves: Mapping[str, tuple[str, ...]] | None = None
    # (from, to) moves that need `rollback_permission`; None with ordered states: any earlier one
    rollbacks: frozenset[tuple[str, str]] | None = None
    rollback_permission: str = "can_rollback_stage"
    # where a new record starts (None: any state); system work (imports of history, the seed) may
    # create records in any state
    initial: str | None = None
    noun: str = "record"
    # a sentence when the record cannot move at all (a converted lead), else None
    locked: Callable[[Any], str | None] | None = None
    # writes what a move records (a timeline entry): record(session, record, {field: (old, new)})
    record: Callable[[Any, Any, dict[str, tuple[Any, Any]]], None] | None = None
    audit_action: str = "status_change"
    # the 403's sentence for a rollback without the permission: refusal(old, new)
    refusal: Callable[[str, str], str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    # ---------------------------------------------------------------- the rules
    def label(self, state: str) -> str:
        return self.labels.get(state, state.replace("_", " "))

    def forward(self, state: str) -> tuple[str, ...]:
        if self.moves is None:
            return self.states[self.states.index(state) + 1 :] if state in self.states else ()
        return self.moves.get(state, ())

    def is_rollback(self, old: str, new: str) -> bool:
        if self.rollbacks is not None:
            return (old, new) in self.rollbacks
        return (
            self.moves is None
            and new in self.states
            and old in self.states
            and (self.states.index(new) < self.states.index(old))
        )

    def targets(self, state: str) -> tuple[str, ...]:
        """Every state `state` may move to: forward moves and rollbacks."""
        back = tuple(s for s in self.states if s != state and self.is_rollback(state, s))
        return tuple(dict.fromkeys([*self.forward(state), *back]))

    def may_roll_back(self) -> bool:
        from app.core.scope import capability

        return capability(self.rollback_permission, self.resource)

    def may_move(self, record, to: str) -> bool:
        """Would the acting user's move of `record` to `to` pass the rules? (For buttons.)"""
        state = getattr(record, self.field)
        if to == state or to not in self.targets(state):
            return False
        if self.locked is not None and self.locked(record):
            return False
        return not self.is_rollback(state, to) or self.may_roll_back()

    def check(self, record, old: str, new: str) -> None:
        if self.locked is not None:
            reason = self.locked(record)
            if reason:
                raise Conflict(reason, {self.field: [reason]})
        if new not in self.targets(old):
            allowed = ", ".join(self.targets(old)) or "none (it is final)"
            raise Conflict(
                f"{article(self.noun).capitalize()} cannot go from {old} to {new} (from {old}: {allowed}).",
                {self.field: [f"Cannot go from {old} to {new}; allowed next: {allowed}."]},
            )
        if self.is_rollback(old, new) and not self.may_roll_back():
            message = (
                self.refusal(old, new)
                if self.refusal
                else f"Your role may not move {article(self.noun)} back from {old} to {new}; a manager can."
            )
            raise Forbidden(message)

    def check_new(self, record) -> None:
        state = getattr(record, self.field)
        if state not in self.states:
            raise invalid(self.field, f"Unknown {self.field} {state!r}; one of: {', '.join(self.states)}.")
        if self.initial is not None and state != self.initial and not context.is_system():
            raise invalid(self.field, f"{article('new ' + self.noun).capitalize()} starts as {self.initial}.")

    # ---------------------------------------------------------------- the one service
    def transition(self, record, to: object, *, actor=None):
        """Move `record` to `to` in one unit of work (the flush guard applies the rules)."""
        from app.core.uow import unit_of_work

        if not isinstance(to, str) or to not in self.states:
            raise invalid(self.field, f"Unknown {self.field} {to!r}; one of: {', '.join(self.states)}.")
        if getattr(record, self.field) == to:
            return record
        with unit_of_work(actor=actor):
            setattr(record, self.field, to)
        return record

    def action(self, name: str = "transition", label: str = "Move", **options) -> RecordAction:
        params = type(
            f"{self.resource}{name.title().replace('_', '')}Params",
            (Schema,),
            {"to": fields.String(required=True, metadata={"enum": list(self.states)})},
        )
        return RecordAction(
            name,
            label,
            lambda record, to: self.transition(record, to),
            params=params,
            choices=lambda record: [
                Choice(f"Mark {self.label(s)}", {"to": s}) for s in self.targets(getattr(record, self.field))
            ],
            allowed=lambda record, choice: self.may_move(record, choice.params["to"]),
            done=lambda record, _: f"“{record}” is now {self.label(getattr(record, self.field))}.",
            summary=f'Move the {self.noun} to another {self.field}: {{"to": ...}} (the rules of its lifecycle apply).',
            **options,
        )


def lifecycles_of(model: type) -> tuple[Lifecycle, ...]:
    return tuple(getattr(model, "__lifecycles__", ()))


def status_fields(model: type) -> tuple[str, ...]:
    return tuple(lc.field for lc in lifecycles_of(model))


def apply(session, record, is_new: bool) -> None:
    """The flush guard's step: check every lifecycle field that changed; record the move once."""
    lifecycles = lifecycles_of(type(record))
    if not lifecycles:
        return
    if is_new:
        for lc in lifecycles:
            lc.check_new(record)
        return
    changes: dict[str, tuple[Any, Any]] = {}
    for lc in lifecycles:
        if _changed(record, lc.field):
            old, new = committed(record, lc.field), getattr(record, lc.field)
            if old != new:
                lc.check(record, old, new)
                changes[lc.field] = (old, new)
    if not changes:
        return
    recorders = []
    for lc in lifecycles:
        if lc.record is not None and lc.record not in recorders:
            recorders.append(lc.record)
    for recorder in recorders:
        recorder(session, record, changes)
