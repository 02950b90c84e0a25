"""Helpers of the export/import tests: upload a file, read an export back, count writes."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app.core.audit import AuditRecord
from app.core.versioning import transaction_model
from app.extensions import db


def upload(client, api: str, headers: dict, content: bytes | str, *, name: str = "data.csv", key: str | None = None):
    if isinstance(content, str):
        content = content.encode()
    data = {"file": (io.BytesIO(content), name), **({"key": key} if key else {})}
    return client.post(
        f"{api}/import",
        data=data,
        headers=headers,
        content_type="multipart/form-data",
    )


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


def writes() -> tuple[int, int]:
    """(transactions, audit rows) so far: an error path must leave both as they were."""
    Tx = transaction_model()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Tx)),
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord)),
    )
