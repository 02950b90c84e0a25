"""Personal API tokens for scripts and integrations (SPEC §2): a name, one organization,
read-only or read-write, an optional expiry; shown once, stored hashed, revocable.

* A token is a JWT signed like the login's access tokens (so `Authorization: Bearer <token>`
  passes flask-jwt-extended's verification on every route, `@protect` and `@jwt_required`
  alike) with a `tid` claim naming its `api_token` row and a random `jti`. The row keeps only
  the SHA-256 of that jti: the database alone cannot rebuild a token, the signing key alone
  cannot forge one.
* Every request checks the row in the blocklist loader, where the login's sessions are checked
  (app/core/sessions.py), in one query with the user: revoked, expired, unknown, an inactive
  user or a membership that is gone (the token's organization; global Admins excepted) → 401.
  The token never grants more than its user may do now: permissions are the user's role in the
  token's organization, read at each request.
* The token's organization is the request's: another `X-Organization-Id` is refused (403).
* Read-only tokens: every request but GET/HEAD/OPTIONS is 403 (logout excepted), and only the
  read permissions count (what /api/v1/me lists).
* Writes made with a token are attributed to the user and the token (the transaction row's
  `token_id` and `token_name`, app/core/versioning.py); last use (time and address) is kept,
  written at most once a minute per token through a connection of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload, relationship

from app.core.errors import Forbidden, Invalid, NotFound
from app.core.models import utcnow

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# what a read-only token may hold (everything else of the user's permissions is dropped)
READ_PERMISSIONS = frozenset({"can_read", "can_export", "can_view_audit", "menu_access"})
NAME_MAX = 100
LAST_USED_EVERY = timedelta(seconds=60)
# the routes a read-only token may still POST to: ending itself
READ_ONLY_EXEMPT_ENDPOINTS = frozenset({"SessionApi.logout"})


class ApiToken(Model):
    __tablename__ = "api_token"
    __table_args__ = (sa.Index("ix_api_token_user_id_created_at", "user_id", "created_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    organization_id = sa.Column(
        sa.Integer, sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name = sa.Column(sa.String(NAME_MAX), nullable=False)
    read_only = sa.Column(sa.Boolean, nullable=False, default=True)
    secret_hash = sa.Column(sa.String(64), nullable=False)
    hint = sa.Column(sa.String(8), nullable=False)  # the token's last characters, to tell tokens apart
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    expires_at = sa.Column(sa.DateTime)
    last_used_at = sa.Column(sa.DateTime)
    last_used_addr = sa.Column(sa.String(45))
    revoked_at = sa.Column(sa.DateTime)
    revoked_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])
    organization = relationship("Organization", lazy="joined")

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


@dataclass(frozen=True)
class PresentedToken:
    """The API token of this request (a plain value: no ORM access once loaded)."""

    id: int
    name: str
    organization_id: int
    read_only: bool


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _db():
    from app.extensions import db

    return db


def _sm():
    return current_app.appbuilder.sm


# ------------------------------------------------------------------ the request's token
def presented() -> PresentedToken | None:
    return g.get("_opshub_api_token") if has_request_context() else None


def read_only_request() -> bool:
    token = presented()
    return token is not None and token.read_only


def filter_permissions(perms: frozenset[tuple[str, str]]) -> frozenset[tuple[str, str]]:
    """A read-only token keeps only the read permissions of its user (none at all for a write)."""
    token = presented()
    if token is None or not token.read_only:
        return perms
    if request.method not in SAFE_METHODS:
        return frozenset()
    return frozenset(p for p in perms if p[0] in READ_PERMISSIONS)


def verify(payload: dict):
    """The blocklist check of a token with a `tid` claim: the user, or None (→ 401). Loads the
    user and the row in one query; sets the request's token; refuses a read-only token's write."""
    from app.core.tenancy import Membership

    try:
        token_id, user_id = int(payload.get("tid")), int(payload.get("sub"))
    except (TypeError, ValueError):
        return None
    now = utcnow()
    member = sa.exists().where(Membership.user_id == User.id, Membership.organization_id == ApiToken.organization_id)
    row = (
        _db()
        .session.execute(
            sa.select(ApiToken, User, member.label("member"))
            .join(User, User.id == ApiToken.user_id)
            .options(joinedload(User.roles))
            .where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    token, user, is_member = row
    if not hmac.compare_digest(token.secret_hash, _digest(str(payload.get("jti") or ""))):
        return None
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not user.is_active:
        return None
    if not is_member and not any(r.name == _sm().auth_role_admin for r in user.roles):
        return None  # the membership is gone: so is the token's reach
    g._opshub_api_token = PresentedToken(token.id, token.name, token.organization_id, token.read_only)
    _note_use(token, now)
    if token.read_only and request.method not in SAFE_METHODS and request.endpoint not in READ_ONLY_EXEMPT_ENDPOINTS:
        raise Forbidden("This API token is read-only: it cannot change anything.")
    return user


def _note_use(token: ApiToken, now: datetime) -> None:
    from app.core.context import remote_addr

    address = remote_addr()
    recent = token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY
    if recent and token.last_used_addr == address:
        return
    table = ApiToken.__table__
    try:
        # a connection of its own: the request's session keeps its objects (and its transaction)
        with _db().engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout=50")  # never wait on another writer for this
            try:
                conn.execute(
                    table.update().where(table.c.id == token.id).values(last_used_at=now, last_used_addr=address)
                )
                conn.commit()
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA busy_timeout=5000")
    except OperationalError:  # SQLite busy with another writer: the next request records it
        log.info("api token %s: last use not recorded (database busy)", token.id)


def active_organization_id(header_value: str | None) -> int | None:
    """The organization of a token request (None without a token); another one asked for by
    `X-Organization-Id` is refused."""
    token = presented()
    if token is None:
        return None
    if header_value not in (None, "") and header_value.strip() != str(token.organization_id):
        raise Forbidden("This API token works only in its own organization: leave out X-Organization-Id.")
    return token.organization_id


# ------------------------------------------------------------------ managing tokens
def parse_expiry(value) -> datetime | None:
    """An expiry from the API or a form: an ISO date (end of that day, UTC) or datetime, in the future."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise Invalid("expires_at: not a date", {"expires_at": ["A date (YYYY-MM-DD) or an ISO date and time."]})
    try:
        if len(value.strip()) == 10:
            moment = datetime.combine(date.fromisoformat(value.strip()), time(23, 59, 59))
        else:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        raise Invalid("expires_at: not a date", {"expires_at": ["A date (YYYY-MM-DD) or an ISO date and time."]})
    if moment <= utcnow():
        raise Invalid("expires_at: in the past", {"expires_at": ["Choose a moment in the future."]})
    if moment.year > 9000:
        raise Invalid("expires_at: too far", {"expires_at": ["Choose an earlier date."]})
    return moment


