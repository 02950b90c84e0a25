"""`flask opshub seed`: the default roles and permissions, then each installed domain's demo
data, in the order of OPSHUB_DOMAINS (tenancy first: organizations and accounts). Idempotent:
running it twice changes nothing. Demo data goes through the ORM and the services (versioned,
attributed to the demo users); scale loaders (`--scale <name>=N`) write bulk rows with their
versions (app/core/bulk.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from app.core import context
from app.core.registry import registry
from app.core.roles import ROLE_NAMES
from app.core.tenancy import Membership, Organization
from app.core.uow import unit_of_work
from app.extensions import db


@dataclass
class SeedContext:
    """What the domains' seeds share: the demo organization, a second one (tenancy at work),
    the demo accounts by username, and one random generator (the demo is the same every time)."""

    org: Organization | None = None
    other: Organization | None = None
    users: dict[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(42))

    def as_user(self, username: str, org: Organization | None = None):
        """Act as a demo user (system work: the seed is not limited by row scope)."""
        return context.acting_as(self.users[username].id, (org or self.org).id, system=True)

    def count(self, model, org: Organization | None = None) -> int:
        org = org or self.org
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.organization_id == org.id))


def sync_permissions(reset: bool = False) -> None:
    """Create FAB permissions for every view, the named ones of every resource, and the default
    roles (from the installed domains' grants)."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    admin = sm.find_role("Admin") or sm.add_role("Admin")
    sm.find_role("Public") or sm.add_role("Public")
    known = set(db.session.scalars(sa.select(sm.viewmenu_model.name)))
    appbuilder.add_permissions(update_perms=True)
    for resource, perms in registry.named_permissions().items():
        for perm in perms:
            pv = sm.add_permission_view_menu(perm, resource)
            sm.add_permission_role(admin, pv)
    menus = registry.menus()
    grants = registry.grants()
    for name in ROLE_NAMES[1:]:
        matrix = grants.get(name, {})
        role = sm.find_role(name)
        if role is None or reset:
            role = role or sm.add_role(name)
            role.permissions = []
        else:
            # an edited role keeps its edits; it only receives the defaults of new resources
            matrix = {resource: perms for resource, perms in matrix.items() if resource not in known}
        wanted = []
        for resource, perms in matrix.items():
            for perm in perms:
                wanted.append(sm.add_permission_view_menu(perm, resource))
            if "can_read" in perms:
                for menu, category in menus.get(resource, ()):
                    wanted.append(sm.add_permission_view_menu("menu_access", menu))
                    wanted.append(sm.add_permission_view_menu("menu_access", category))
        for pv in wanted:
            if pv not in role.permissions:
                role.permissions.append(pv)
        db.session.commit()


# ------------------------------------------------------------------ helpers for the domains' seeds
def ensure_user(username: str, first: str, last: str, password: str, global_roles: list) -> Any:
    from flask_appbuilder.security.sqla.models import User

    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None:
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@opshub.example",
            active=True,
            password=generate_password_hash(password),
            roles=global_roles,
        )
        db.session.add(user)
        db.session.commit()
    return user


def ensure_org(name: str, slug: str) -> Organization:
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        with context.acting_as(None, None, system=True), unit_of_work() as s:
            org = Organization(name=name, slug=slug)
            s.add(org)
    return org


def ensure_membership(user, org: Organization, role_name: str) -> None:
    exists = db.session.scalar(
        sa.select(Membership.id).where(Membership.user_id == user.id, Membership.organization_id == org.id)
    )
    if exists is None:
        role = current_app.appbuilder.sm.find_role(role_name)
        with context.acting_as(None, org.id, system=True), unit_of_work() as s:
            s.add(Membership(user_id=user.id, organization_id=org.id, role_id=role.id))


# ------------------------------------------------------------------ the runner
def seed_demo() -> SeedContext:
    sync_permissions()
    ctx = SeedContext()
    for domain in registry.domains.values():
        if domain.seed is not None:
            domain.seed(ctx)
    return ctx


def scale_loaders() -> dict[str, Any]:
    return {name: loader for d in registry.domains.values() for name, loader in d.scale.items()}


def seed_scale(name: str, n: int) -> int:
    loaders = scale_loaders()
    if name not in loaders:
        raise KeyError(f"No scale loader {name!r}; known: {', '.join(sorted(loaders))}")
    return loaders[name](n)
