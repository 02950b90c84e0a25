"""Failed-login limits that hold across every worker and server, without letting anyone lock a
user out for good.

Failures are counted in a moving window, in shared storage: the database (`login_failure`) by
default, Redis when `REDIS_URL` is set. Three counts, on the login page and the API alike:

* per username (`OPSHUB_LOGIN_FAILURE_LIMIT`, default 5 per 15 minutes), unknown names too;
* per client address (`OPSHUB_LOGIN_ADDRESS_LIMIT`, 20 per 15 minutes) — the real address, as
  `PROXY_FIX_HOPS` allows (a rotated X-Forwarded-For is ignored by default);
* overall (`OPSHUB_LOGIN_GLOBAL_LIMIT`, 100 per 15 minutes), against spraying from many hosts.

The decision, before the password is checked:

1. an address over its limit is refused (429), whatever the password;
2. while the username or the overall count is over its limit, an address with failures in its
   window is refused (429) — but an address *without* recent failures may still try, so the
   right password from the user's own machine gets in (as Django Axes' username+address lock
   or GitHub's "new device" check): an attacker cannot lock a user out. Each wrong guess from a
   fresh address makes that address "dirty", so a botnet buys one guess per address per window;
3. a lock lifts by itself when its failures leave the window (the delay); a refused attempt
   is not counted, so the delay is the window at most.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import jsonify, request
from flask_appbuilder import Model
from limits import RateLimitItem, parse

from app.core.compat import LOGIN_ENDPOINTS
from app.core.models import utcnow

GLOBAL_KEY = "g"
REFUSED = "Too many failed logins; try again later."


class LoginFailure(Model):
    __tablename__ = "login_failure"
    __table_args__ = (sa.Index("ix_login_failure_key_created_at", "key", "created_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    key = sa.Column(sa.String(80), nullable=False)
    created_at = sa.Column(sa.DateTime, nullable=False)


# ------------------------------------------------------------------ stores
class DatabaseStore:
    """Failures as rows: exact, shared by every process using the database."""

    def _session(self):
        from app.extensions import db

        return db.session

    def counts(self, windows: dict[str, int]) -> dict[str, int]:
        now = utcnow()
        table = LoginFailure.__table__
        where = sa.or_(
            *(
                sa.and_(table.c.key == key, table.c.created_at > now - timedelta(seconds=seconds))
                for key, seconds in windows.items()
            )
        )
        rows = self._session().execute(sa.select(table.c.key, sa.func.count()).where(where).group_by(table.c.key)).all()
        found = dict(rows)
        return {key: int(found.get(key, 0)) for key in windows}

    def record(self, keys: list[str], longest: int) -> None:
        now = utcnow()
        table = LoginFailure.__table__
        session = self._session()
        session.execute(sa.delete(table).where(table.c.created_at < now - timedelta(seconds=longest)))
        session.execute(sa.insert(table), [{"key": key, "created_at": now} for key in keys])
        session.commit()

    def lifts_in(self, key: str, seconds: int, amount: int) -> float:
        """Seconds until fewer than `amount` failures of `key` are left in the window."""
        now = utcnow()
        table = LoginFailure.__table__
        nth = self._session().scalar(
            sa.select(table.c.created_at)
            .where(table.c.key == key, table.c.created_at > now - timedelta(seconds=seconds))
            .order_by(table.c.created_at.desc())
            .limit(1)
            .offset(max(amount - 1, 0))
        )
        return max(0.0, (nth + timedelta(seconds=seconds) - now).total_seconds()) if nth else 0.0

    def clear(self) -> None:
        self._session().execute(sa.delete(LoginFailure.__table__))
        self._session().commit()


class RedisStore:
    """Failures as sorted-set members scored by time, one set per key (REDIS_URL)."""

    prefix = "opshub:login-failure:"

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def counts(self, windows: dict[str, int]) -> dict[str, int]:
        now = time.time()
        pipe = self.redis.pipeline()
        for key, seconds in windows.items():
            pipe.zcount(self.prefix + key, now - seconds, "+inf")
        return {key: int(n) for key, n in zip(windows, pipe.execute(), strict=True)}

    def record(self, keys: list[str], longest: int) -> None:
        now = time.time()
        pipe = self.redis.pipeline()
        for key in keys:
            name = self.prefix + key
            pipe.zadd(name, {f"{now}:{uuid.uuid4().hex}": now})
            pipe.zremrangebyscore(name, "-inf", now - longest)
            pipe.expire(name, longest)
        pipe.execute()

    def lifts_in(self, key: str, seconds: int, amount: int) -> float:
        now = time.time()
        nth = self.redis.zrevrangebyscore(
            self.prefix + key, "+inf", now - seconds, start=max(amount - 1, 0), num=1, withscores=True
        )
        return max(0.0, nth[0][1] + seconds - now) if nth else 0.0

    def clear(self) -> None:
        for name in self.redis.scan_iter(self.prefix + "*"):
            self.redis.delete(name)


# ------------------------------------------------------------------ the policy
@dataclass
class Decision:
    refused: bool
    retry_after: int = 0
    reason: str = ""


class LoginLimits:
    def __init__(self, store, per_user: RateLimitItem, per_address: RateLimitItem, overall: RateLimitItem):
        self.store = store
        self.per_user, self.per_address, self.overall = per_user, per_address, overall

    @classmethod
    def from_config(cls, config) -> LoginLimits:
        url = config.get("REDIS_URL")
        store = RedisStore(url) if url else DatabaseStore()
        return cls(
            store,
            parse(config["OPSHUB_LOGIN_FAILURE_LIMIT"]),
            parse(config["OPSHUB_LOGIN_ADDRESS_LIMIT"]),
            parse(config["OPSHUB_LOGIN_GLOBAL_LIMIT"]),
        )

    @staticmethod
    def user_key(username: str | None) -> str | None:
        if not isinstance(username, str) or not username.strip():
            return None
        digest = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
        return f"u:{digest[:40]}"

    @staticmethod
    def address_key(address: str | None) -> str:
        return f"a:{address or 'unknown'}"

    def _windows(self, user: str | None, address: str) -> dict[str, tuple[int, RateLimitItem]]:
        out = {address: (self.per_address.get_expiry(), self.per_address)}
        out[GLOBAL_KEY] = (self.overall.get_expiry(), self.overall)
        if user:
            out[user] = (self.per_user.get_expiry(), self.per_user)
        return out

    def decide(self, username: str | None, address: str | None) -> Decision:
        user, addr = self.user_key(username), self.address_key(address)
        windows = self._windows(user, addr)
        counts = self.store.counts({key: seconds for key, (seconds, _) in windows.items()})
        if counts[addr] >= self.per_address.amount:
            return self._refuse(addr, windows[addr], "address")
        address_clean = counts[addr] == 0
        for key in (user, GLOBAL_KEY):
            if key and counts[key] >= windows[key][1].amount and not address_clean:
                return self._refuse(key, windows[key], "username" if key == user else "overall")
        return Decision(refused=False)

    def _refuse(self, key: str, window: tuple[int, RateLimitItem], reason: str) -> Decision:
        seconds, item = window
        wait = self.store.lifts_in(key, seconds, item.amount)
        return Decision(refused=True, retry_after=max(1, int(wait + 0.999)), reason=reason)

    def failed(self, username: str | None, address: str | None) -> None:
        keys = [self.address_key(address), GLOBAL_KEY]
        user = self.user_key(username)
        if user:
            keys.append(user)
        longest = max(self.per_user.get_expiry(), self.per_address.get_expiry(), self.overall.get_expiry())
        self.store.record(keys, longest)


# ------------------------------------------------------------------ the request side
def submitted_username() -> str | None:
    if request.is_json:
        body = request.get_json(silent=True)
        return body.get("username") if isinstance(body, dict) and isinstance(body.get("username"), str) else None
    return request.form.get("username")


def refuse_if_limited(limits: LoginLimits):
    """A before_request hook for the two login routes: 429 (with Retry-After) when refused."""
    if request.method != "POST" or request.endpoint not in LOGIN_ENDPOINTS:
        return None
    from app.core.request_guard import client_address

    decision = limits.decide(submitted_username(), client_address())
    if not decision.refused:
        return None
    headers = {"Retry-After": str(decision.retry_after)}
    if request.endpoint == "SecurityApi.login":
        resp = jsonify(message=REFUSED)
        resp.status_code = 429
        resp.headers.update(headers)
        return resp
    return REFUSED, 429, {"Content-Type": "text/plain; charset=utf-8", **headers}


def record_failure(limits: LoginLimits, username) -> None:
    from flask import has_request_context

    if not has_request_context():
        return
    from app.core.request_guard import client_address

    limits.failed(username if isinstance(username, str) else None, client_address())
