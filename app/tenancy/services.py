"""Organizations and memberships: registration and member management (the models and the
active organization are the platform's: app/core/tenancy.py)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import current_app

from app.core import context
from app.core.context import UNSCOPED
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.tenancy import Membership, Organization, membership_for
from app.core.uow import unit_of_work
from app.extensions import db

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
    if membership_for(user_id, organization_id) is not None:
        raise Conflict("Already a member.", {"user_id": ["Already a member."]})
    with unit_of_work(action="permission_change") as s:
        m = Membership(user_id=user_id, organization_id=organization_id, role_id=role_id)
        s.add(m)
    return m


def _keep_an_administrator(membership: Membership, new_role_id: int | None) -> None:
    """An organization keeps at least one member with the role Admin: demoting or removing the
    last one is refused (409). The organization's Admin memberships are locked first, so that two
    admins demoting each other at once cannot both succeed."""
    admin_role = current_app.appbuilder.sm.find_role(OWNER_ROLE)
    if admin_role is None or membership.role_id != admin_role.id or new_role_id == admin_role.id:
        return
    admins = db.session.scalars(
        sa.select(Membership.id)
        .where(Membership.organization_id == membership.organization_id, Membership.role_id == admin_role.id)
        .with_for_update()
        .execution_options(**{UNSCOPED: True})
    ).all()
    if len(admins) <= 1:
        raise Conflict(
            "An organization needs at least one administrator: give another member the Admin role first.",
            {"role": ["The last administrator of the organization."]},
        )


def change_member_role(membership: Membership, role_id: int) -> Membership:
    with unit_of_work(action="permission_change"):
        _keep_an_administrator(membership, role_id)
        membership.role_id = role_id
    return membership


def remove_member(membership: Membership) -> None:
    with unit_of_work(action="permission_change") as s:
        _keep_an_administrator(membership, None)
        s.delete(membership)


# ------------------------------------------------------------------ the members page
def find_user(who: str):
    """A user by exact username or email (case-insensitive), or None."""
    from flask_appbuilder.security.sqla.models import User

    who = (who or "").strip().lower()
    if not who:
        return None
    return db.session.scalar(
        sa.select(User).where(sa.or_(sa.func.lower(User.username) == who, sa.func.lower(User.email) == who))
    )


def invite_member(
    organization_id: int, *, username: str, email: str, first_name: str, last_name: str, role_id: int
) -> tuple[object, str]:
    """Create a user and make them a member, in one transaction; return the user and a temporary
    password to hand over (they change it on their profile page)."""
    import secrets

    from flask_appbuilder.security.sqla.models import User
    from werkzeug.security import generate_password_hash

    from app.core.validators import check_email

    username, email = (username or "").strip(), (email or "").strip()
    errors = {}
    if not re.fullmatch(r"[A-Za-z0-9_.@+-]{3,64}", username):
        errors["username"] = ["3 to 64 letters, digits or _ . @ + -."]
    if not (first_name or "").strip():
        errors["first_name"] = ["Required."]
    if not (last_name or "").strip():
        errors["last_name"] = ["Required."]
    if errors:
        raise Invalid("Invalid input", errors)
    check_email(email)
    if not email:
        raise Invalid("email: Required.", {"email": ["Required."]})
    if find_user(username) is not None or find_user(email) is not None:
        raise Conflict("A user with that username or email already exists: add them as an existing user instead.")
    password = secrets.token_urlsafe(9)
    with unit_of_work(action="permission_change") as s:
        user = User(
            username=username,
            email=email,
            first_name=first_name.strip()[:64],
            last_name=last_name.strip()[:64],
            active=True,
            password=generate_password_hash(password),
        )
        s.add(user)
        s.flush()
        s.add(Membership(user_id=user.id, organization_id=organization_id, role_id=role_id))
    return user, password


def create_organization(name: str) -> Organization:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid("name: 1 to 120 characters.", {"name": ["1 to 120 characters."]})
    with context.acting_as(context.current_user_id(), None, system=True), unit_of_work() as s:
        org = Organization(name=name, slug=unique_slug(name))
        s.add(org)
    return org


def rename_organization(org: Organization, name: str) -> Organization:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid("name: 1 to 120 characters.", {"name": ["1 to 120 characters."]})
    with context.acting_as(context.current_user_id(), org.id, system=True), unit_of_work():
        org.name = name
    return org


# ------------------------------------------------------------------ a member's account (the CLI's employees)
def check_managed_here(user, organization_id: int) -> None:
    """An organization's administrators change the password and profile of their members whose
    account is theirs alone: a user who also belongs to another organization, or a global Admin,
    is changed only by a global Admin (or by themselves, on their profile)."""
    sm = current_app.appbuilder.sm
    actor = sm.acting_user()
    if actor is not None and sm.is_global_admin(actor):
        return
    if sm.is_global_admin(user):
        raise Forbidden("Only a global administrator changes another administrator's account.")
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(Membership.user_id == user.id, Membership.organization_id != organization_id)
        .execution_options(**{UNSCOPED: True})
    )
    if others:
        raise Forbidden(
            f"{user.username} also belongs to another organization: only a global administrator changes their account."
        )


def set_member_password(membership: Membership, password: str) -> None:
    """Set a member's password (the policy applies; every session of theirs ends)."""
    from werkzeug.security import generate_password_hash

    from app.core.accounts import check_new_password

    user = membership.user
    check_managed_here(user, membership.organization_id)
    check_new_password(user, password)
    with unit_of_work(action="permission_change"):
        user.password = generate_password_hash(password)


def update_member_profile(membership: Membership, **changes) -> object:
    """Change a member's username, email, first or last name."""
    from app.core.validators import check_email

    user = membership.user
    check_managed_here(user, membership.organization_id)
    errors = {}
    if "username" in changes:
        username = (changes["username"] or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_.@+-]{3,64}", username):
            errors["username"] = ["3 to 64 letters, digits or _ . @ + -."]
        elif username.lower() != user.username.lower() and find_user(username) is not None:
            errors["username"] = ["Already taken."]
        changes["username"] = username
    for name in ("first_name", "last_name"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
            if not changes[name] or len(changes[name]) > 64:
                errors[name] = ["1 to 64 characters."]
    if "email" in changes:
        changes["email"] = (changes["email"] or "").strip()
        check_email(changes["email"])
        if not changes["email"]:
            errors["email"] = ["Required."]
        elif changes["email"].lower() != (user.email or "").lower() and find_user(changes["email"]) is not None:
            errors["email"] = ["Already registered."]
    if errors:
        raise Invalid("Invalid input", errors)
    with unit_of_work(action="permission_change"):
        for name, value in changes.items():
            setattr(user, name, value)
    return user
