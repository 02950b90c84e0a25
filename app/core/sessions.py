"""Server-side sessions: a login is a row, and ending the row ends the login everywhere.

* Every login is a `user_session` row with a random id (`sid`). A page login keeps the sid in
  the signed session cookie; an API login puts it in a `sid` claim of both its access and its
  refresh token (`additional_claims_loader`), and a refresh passes it on to the new access token.
* Each request checks the sid against the database in the same query that loads the user (no
  extra statement): a revoked, expired or unknown session is logged out (pages) or 401 (API).
  The database is the shared storage, so a logout holds on every worker and server at once.
* Logout (page `POST /logout/`, API `POST /api/v1/security/logout`) revokes the session: the
  cookie, the access token and the refresh token of that login are dead, even if copied.
* A password change or a deactivation revokes every session of that user, in the transaction
  that makes the change, whatever path makes it (FAB's user pages, reset-password, the CLI).
* A page session lasts at most `OPSHUB_SESSION_HOURS` (12); an API session as long as its
  refresh token (JWT_REFRESH_TOKEN_EXPIRES). Expired rows are pruned when new sessions start.
"""

from __future__ import annotations

import contextvars
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, jsonify, redirect, session
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_appbuilder.security.views import AuthDBView
from flask_appbuilder.views import expose
from flask_login import logout_user, user_logged_in
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload

from app.core.models import utcnow

SESSION_KEY = "_opshub_sid"
PAGE, API = "page", "api"


