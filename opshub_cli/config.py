"""Where the CLI keeps its session and its cache: the user's config directory (`OPSHUB_CONFIG_DIR`
overrides it), files readable by their owner only (0600, in a 0700 directory)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import click

SESSION_FILE = "session.json"
CACHE_FILE = "resources.json"
IDLE_SECONDS = 30 * 60  # a session ends after 30 minutes without a command (SPEC §10)
DEFAULT_SERVER = "http://127.0.0.1:8080"


def config_dir() -> Path:
    return Path(os.environ.get("OPSHUB_CONFIG_DIR") or click.get_app_dir("opshub"))


def _write_private(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class SessionStore:
    """The logged-in session: server, username, tokens, default organization, last use."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or config_dir()) / SESSION_FILE

    def load(self) -> dict | None:
        data = _read(self.path)
        return data if isinstance(data, dict) and data.get("access_token") else None

    def save(self, data: dict) -> None:
        data["last_used"] = time.time()
        _write_private(self.path, data)

    def touch(self, data: dict) -> None:
        self.save(data)

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    @staticmethod
    def idle(data: dict) -> bool:
        return time.time() - float(data.get("last_used") or 0) > IDLE_SECONDS


class DescriptionCache:
    """The server's resource description per server, identity and organization, with its ETag."""

    MAX_AGE = 300  # seconds before asking the server again (a 304 when nothing changed)

    def __init__(self, directory: Path | None = None):
        self.path = (directory or config_dir()) / CACHE_FILE

    @staticmethod
    def key(server: str, identity: str, org: str | None) -> str:
        return hashlib.sha256(f"{server}\n{identity}\n{org or ''}".encode()).hexdigest()[:24]

    def get(self, key: str) -> dict | None:
        data = _read(self.path) or {}
        entry = data.get(key)
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, etag: str | None, document: dict) -> None:
        data = _read(self.path) or {}
        data = {k: v for k, v in data.items() if isinstance(v, dict) and time.time() - v.get("at", 0) < 7 * 86400}
        data[key] = {"etag": etag, "at": time.time(), "document": document}
        _write_private(self.path, data)

    def touch(self, key: str) -> None:
        data = _read(self.path) or {}
        if key in data:
            data[key]["at"] = time.time()
            _write_private(self.path, data)

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def fresh(entry: dict[str, Any] | None, max_age: float) -> bool:
    return entry is not None and time.time() - entry.get("at", 0) < max_age
