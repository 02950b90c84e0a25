"""Accounts: every user's own profile (who they are, their organizations and roles, changing
their own password), the password policy, and the global users page showing each user's
memberships.

Password policy (also for new passwords set anywhere else): at least 10 characters, not a
common or easily guessed one (zxcvbn's estimate, with the user's own name, username and email
as known words), and changing it needs the current one.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.views import UserDBModelView
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from app.core import context, sessions
from app.core.errors import Invalid
from app.core.uow import unit_of_work
from app.extensions import db

MIN_PASSWORD = 10
MAX_PASSWORD = 128


def check_new_password(user, password: str) -> None:
    """422 with the reason when `password` does not meet the policy."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise Invalid("password: too short", {"password": [f"At least {MIN_PASSWORD} characters."]})
    if len(password) > MAX_PASSWORD:
        raise Invalid("password: too long", {"password": [f"At most {MAX_PASSWORD} characters."]})
    known = [v for v in (user.username, user.email, user.first_name, user.last_name) if v]
    estimate = zxcvbn(password, user_inputs=known)
    if estimate["score"] < 2:
        why = estimate["feedback"]["warning"] or "It is too easy to guess."
        raise Invalid("password: too easy to guess", {"password": [f"{why} Choose a longer or less common one."]})


def change_own_password(user, current: str, new: str, confirm: str) -> None:
    if not current or not check_password_hash(user.password or "", current):
        raise Invalid("current password: wrong", {"current_password": ["That is not your current password."]})
    if new != confirm:
        raise Invalid("confirm: mismatch", {"confirm": ["The two new passwords differ."]})
    if new == current:
        raise Invalid("password: unchanged", {"password": ["Choose a password you have not been using."]})
    check_new_password(user, new)
    with unit_of_work(action="permission_change"):
        user.password = generate_password_hash(new)


class ProfileView(BaseView):
    """/profile/: every signed-in user's own page — no permission needed beyond being signed in."""

    route_base = "/profile"
    default_view = "show"
    base_permissions: list[str] = []

    def _user(self):
        user = context.request_user()
        return user

    def _page(self, user, *, errors=None, token_errors=None, new_token=None, status=200):
        from app.core import tokens
        from app.core.tenancy import memberships_of

        own = list(db.session.scalars(tokens.visible_to(user)).unique())
        body = self.render_template(
            "opshub/profile.html",
            user=user,
            errors=errors or {},
            token_errors=token_errors or {},
            min_length=MIN_PASSWORD,
            tokens=own,
            token_orgs=[m.organization for m in memberships_of(user.id)],
            new_token=new_token,
            form=request.form if token_errors else {},
        )
        return body, status, {"Cache-Control": "no-store"}

    @expose("/")
    def show(self):
        user = self._user()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        return self._page(user)

    @expose("/tokens", methods=["POST"])
    def create_token(self):
        """A new API token; the page shows its secret this once."""
        from app.core import tokens
        from app.core.errors import DomainError

        user = self._user()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        org = request.form.get("organization_id", "")
        try:
            token, secret = tokens.create(
                user,
                name=request.form.get("name", ""),
                organization_id=int(org) if org.isdigit() and len(org) < 10 else None,
                read_only=request.form.get("access", "read") != "write",
                expires_at=tokens.parse_expiry(request.form.get("expires_at") or None),
            )
        except DomainError as exc:
            db.session.rollback()
            return self._page(user, token_errors=exc.fields or {"name": [exc.message]}, status=422)
        return self._page(user, new_token={"name": token.name, "secret": secret})

    @expose("/tokens/<int:token_id>/revoke", methods=["POST"])
    def revoke_token(self, token_id: int):
        from app.core import tokens
        from app.core.errors import NotFound

        user = self._user()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        try:
            token = tokens.get_visible(user, token_id)
        except NotFound:
            return self._page(user, status=404)
        if token.user_id != user.id:  # the profile manages one's own; administrators use the API
            return self._page(user, status=404)
        tokens.revoke(token, user.id)
        flash(f"API token “{token.name}” revoked: it no longer works.", "success")
        return redirect(url_for("ProfileView.show") + "#api-tokens")

    @expose("/password", methods=["POST"])
    def password(self):
        user = self._user()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        try:
            change_own_password(
                user,
                request.form.get("current_password", ""),
                request.form.get("password", ""),
                request.form.get("confirm", ""),
            )
        except Invalid as exc:
            db.session.rollback()
            return self._page(user, errors=exc.fields, status=422)
        # every session of the user ended with the change (app/core/sessions.py): this browser
        # carries on with a new one
        session[sessions.SESSION_KEY] = sessions.start(user.id, sessions.PAGE)
        flash("Your password was changed. Your other sessions are signed out.", "success")
        return redirect(url_for("ProfileView.show"))


def _memberships(memberships) -> Markup:
    if not memberships:
        return Markup('<span class="text-muted">no organization</span>')
    return Markup("<br>").join(Markup("{}: {}").format(m.organization.name, m.role.name) for m in memberships)


class _UsersWithMemberships(SQLAInterface):
    """The users page's rows with their memberships, every organization's, in one more SELECT."""

    def query(self, *args, **kwargs):
        count, rows = super().query(*args, **kwargs)
        if rows:
            from flask_appbuilder.security.sqla.models import User

            db.session.execute(
                sa.select(User).where(User.id.in_([u.id for u in rows])).options(selectinload(User.memberships))
            ).unique().all()
        return count, rows


class OpsUserDBModelView(UserDBModelView):
    """FAB's users page (global Admins), with each user's organizations and roles in them."""

    def __init__(self, **kwargs):
        self.datamodel = _UsersWithMemberships(self.datamodel.obj, db.session)
        super().__init__(**kwargs)

    list_columns = ["first_name", "last_name", "username", "email", "active", "memberships", "roles"]
    label_columns = {"memberships": "Organizations", "roles": "Global roles"}
    formatters_columns = {"memberships": _memberships, "roles": lambda roles: ", ".join(r.name for r in roles) or "—"}