def create(user, *, name: str, organization_id: int | None, read_only: bool = True, expires_at=None):
    """A new token for `user` in an organization they belong to (a global Admin: any). Returns
    (row, secret): the secret exists only in this answer."""
    from flask_jwt_extended import create_access_token

    from app.core import sessions
    from app.core.audit import record_event
    from app.core.tenancy import Organization, membership_for

    if presented() is not None:
        raise Forbidden("API tokens are created after logging in with your password, not with another token.")
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_MAX:
        raise Invalid("name: 1 to 100 characters", {"name": [f"1 to {NAME_MAX} characters."]})
    if any(ord(c) < 32 for c in name):
        raise Invalid("name: control characters", {"name": ["No control characters."]})
    if not isinstance(read_only, bool):
        raise Invalid("read_only: true or false", {"read_only": ["true or false."]})
    expires = expires_at if isinstance(expires_at, datetime) or expires_at is None else parse_expiry(expires_at)
    db = _db()
    org = db.session.get(Organization, organization_id) if organization_id is not None else None
    if org is None or (membership_for(user.id, org.id) is None and not _sm().is_global_admin(user)):
        raise Invalid("organization: not yours", {"organization_id": ["An organization you belong to."]})
    jti = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        organization_id=org.id,
        name=name,
        read_only=read_only,
        secret_hash=_digest(jti),
        hint="",
        expires_at=expires,
        created_at=utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    with sessions.without_session():
        secret = create_access_token(
            identity=str(user.id),
            additional_claims={"tid": token.id, "jti": jti},
            expires_delta=(expires - utcnow()) if expires is not None else False,
        )
    token.hint = secret[-6:]
    record_event(db.session, "permission_change", "ApiToken", token.id, user_id=user.id, organization_id=org.id)
    db.session.commit()
    return token, secret


def visible_to(user, *, everyone: bool = False):
    """A SELECT of the tokens `user` may see: their own; with `everyone`, a global Admin's view of all."""
    stmt = sa.select(ApiToken).options(joinedload(ApiToken.user))
    if everyone:
        if not _sm().is_global_admin(user):
            raise Forbidden("Only an administrator lists every user's tokens.")
    else:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return stmt.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())


def get_visible(user, token_id: int) -> ApiToken:
    token = _db().session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not _sm().is_global_admin(user)):
        raise NotFound("Token not found.")
    return token


def revoke(token: ApiToken, by_user_id: int | None) -> ApiToken:
    from app.core.audit import record_event

    db = _db()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = by_user_id
        record_event(
            db.session, "permission_change", "ApiToken", token.id, user_id=by_user_id,
            organization_id=token.organization_id,
        )  # fmt: skip
        db.session.commit()
    return token


def revoke_presented(payload: dict) -> None:
    """Logout with a token revokes that token."""
    try:
        token = _db().session.get(ApiToken, int(payload.get("tid")))
    except (TypeError, ValueError):
        return
    if token is not None and str(token.user_id) == str(payload.get("sub")):
        revoke(token, token.user_id)


def as_dict(token: ApiToken, *, with_user: bool = False) -> dict:
    def iso(value):
        return value.isoformat() if value is not None else None

    out = {
        "id": token.id,
        "name": token.name,
        "organization": {"id": token.organization.id, "name": token.organization.name} if token.organization else None,
        "read_only": token.read_only,
        "hint": f"…{token.hint}",
        "state": token.state,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "last_used_addr": token.last_used_addr,
        "revoked_at": iso(token.revoked_at),
    }
    if with_user:
        out["user"] = {"id": token.user_id, "username": token.user.username if token.user else None}
    return out
