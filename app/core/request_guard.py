"""What an outside probe may send, answered before it reaches a view or the database.

* Forwarded headers are trusted only behind a configured number of proxies (`PROXY_FIX_HOPS`,
  0 by default: `X-Forwarded-For` is ignored), and the address recorded on transactions and used
  by the login limits is a validated IP address or nothing (`client_address`).
* Request bodies over `MAX_CONTENT_LENGTH` answer 413; JSON bodies nested deeper than
  `MAX_JSON_DEPTH` or holding a lone surrogate answer 400; control characters (NUL...) in a JSON
  string answer 422 naming the field; a NUL in the path, the query string or a form answers 400
  (PostgreSQL refuses the whole statement otherwise).
* The API answers JSON for routing errors too (404, 405, 413), and an id beyond the INTEGER
  range is a 404 on every route and method (werkzeug would say 405 for some).
* A database outage is a 503 with a message, on the API and the pages, never a 500; the pool
  reconnects on the next request. FAB's `@safe` turns every exception inside an API method into
  a 500: `api_failure` (installed on `BaseApi.response_500`) maps what it caught.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sys
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix

from app.core.errors import MAX_ID
from app.core.text_rules import CONTROL_MESSAGE, has_control_chars

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32
MAX_ADDRESS_LENGTH = 45  # the longest textual IPv6 address (Continuum's remote_addr holds 50)
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
OUTAGE_MESSAGE = "The database is unavailable; try again in a moment."
BAD_VALUE_MESSAGE = "Invalid value in the request."


# ------------------------------------------------------------------ addresses
class ConfiguredProxyFix:
    """werkzeug's ProxyFix with `PROXY_FIX_HOPS` read from the app's config (0: no proxy is
    trusted and forwarded headers are ignored)."""

    def __init__(self, app: Flask):
        self.flask_app = app
        self.wsgi_app = app.wsgi_app
        self._fixed: dict[int, ProxyFix] = {}

    def __call__(self, environ, start_response):
        hops = int(self.flask_app.config.get("PROXY_FIX_HOPS") or 0)
        if hops <= 0:
            return self.wsgi_app(environ, start_response)
        fixed = self._fixed.get(hops)
        if fixed is None:
            fixed = self._fixed[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
        return fixed(environ, start_response)


def valid_address(raw: str | None) -> str | None:
    """`raw` as a normalised IP address, or None when it is not one."""
    if not raw or len(raw) > MAX_ADDRESS_LENGTH:
        return None
    try:
        return ipaddress.ip_address(raw.strip()).compressed
    except ValueError:
        return None


def client_address() -> str | None:
    """The request's client address (after the configured proxies), validated and bounded."""
    return valid_address(request.remote_addr)


def valid_request_id(raw: str | None) -> str | None:
    return raw if raw and REQUEST_ID_RE.match(raw) else None


def local_target(url: str | None) -> str | None:
    """`url` as a path on this site (for a redirect), or None when it points elsewhere: another
    host or scheme, protocol-relative `//host`, backslashes that browsers read as slashes."""
    if not url or "\\" in url or any(ord(c) < 32 for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


# ------------------------------------------------------------------ answers
def _is_api() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message, **extra):
    """A JSON body on the API, plain text on the pages."""
    if _is_api() or request.is_json:
        resp = jsonify(message=message, **extra)
        resp.status_code = status
        return resp
    text = message if isinstance(message, str) else "; ".join(f"{k}: {' '.join(v)}" for k, v in message.items())
    return text, status, {"Content-Type": "text/plain; charset=utf-8"}


