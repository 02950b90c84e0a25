"""Tenancy, part of the platform: organizations, memberships (a user's FAB role in one
organization) and the active organization of a request.

The active organization comes from the `X-Organization-Id` header on the API and from the page
switcher's choice (the session) on pages; by default it is the user's first membership. The
scope hook (app/core/scope.py) reads it inside every query: `current_org_id()` never touches the
ORM once resolved.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request, session
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core import context
from app.core.context import UNSCOPED
from app.core.errors import NotFound, invalid, valid_id
from app.core.models import AuditMixin, TenantMixin, utcnow
from app.extensions import db


class Organization(Model):
    __tablename__ = "organization"
    __versioned__ = {}

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    slug = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return self.name


class Membership(TenantMixin, AuditMixin, Model):
    __tablename__ = "membership"
    __versioned__ = {}
    __table_args__ = (sa.UniqueConstraint("user_id", "organization_id"),)
    __unchecked_fks__ = ("user_id",)  # a new member is not yet a member

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    role_id = sa.Column(sa.Integer, sa.ForeignKey("ab_role.id"), nullable=False)

    user = relationship("User", foreign_keys=[user_id])
    role = relationship("Role", lazy="joined")
    organization = relationship("Organization", lazy="joined")

    def validate(self) -> None:
        if self.role_id is None and self.role is None:
            raise invalid("role", "Required.")

    def __repr__(self) -> str:
        return f"{self.user} in {self.organization} as {self.role}"


def _user_memberships() -> None:
    """`user.memberships`, every organization's (for the global users page): a view-only
    relationship that the scope hook leaves unscoped (`info`)."""
    from flask_appbuilder.security.sqla.models import User

    if "memberships" not in User.__dict__:  # (inspecting the mapper here would configure it too early)
        User.memberships = relationship(
            Membership,
            primaryjoin=lambda: User.id == sa.orm.foreign(Membership.user_id),
            viewonly=True,
            lazy="select",  # only the users page reads them: it loads a page's in one SELECT
            order_by=lambda: Membership.id,
            info={UNSCOPED: True},
        )


_user_memberships()

ORG_HEADER = "X-Organization-Id"


def memberships_of(user_id: int) -> list[Membership]:
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.user_id == user_id)
            .order_by(Membership.id)
            .execution_options(**{UNSCOPED: True})
        ).unique()
    )


def membership_for(user_id: int | None, organization_id: int | None) -> Membership | None:
    if user_id is None or organization_id is None:
        return None
    return (
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.user_id == user_id, Membership.organization_id == organization_id)
            .execution_options(**{UNSCOPED: True})
        )
        .unique()
        .first()
    )


class _Active:
    """The request's organization. `org_id` is a plain int: reading it never touches the ORM
    (the scope filter reads it inside every query)."""

    __slots__ = ("membership", "memberships", "org_id", "organization")

    def __init__(self, organization, membership, memberships):
        self.organization = organization
        self.membership = membership
        self.memberships = memberships
        self.org_id = organization.id if organization is not None else None


def _requested_org_id() -> int | None:
    from app.core import tokens

    token_org = tokens.active_organization_id(request.headers.get(ORG_HEADER))
    if token_org is not None:
        return token_org  # an API token acts in its own organization only
    raw = request.headers.get(ORG_HEADER)
    if raw is None and not request.path.startswith("/api/"):
        raw = session.get("org_id")
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise NotFound("Organization not found.") from None
    if not valid_id(value):
        raise NotFound("Organization not found.")
    return value


def _resolve() -> _Active | None:
    if not has_request_context():
        return None
    cached = g.get("_opshub_active")
    if cached is not None:
        return cached
    if g.get("_opshub_resolving"):
        return None  # re-entered while loading the user: scoped queries see nothing meanwhile
    g._opshub_resolving = True
    try:
        return _resolve_uncached()
    finally:
        g._opshub_resolving = False


def _resolve_uncached() -> _Active | None:
    user = context.request_user()
    if user is None:
        return None
    memberships = memberships_of(user.id)
    wanted = _requested_org_id()
    membership = None
    organization = None
    if wanted is None:
        membership = memberships[0] if memberships else None
        organization = membership.organization if membership else None
    else:
        membership = next((m for m in memberships if m.organization_id == wanted), None)
        if membership is not None:
            organization = membership.organization
        elif current_app.appbuilder.sm.is_global_admin(user):
            organization = db.session.get(Organization, wanted)
        if organization is None:
            if request.headers.get(ORG_HEADER) is None:  # stale page choice: fall back
                membership = memberships[0] if memberships else None
                organization = membership.organization if membership else None
            else:
                raise NotFound("Organization not found.")
    if organization is None and current_app.appbuilder.sm.is_global_admin(user):
        organization = db.session.scalars(sa.select(Organization).order_by(Organization.id)).first()
    active = _Active(organization, membership, memberships)
    g._opshub_active = active
    return active


def resolve_active_org_id() -> int | None:
    active = _resolve()
    return active.org_id if active else None


def resolve_active_organization() -> Organization | None:
    active = _resolve()
    return active.organization if active else None


def resolve_active_membership() -> Membership | None:
    active = _resolve()
    return active.membership if active else None


def organizations_for_switcher() -> list[Organization]:
    active = _resolve()
    if active is None:
        return []
    user = context.request_user()
    if user is not None and current_app.appbuilder.sm.is_global_admin(user):
        return list(db.session.scalars(sa.select(Organization).order_by(Organization.name)))
    return [m.organization for m in active.memberships]


context.register_org_resolver(resolve_active_org_id)
