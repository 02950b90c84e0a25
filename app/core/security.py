"""OpsHub's security manager.

* Effective roles in a request = the membership role in the active organization + the user's
  global roles (Admin). FAB reads them through `get_user_roles`, so pages, menus and the API all
  agree.
* Permissions of those roles are loaded once per request (one query) and checked in memory.
* Failed logins are limited per username, per client address and overall, on the login page
  AND on `/api/v1/security/login`, in shared storage (app.core.login_limits); logins are
  written to the audit log.
* JWTs carry a `jti` and the `sid` of their login (app.core.sessions); logout revokes the
  session (its access and refresh tokens alike), the jti blocklist stays for single tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, g, has_request_context, jsonify
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    User,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_jwt_extended import JWTManager
from sqlalchemy.orm import joinedload

from app.core import context, login_limits, sessions, tokens
from app.core.accounts import OpsUserDBModelView
from app.core.compat import SELF_SERVICE, SecurityManagerInternals, fab_security_resources
from app.core.tenancy import membership_for, memberships_of, resolve_active_membership


class RevokedToken(Model):
    __tablename__ = "revoked_token"

    id = sa.Column(sa.Integer, primary_key=True)
    jti = sa.Column(sa.String(64), nullable=False, unique=True)
    expires_at = sa.Column(sa.DateTime, nullable=False)


class OpsSecurityManager(SecurityManagerInternals, SecurityManager):
    userstatschartview = None  # FAB's chart views load Google Charts from the internet
    userdbmodelview = OpsUserDBModelView  # the users page shows each user's organizations
    authdbview = sessions.OpsAuthDBView  # logout is a POST that revokes the session

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        app = current_app
        self.login_limits = login_limits.LoginLimits.from_config(app.config)  # shared storage: DB or Redis
        app.before_request(self._refuse_limited_login)

    # ---------------------------------------------------------------- users and roles
    def load_user(self, pk):
        user = (
            self.session.execute(sa.select(User).options(joinedload(User.roles)).where(User.id == int(pk)))
            .unique()
            .scalar_one_or_none()
        )
        if user is not None and user.is_active:
            return user
        return None

    def load_user_jwt(self, _jwt_header, jwt_data):
        cached = g.get("_opshub_jwt_user")
        if cached is not None and str(cached.id) == str(jwt_data["sub"]):
            g.user = cached
            return cached
        user = super().load_user_jwt(_jwt_header, jwt_data)
        g._opshub_jwt_user = user
        return user

    def create_jwt_manager(self, app) -> JWTManager:
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.invalid_token_loader
        def _invalid(reason: str):
            return jsonify(message=f"Invalid token: {reason}"), 401

        sessions.install_jwt(jwt_manager)  # a `sid` claim per login; the blocklist checks it
        return jwt_manager

    def create_login_manager(self, app):
        login_manager = super().create_login_manager(app)
        sessions.install_login_manager(login_manager)  # page sessions checked per request
        return login_manager

    def is_revoked(self, jti: str | None) -> bool:
        return (
            bool(jti)
            and self.session.execute(sa.select(RevokedToken.id).where(RevokedToken.jti == jti)).first() is not None
        )

    def revoke_token(self, payload: dict) -> None:
        if "tid" in payload:  # an API token: logging out with it revokes it
            tokens.revoke_presented(payload)
            return
        jti = payload.get("jti")
        if jti and not self.is_revoked(jti):
            exp = datetime.fromtimestamp(payload.get("exp", 0), UTC).replace(tzinfo=None)
            self.session.add(RevokedToken(jti=jti, expires_at=exp))
            self.session.commit()

    def global_roles(self, user) -> list:
        return [r for r in user.roles if r.name == self.auth_role_admin]

    def is_global_admin(self, user) -> bool:
        return bool(self.global_roles(user))

    def get_user_roles(self, user) -> list:
        if not getattr(user, "is_authenticated", False):
            return []  # Public has no permissions in OpsHub
        cache = g.__dict__.setdefault("_opshub_roles", {}) if has_request_context() else {}
        if user.id in cache:
            return cache[user.id]
        roles = list(self.global_roles(user))
        membership = None
        acting = context.explicit()
        if acting is not None and acting.user_id == user.id:
            membership = membership_for(user.id, acting.organization_id)
        elif has_request_context() and getattr(context.request_user(), "id", None) == user.id:
            membership = resolve_active_membership()
        if membership is not None and membership.role not in roles:
            roles.append(membership.role)
        cache[user.id] = roles
        return roles

    # ---------------------------------------------------------------- permission checks
    def permissions_of_roles(self, role_ids: tuple[int, ...]) -> frozenset[tuple[str, str]]:
        if not role_ids:
            return frozenset()
        cache = g.__dict__.setdefault("_opshub_perms", {}) if has_request_context() else {}
        if role_ids in cache:
            return cache[role_ids]
        rows = self.session.execute(
            sa.select(Permission.name, ViewMenu.name)
            .select_from(assoc_permissionview_role)
            .join(PermissionView, PermissionView.id == assoc_permissionview_role.c.permission_view_id)
            .join(Permission, Permission.id == PermissionView.permission_id)
            .join(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
            .where(assoc_permissionview_role.c.role_id.in_(role_ids))
        ).all()
        perms = frozenset((p, v) for p, v in rows)
        cache[role_ids] = perms
        return perms

    def user_permissions(self, user) -> frozenset[tuple[str, str]]:
        roles = self.get_user_roles(user)
        perms = self.permissions_of_roles(tuple(sorted(r.id for r in roles)))
        if has_request_context() and getattr(context.request_user(), "id", None) == user.id:
            perms = tokens.filter_permissions(perms)  # a read-only API token reads, nothing more
        return perms

    def security_resources(self) -> frozenset[str]:
        cached = getattr(self, "_security_resources", None)
        if cached is None:
            cached = self._security_resources = fab_security_resources(self.appbuilder.baseviews)
        return cached

    def view_access(self, user, permission_name: str, view_name: str) -> bool:
        """Every access check of FAB's pages, menus and API (through app/core/compat.py)."""
        if view_name in self.security_resources() and (permission_name, view_name) not in SELF_SERVICE:
            # users and roles are global: only a global Admin manages them
            if not self.is_global_admin(user):
                return False
        return (permission_name, view_name) in self.user_permissions(user)

    def get_user_permissions(self, user):
        return set(self.user_permissions(user))

    def is_item_public(self, permission_name, view_name) -> bool:
        return False  # the Public role is granted nothing in OpsHub

    def acting_user(self):
        acting = context.explicit()
        if acting is None:
            return context.request_user()  # FAB sets g.user for the session cookie and the JWT alike
        if acting.user_id is None:
            return None
        cache = g.__dict__.setdefault("_opshub_users", {}) if has_request_context() else {}
        if acting.user_id not in cache:
            cache[acting.user_id] = self.load_user(acting.user_id)
        return cache[acting.user_id]

    def has_capability(self, permission: str, resource: str) -> bool:
        """Does the acting user hold `permission` on `resource`? System work always does."""
        if context.is_system():
            return True
        user = self.acting_user()
        if user is None:
            return False
        return (permission, resource) in self.user_permissions(user)

    # ---------------------------------------------------------------- login
    def _refuse_limited_login(self):
        return login_limits.refuse_if_limited(self.login_limits)

    def auth_user_db(self, username, password):
        user = super().auth_user_db(username, password)
        if user is None:
            login_limits.record_failure(self.login_limits, username)
        return user

    def on_user_login(self, user) -> None:
        from app.core.audit import record_event

        memberships = memberships_of(user.id)
        org_id = memberships[0].organization_id if memberships else None
        record_event(self.session, "login", "User", user.id, user_id=user.id, organization_id=org_id)
        self.session.commit()


def current_capabilities() -> list[str]:
    sm = current_app.appbuilder.sm
    user = sm.acting_user()
    if user is None:
        return []
    return sorted(f"{p} on {v}" for p, v in sm.user_permissions(user))
