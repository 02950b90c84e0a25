"""Documents of an assignment: upload (allow-list, content check, size limit) and removal. The
file is written first; its row in a unit of work: a failed file write leaves no row, and a
rolled-back row (here or in an outer unit) takes its file with it (app/work/storage.py)."""

from __future__ import annotations

from typing import Any, BinaryIO

from flask import current_app

from app.core.errors import invalid
from app.core.uow import unit_of_work
from app.work.models import Assignment, AssignmentDocument
from app.work.models.assignment import log_activity
from app.work.storage import delete_after_commit, get_storage, written
from app.work.uploads import check_content, display_name, extension


def upload_limit() -> int:
    return int(current_app.config["OPSHUB_MAX_UPLOAD_BYTES"])


def upload(assignment: Assignment, stream: BinaryIO | None, filename: str | None, *, actor: Any = None):
    if stream is None:
        raise invalid("file", "Choose a file to upload.")
    name = display_name(filename)
    if not name:
        raise invalid("file", "The file needs a name.")
    ext = extension(name, tuple(current_app.config["FILE_ALLOWED_EXTENSIONS"]))
    content_type = check_content(ext, stream)
    storage = get_storage()
    key, size, digest = storage.save(stream, upload_limit(), suffix=f".{ext}")
    if size == 0:
        storage.delete(key)
        raise invalid("file", "The file is empty.")
    with unit_of_work(actor=actor) as session:
        written(session, storage, key)
        document = AssignmentDocument(
            assignment=assignment, filename=name, storage_key=key, content_type=content_type, size=size, sha256=digest
        )
        session.add(document)
        log_activity(session, assignment, "document", f"Document uploaded: {name}")
    return document


def remove(document: AssignmentDocument, *, actor: Any = None) -> None:
    with unit_of_work(actor=actor) as session:
        delete_after_commit(session, get_storage(), document.storage_key)
        log_activity(session, document.assignment, "document", f"Document removed: {document.filename}")
        session.delete(document)


def document_dict(document: AssignmentDocument) -> dict:
    from app.core.history import plain

    return {
        "id": document.id,
        "assignment_id": document.assignment_id,
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_by": document.created_by.username if document.created_by else None,
        "uploaded_at": plain(document.created_at),
    }
