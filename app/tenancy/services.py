"""Organizations and memberships: the active organization of a request, registration, members."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request, session

from app.core import context
from app.core.errors import Conflict, Invalid, NotFound, valid_id
from app.core.scope import UNSCOPED
from app.extensions import db
from app.tenancy.models import Membership, Organization

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


# ------------------------------------------------------------------ registration and members
SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    return SLUG_RE.sub("-", name.lower()).strip("-")[:60] or "org"


def unique_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while db.session.scalar(sa.select(Organization.id).where(Organization.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


OWNER_ROLE = "Admin"  # an organization's first member administers it


def register_organization(
    *, organization_name: str, username: str, password: str, email: str, first_name: str, last_name: str
) -> tuple[Organization, object]:
    """Create an organization and its first owner, in one transaction attributed to that owner.
    The owner's membership role is `Admin` — every permission inside this organization, member
    management included — which is not global Admin: users, roles and permissions stay with the
    global administrators."""
    from flask_appbuilder.security.sqla.models import User
    from werkzeug.security import generate_password_hash

    from app.core.uow import unit_of_work

    sm = current_app.appbuilder.sm
    if sm.find_user(username=username) is not None:
        raise Conflict("Username already taken.", {"username": ["Already taken."]})
    if sm.find_user(email=email) is not None:
        raise Conflict("Email already registered.", {"email": ["Already registered."]})
    role = sm.find_role(OWNER_ROLE)
    if role is None:
        raise Invalid("Roles are not set up; run `flask opshub seed`.")
    with unit_of_work() as s:
        user = User(
            first_name=first_name,
            last_name=last_name,
            username=username,
            email=email,
            active=True,
            password=generate_password_hash(password),
        )
        s.add(user)
        s.flush()
        with context.acting_as(user.id, None, system=True):
            org = Organization(name=organization_name, slug=unique_slug(organization_name))
            s.add(org)
            s.flush()
            s.add(Membership(user_id=user.id, organization_id=org.id, role_id=role.id))
            s.flush()
    return org, user


def add_member(organization_id: int, user_id: int, role_id: int) -> Membership:
    from app.core.uow import unit_of_work

    if membership_for(user_id, organization_id) is not None:
        raise Conflict("Already a member.", {"user_id": ["Already a member."]})
    with unit_of_work(action="permission_change") as s:
        m = Membership(user_id=user_id, organization_id=organization_id, role_id=role_id)
        s.add(m)
    return m


def change_member_role(membership: Membership, role_id: int) -> Membership:
    from app.core.uow import unit_of_work

    with unit_of_work(action="permission_change"):
        membership.role_id = role_id
    return membership


def remove_member(membership: Membership) -> None:
    from app.core.uow import unit_of_work

    with unit_of_work(action="permission_change") as s:
        s.delete(membership)