class UserSession(Model):
    __tablename__ = "user_session"
    __table_args__ = (sa.Index("ix_user_session_expires_at", "expires_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    sid = sa.Column(sa.String(64), nullable=False, unique=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = sa.Column(sa.String(8), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime, nullable=False)
    revoked_at = sa.Column(sa.DateTime)
    remote_addr = sa.Column(sa.String(45))


def _db():
    from app.extensions import db

    return db


# ------------------------------------------------------------------ rows
def start(user_id: int, kind: str) -> str:
    """A new session for `user_id`, committed; returns its sid."""
    from app.core.context import remote_addr

    db = _db()
    now = utcnow()
    if kind == PAGE:
        lifetime = timedelta(hours=float(current_app.config.get("OPSHUB_SESSION_HOURS", 12)))
    else:
        lifetime = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    sid = secrets.token_urlsafe(24)
    db.session.execute(sa.delete(UserSession).where(UserSession.expires_at < now))
    db.session.add(
        UserSession(
            sid=sid, user_id=user_id, kind=kind, created_at=now, expires_at=now + lifetime, remote_addr=remote_addr()
        )
    )
    db.session.commit()
    return sid


def end(sid: str | None) -> None:
    """Revoke one session (logout)."""
    if not sid:
        return
    db = _db()
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.sid == sid, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()


def _live(sid: str | None):
    now = utcnow()
    return sa.exists().where(
        UserSession.sid == (sid or ""),
        UserSession.user_id == User.id,
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > now,
    )


def user_with_session(user_id, sid: str | None, jti: str | None = None):
    """(user or None, session live?, token revoked?) in one query: the user with their roles,
    whether `sid` is a live session of theirs, whether `jti` is on the token blocklist."""
    from app.core.security import RevokedToken

    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None, False, False
    revoked = sa.exists().where(RevokedToken.jti == (jti or ""))
    row = (
        _db()
        .session.execute(
            sa.select(User, _live(sid).label("live"), revoked.label("revoked"))
            .options(joinedload(User.roles))
            .where(User.id == pk)
        )
        .unique()
        .first()
    )
    if row is None:
        return None, False, False
    return row[0], bool(row[1]), bool(row[2])


# ------------------------------------------------------------------ pages
def load_page_user(pk):
    """flask-login's user loader: the session cookie's user, only while its session is live."""
    sid = session.get(SESSION_KEY)
    if not sid:
        return None
    user, live, _ = user_with_session(pk, sid)
    if user is None or not live or not user.is_active:
        session.pop(SESSION_KEY, None)
        session.pop("_user_id", None)
        return None
    return user


def _on_page_login(_app, user, **_extra) -> None:
    session[SESSION_KEY] = start(user.id, PAGE)


class OpsAuthDBView(AuthDBView):
    """FAB's login page; logout is a POST (with the CSRF token) that revokes the session."""

    @expose("/logout/", methods=["POST"])
    def logout(self):
        user = self._get_authenticated_user()
        end(session.get(SESSION_KEY))
        logout_user()
        session.clear()
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(self.appbuilder.get_url_for_login)


# ------------------------------------------------------------------ tokens
_no_session: contextvars.ContextVar[bool] = contextvars.ContextVar("opshub_no_session", default=False)


@contextmanager
def without_session() -> Iterator[None]:
    """Mint a JWT that belongs to no login session (an API token: app/core/tokens.py)."""
    reset = _no_session.set(True)
    try:
        yield
    finally:
        _no_session.reset(reset)


def _claims(identity) -> dict:
    """The `sid` claim: the refresh token's on a refresh, the same login's for its second token,
    else a new API session."""
    if _no_session.get():
        return {}
    if not has_request_context():
        return {"sid": start(int(identity), API)}
    presented = g.get("_jwt_extended_jwt") or {}
    if presented.get("type") == "refresh" and presented.get("sid") and str(presented.get("sub")) == str(identity):
        return {"sid": presented["sid"]}
    minted = g.get("_opshub_login_sid")
    if minted is not None and minted[0] == str(identity):
        return {"sid": minted[1]}
    sid = start(int(identity), API)
    g._opshub_login_sid = (str(identity), sid)
    return {"sid": sid}


def token_revoked(payload: dict) -> bool:
    """The blocklist check: revoked unless the token's session is live and its jti not revoked.
    Loads the user in the same query; `load_user_jwt` then reuses it. An API token (a `tid`
    claim) is checked against its own row instead (app/core/tokens.py)."""
    if "tid" in payload:
        from app.core import tokens

        user = tokens.verify(payload)
        if user is None:
            return True
        g._opshub_jwt_user = user
        return False
    user, live, revoked = user_with_session(payload.get("sub"), payload.get("sid"), payload.get("jti"))
    if user is None or not live or revoked or not user.is_active:
        return True
    g._opshub_jwt_user = user
    return False


def install_jwt(jwt_manager) -> None:
    jwt_manager.additional_claims_loader(_claims)

    @jwt_manager.token_in_blocklist_loader
    def _is_revoked(_header, payload) -> bool:
        return token_revoked(payload)

    # every 401 in FAB's shape ({"message": ...}), as the OpenAPI document says
    def unauthorized(message: str):
        return jsonify(message=message), 401

    jwt_manager.unauthorized_loader(lambda reason: unauthorized(f"Not logged in: {reason}"))
    jwt_manager.expired_token_loader(lambda _h, _p: unauthorized("The token has expired."))
    jwt_manager.revoked_token_loader(
        lambda _h, payload: unauthorized(
            "This API token was revoked, has expired or no longer applies."
            if "tid" in payload
            else "The session has ended; log in again."
        )
    )
    jwt_manager.needs_fresh_token_loader(lambda _h, _p: unauthorized("A fresh login is needed."))
    jwt_manager.token_verification_failed_loader(lambda _h, _p: unauthorized("The token was refused."))
    jwt_manager.user_lookup_error_loader(lambda _h, _p: unauthorized("The session has ended; log in again."))


def install_login_manager(login_manager) -> None:
    login_manager.user_loader(load_page_user)
    user_logged_in.connect(_on_page_login)


# ------------------------------------------------------------------ password change, deactivation
_PENDING = "opshub_end_sessions_of"


@event.listens_for(OrmSession, "before_flush")
def _note_credential_changes(session: OrmSession, _ctx, _instances) -> None:
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = sa.inspect(obj)
        password = state.attrs.password.history.has_changes()
        deactivated = state.attrs.active.history.has_changes() and not obj.active
        if password or deactivated:
            session.info.setdefault(_PENDING, set()).add(obj.id)


@event.listens_for(OrmSession, "after_flush")
def _end_sessions(session: OrmSession, _ctx) -> None:
    user_ids = session.info.pop(_PENDING, None)
    if user_ids:
        session.execute(
            sa.update(UserSession)
            .where(UserSession.user_id.in_(user_ids), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