def is_outage(exc: BaseException | None) -> bool:
    """The database cannot be reached (or refuses connections): not the client's fault, not a bug."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError))


def _rollback_quietly() -> None:
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the pool replaces it on the next checkout
        log.debug("rollback failed after a database error", exc_info=True)


def outage_response():
    _rollback_quietly()
    resp = error_response(503, OUTAGE_MESSAGE)
    if isinstance(resp, tuple):
        return resp[0], 503, {**resp[2], "Retry-After": "5"}
    resp.headers["Retry-After"] = "5"
    return resp


def api_failure(original):
    """A replacement for `BaseApi.response_500`, which FAB's `@safe` calls with the exception
    being handled: an outage is a 503, a value the database refused a 400, an HTTP error its
    own status; anything else stays a 500 that names no database text."""

    def response_500(self, message=None):
        exc = sys.exc_info()[1]
        if is_outage(exc):
            log.warning("database unavailable: %s", exc.__class__.__name__)
            return outage_response()
        if isinstance(exc, (sa.exc.DataError, OverflowError, RecursionError)):
            _rollback_quietly()
            return self.response(400, message=BAD_VALUE_MESSAGE)
        if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
            return self.response(exc.code, message=exc.description)
        return original(self, message="Internal error")

    response_500.__wrapped__ = original
    return response_500


# ------------------------------------------------------------------ the guard
def _json_problem(body) -> tuple[int, object] | None:
    """Walk a parsed JSON body (no recursion): too deep is 400, a lone surrogate 400, control
    characters 422 with the top-level field named."""
    bad: dict[str, list[str]] = {}
    stack = [(body, 1, None)]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return 400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
        if isinstance(value, dict):
            for key, item in value.items():
                problem = _string_problem(key)
                if problem == "surrogate":
                    return 400, "The JSON holds text that is not valid Unicode (a lone surrogate)."
                if problem:
                    bad.setdefault(field or "_key", [CONTROL_MESSAGE])
                stack.append((item, depth + 1, field or key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
        elif isinstance(value, str):
            problem = _string_problem(value)
            if problem == "surrogate":
                return 400, "The JSON holds text that is not valid Unicode (a lone surrogate)."
            if problem:
                bad.setdefault(field or "_body", [CONTROL_MESSAGE])
    if bad:
        return 422, bad
    return None


def _string_problem(value: str) -> str | None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "surrogate"
    return "control" if has_control_chars(value) else None


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in vals) for key, vals in values.lists())


UPLOAD_LIMIT_ATTR = "_opshub_upload_limit"
FORM_OVERHEAD = 64 * 1024  # room for the multipart form around the file


def upload_limit(setting: str, default: int):
    """Let a route take bodies up to `config[setting]` bytes (`default` when unset), plus room
    for the form around the file, instead of MAX_CONTENT_LENGTH (an import file, an assignment's
    document). The route still checks the file's own size exactly. Put it below `expose`/
    `protect` (they copy the function's attributes onto their wrappers)."""

    def decorator(fn):
        setattr(fn, UPLOAD_LIMIT_ATTR, (setting, default))
        return fn

    return decorator


def body_limit() -> int | None:
    """This request's body limit: its route's `upload_limit` if it declares one, else MAX_CONTENT_LENGTH."""
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, UPLOAD_LIMIT_ATTR, None)
    if declared is not None:
        return int(current_app.config.get(declared[0], declared[1])) + FORM_OVERHEAD
    return current_app.config.get("MAX_CONTENT_LENGTH")


def guard_request():
    if "\x00" in request.path:
        return error_response(400, "NUL character in the address.")
    limit = body_limit()
    request.max_content_length = limit  # what the form parser enforces for this request too
    if limit and request.content_length is not None and request.content_length > limit:
        return error_response(413, f"Request body too large (at most {limit:,} bytes).")
    if _has_nul(request.args):
        return error_response(400, "NUL character in the query string.")
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            try:
                body = request.get_json(silent=True)  # cached for the view
            except RecursionError:
                return error_response(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
            problem = _json_problem(body) if body is not None else None
            if problem is not None:
                status, message = problem
                if status == 422:
                    return error_response(422, message, detail="Control characters are not allowed in text.")
                return error_response(status, message)
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if _has_nul(request.form):
                return error_response(400, "NUL character in the form.")
    return None


def _beyond_int_range() -> bool:
    return any(seg.isdigit() and int(seg) > MAX_ID for seg in request.path.split("/"))


def api_error(exc: HTTPException):
    """An HTTP error on the API as JSON: routing errors (404, 405 with its Allow header), a body
    over its limit (413, naming it), an id beyond the INTEGER range (404 on every method). The
    pages get theirs from app/core/error_pages.py, which calls this for API paths."""
    if _beyond_int_range():
        return error_response(404, "Not found")
    if exc.code == 413:
        limit = body_limit()
        return error_response(413, f"Request body too large (at most {limit:,} bytes)." if limit else exc.description)
    resp = error_response(exc.code, exc.description)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def install(app: Flask) -> None:
    """Register the guard (first, right after the per-request reset) and the error answers."""
    from app.core import compat, list_limits

    list_limits.install(app)
    funcs = app.before_request_funcs.setdefault(None, [])
    funcs.insert(1 if funcs else 0, guard_request)
    compat.wrap_fab_api_500(api_failure)

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    @app.errorhandler(sa.exc.TimeoutError)
    def _outage(exc: Exception):
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return outage_response()
