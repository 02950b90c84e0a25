"""Where uploaded files live: one small interface, a local directory now.

    storage = get_storage()          # from the app's config
    key, size, digest = storage.save(stream, max_bytes)   # TooLarge (413) past max_bytes
    with storage.open(key) as f: ...
    storage.delete(key)

`OPSHUB_STORAGE` names the class (`module:Class`, default `app.work.storage:LocalStorage`,
which keeps files under `UPLOAD_DIR`). When OpsHub runs on several servers, an S3-compatible
store (MinIO, Ceph, AWS) replaces it by a class with the same three methods — `save` streaming
to `put_object` under the same random key, `open` returning the object's body, `delete` — and
its own settings; nothing else changes: rows keep only the key.

Files and rows stay in step with the transaction (`after_commit` / `after_rollback`): a file
written for a row that is then rolled back is removed, and a file whose row is deleted is removed
only once that delete is committed.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.errors import TooLarge

CHUNK = 64 * 1024
WRITTEN_KEY = "opshub_files_written"
DOOMED_KEY = "opshub_files_to_delete"


class Storage(Protocol):
    def save(self, stream: BinaryIO, max_bytes: int, suffix: str = "") -> tuple[str, int, str]: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under one directory, named by a random key (two levels of fan-out)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def save(self, stream: BinaryIO, max_bytes: int, suffix: str = "") -> tuple[str, int, str]:
        key = secrets.token_hex(16) + suffix
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        digest, size = hashlib.sha256(), 0
        try:
            with open(partial, "xb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"The file is larger than {max_bytes:,} bytes.", {"file": ["Too large."]})
                    digest.update(chunk)
                    out.write(chunk)
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return key, size, digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage() -> Storage:
    spec = current_app.config.get("OPSHUB_STORAGE") or "app.work.storage:LocalStorage"
    module, _, name = spec.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(current_app.config["UPLOAD_DIR"]) if cls is LocalStorage else cls(current_app.config)


# ------------------------------------------------------------------ files follow the transaction
def written(session: Session, storage: Storage, key: str) -> None:
    """A file saved for a row of this transaction: removed again if the transaction rolls back."""
    session.info.setdefault(WRITTEN_KEY, []).append((storage, key))


def delete_after_commit(session: Session, storage: Storage, key: str) -> None:
    session.info.setdefault(DOOMED_KEY, []).append((storage, key))


def _remove(pairs) -> None:
    for storage, key in pairs:
        try:
            storage.delete(key)
        except OSError:
            current_app.logger.warning("could not remove stored file %s", key)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(WRITTEN_KEY, None)
    _remove(session.info.pop(DOOMED_KEY, []))


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(DOOMED_KEY, None)
    _remove(session.info.pop(WRITTEN_KEY, []))
