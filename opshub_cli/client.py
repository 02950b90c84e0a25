"""The HTTP side: the server's address, the credentials (a login session kept in the config
directory, refreshed as it goes, or an API token from `OPSHUB_TOKEN`), the active organization,
and the API's refusals turned into one line and an exit code."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

import requests

from opshub_cli import exits
from opshub_cli.config import DEFAULT_SERVER, SessionStore
from opshub_cli.exits import CliError

TIMEOUT = (5, 120)  # connect, read (an import's commit may take a while)
REFRESH_MARGIN = 60  # seconds: refresh an access token this close to its end


def normalize(server: str) -> str:
    server = (server or "").strip().rstrip("/")
    if server and "://" not in server:
        server = f"http://{server}"
    return server


def jwt_expiry(token: str) -> float | None:
    """The `exp` of a JWT, read without checking it (the server checks)."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return float(claims["exp"]) if "exp" in claims else None
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def error_text(body: Any, status: int) -> str:
    """The API's refusal in one line: its sentence, then the messages per field."""
    if not isinstance(body, dict):
        return f"The server answered {status}."
    detail = body.get("detail")
    message = body.get("message")
    parts: list[str] = []
    if isinstance(detail, str) and detail:
        parts.append(detail)
    if isinstance(message, str) and message and message not in parts:
        parts.append(message)
    elif isinstance(message, dict):
        fields = []
        for name, msgs in message.items():
            text = " ".join(str(m) for m in msgs) if isinstance(msgs, list) else json.dumps(msgs)
            fields.append(f"{name}: {text}" if name != "_schema" else text)
        field_text = "; ".join(fields)
        if field_text and field_text not in " ".join(parts):
            parts.append(field_text)
    return " — ".join(parts) or f"The server answered {status}."


class Api:
    def __init__(
        self, server: str | None, *, org: str | None = None, token: str | None = None, store: SessionStore | None = None
    ):
        self.store = store or SessionStore()
        self.session_data = self.store.load()
        self.token = token or os.environ.get("OPSHUB_TOKEN") or None
        stored_server = (self.session_data or {}).get("server")
        self.server = normalize(server or os.environ.get("OPSHUB_URL") or stored_server or DEFAULT_SERVER)
        if self.session_data and normalize(stored_server or "") != self.server:
            self.session_data = None  # logged in elsewhere
        self.org_choice = org or os.environ.get("OPSHUB_ORG") or (self.session_data or {}).get("org")
        self._org_id: str | None = None
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "opshub-cli"

    # ------------------------------------------------------------ credentials
    @property
    def identity(self) -> str:
        if self.token:
            return "token:" + self.token[-12:]
        return "user:" + str((self.session_data or {}).get("username"))

    def logged_in(self) -> bool:
        return bool(self.token or self.session_data)

    def _access_token(self) -> str:
        if self.token:
            return self.token
        data = self.session_data
        if not data:
            raise CliError("Not logged in: run `opshub auth login` (or set OPSHUB_TOKEN).", exits.FORBIDDEN)
        if data.get("kind") != "token" and self.store.idle(data):
            self.end_session(data)
            raise CliError(
                "Your session ended after 30 minutes without use: log in again (`opshub auth login`).",
                exits.FORBIDDEN,
            )
        exp = jwt_expiry(data["access_token"])
        if exp is not None and exp - time.time() < REFRESH_MARGIN and data.get("refresh_token"):
            self.refresh()
        self.store.touch(data)
        return self.session_data["access_token"]

    def refresh(self) -> None:
        data = self.session_data or {}
        resp = self._send("POST", "/api/v1/security/refresh", bearer=data.get("refresh_token"))
        if resp.status_code != 200:
            self.store.clear()
            raise CliError("Your session has ended: log in again (`opshub auth login`).", exits.FORBIDDEN)
        data["access_token"] = resp.json()["access_token"]
        self.store.save(data)

    def end_session(self, data: dict) -> None:
        """Revoke the login on the server (its refresh token may still be valid) and forget it."""
        bearer = data.get("refresh_token") or data.get("access_token")
        if data.get("kind") != "token" and bearer:
            try:
                self._send("POST", "/api/v1/security/logout", bearer=bearer)
            except CliError:
                pass  # unreachable: the local session is forgotten anyway
        self.store.clear()
        self.session_data = None

    # ------------------------------------------------------------ organization
    def org_id(self) -> str | None:
        choice = self.org_choice
        if choice in (None, ""):
            return None
        choice = str(choice).strip()
        if choice.isdigit():
            return choice
        if self._org_id is None:
            me = self.request("GET", "/api/v1/me/", with_org=False).json()
            wanted = choice.lower()
            match = [o for o in me.get("organizations", []) if wanted in (o["slug"].lower(), o["name"].lower())]
            if not match:
                raise CliError(f"You belong to no organization called {choice!r}.", exits.NOT_FOUND)
            self._org_id = str(match[0]["id"])
        return self._org_id

    # ------------------------------------------------------------ requests
    def _send(self, method: str, path: str, *, bearer: str | None = None, headers=None, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else f"{self.server}{path}"
        all_headers = dict(headers or {})
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
        try:
            return self.http.request(method, url, headers=all_headers, timeout=TIMEOUT, **kwargs)
        except requests.exceptions.RequestException as exc:
            if isinstance(exc, requests.exceptions.Timeout):
                reason = "no answer in time"
            elif isinstance(exc, requests.exceptions.ConnectionError):
                reason = "connection refused, or no such host"
            else:
                reason = type(exc).__name__
            raise CliError(f"Cannot reach the OpsHub server at {self.server} ({reason}).", exits.ERROR) from None

    def request(
        self, method: str, path: str, *, with_org: bool = True, ok=(), headers=None, what: str | None = None, **kwargs
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if with_org:
            org = self.org_id()
            if org:  # with an API token, the server refuses any but the token's own
                all_headers["X-Organization-Id"] = org
        resp = self._send(method, path, bearer=self._access_token(), headers=all_headers, **kwargs)
        if resp.status_code == 401 and not self.token and (self.session_data or {}).get("refresh_token"):
            self.refresh()
            resp = self._send(method, path, bearer=self.session_data["access_token"], headers=all_headers, **kwargs)
        if resp.status_code >= 400 and resp.status_code not in ok:
            raise api_error(resp, what)
        return resp

    def get(self, path: str, **kwargs) -> Any:
        return self.request("GET", path, **kwargs).json()


def api_error(resp: requests.Response, what: str | None = None) -> CliError:
    try:
        body = resp.json()
    except ValueError:
        body = None
    status = resp.status_code
    text = error_text(body, status)
    if status == 404 and text.lower() in ("not found", "not found."):
        text = f"{what or 'That record'} not found (or not in this organization)."
    if status == 429 and resp.headers.get("Retry-After"):
        text += f" Try again in {resp.headers['Retry-After']} s."
    if status == 401:
        text += " Log in with `opshub auth login` (or check OPSHUB_TOKEN)."
    return CliError(text, exits.BY_STATUS.get(status, exits.ERROR))
