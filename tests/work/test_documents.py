"""Uploads: an allow-list of extensions and bytes that are what the extension says, a size limit
(413), random names under UPLOAD_DIR with the original kept for display; downloads only through
the scoped routes, as attachments with the stored type and nosniff; files and rows in step."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.work.models import AssignmentDocument
from tests import factories as f
from tests.work import helpers as w

API = "/api/v1/assignments"
PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(client, headers, row, name, data):
    return client.post(
        f"{API}/{row.id}/documents",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def _stored(app) -> set[str]:
    root = Path(app.config["UPLOAD_DIR"])
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def uploads(app, tmp_path):
    before = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = before


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_an_allowed_file_is_stored_under_a_random_name(app, client, org, uploads):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    resp = _upload(client, f.auth(valuer), row, "report.pdf", PDF)
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()["result"]
    assert doc["filename"] == "report.pdf" and doc["content_type"] == "application/pdf" and doc["size"] == len(PDF)
    (stored,) = _stored(app)
    assert "report" not in stored and stored.endswith(".pdf")
    assert _upload(client, f.auth(valuer), row, "plan.docx", _docx()).status_code == 201
    listed = client.get(f"{API}/{row.id}/documents", headers=f.auth(valuer)).get_json()["result"]
    assert [d["filename"] for d in listed] == ["report.pdf", "plan.docx"]


def test_the_download_is_an_attachment_with_its_type_and_nosniff(client, org, uploads):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    doc_id = _upload(client, f.auth(valuer), row, "notes.txt", b"hello\n").get_json()["id"]
    resp = client.get(f"/api/v1/documents/{doc_id}/download", headers=f.auth(valuer))
    assert resp.status_code == 200 and resp.data == b"hello\n"
    assert (
        resp.headers["Content-Disposition"].startswith("attachment;")
        and "notes.txt" in resp.headers["Content-Disposition"]
    )
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("page.html", b"<html></html>"),  # not on the allow-list
        ("script.exe", b"MZ..."),
        ("noextension", b"hello"),
        ("fake.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),  # lying content
        ("fake.png", PDF),
        ("fake.docx", b"PK\x03\x04 not really a zip"),
        ("fake.txt", b"<html><body>hi</body></html>"),
        ("empty.txt", b""),
    ],
)
def test_refused_files_are_422_and_leave_nothing(app, client, org, uploads, name, data):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    resp = _upload(client, f.auth(valuer), row, name, data)
    assert resp.status_code == 422 and "file" in resp.get_json()["message"], resp.get_json()
    assert _stored(app) == set()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AssignmentDocument).where(AssignmentDocument.assignment_id == row.id)
        )
        == 0
    )


def test_a_file_over_the_limit_is_413(app, client, org, uploads):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    limit = app.config["OPSHUB_MAX_UPLOAD_BYTES"]
    app.config["OPSHUB_MAX_UPLOAD_BYTES"] = 4096
    try:
        assert _upload(client, f.auth(valuer), row, "ok.txt", b"a" * 4000).status_code == 201
        resp = _upload(client, f.auth(valuer), row, "big.txt", b"a" * 5000)  # within the body's slack
        assert resp.status_code == 413
        resp = _upload(client, f.auth(valuer), row, "huge.txt", b"a" * 200_000)  # past the body limit
        assert resp.status_code == 413
    finally:
        app.config["OPSHUB_MAX_UPLOAD_BYTES"] = limit
    assert len(_stored(app)) == 1


def test_a_bigger_body_is_allowed_only_on_upload_routes(app, client, org, uploads):
    """The upload limit (10 MiB) lifts the 1 MiB body limit on the upload routes only."""
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    assert _upload(client, f.auth(valuer), row, "big.txt", big).status_code == 201
    resp = client.post(
        f"{API}/{row.id}/messages", data=big, headers={**f.auth(valuer), "Content-Type": "application/json"}
    )
    assert resp.status_code == 413


def test_path_tricks_in_the_name_stay_a_name(app, client, org, uploads):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    for name in ("../../x.pdf", "..\\..\\evil.pdf", "/etc/passwd.pdf"):
        resp = _upload(client, f.auth(valuer), row, name, PDF)
        assert resp.status_code == 201, resp.get_json()
        assert "/" not in resp.get_json()["result"]["filename"] and "\\" not in resp.get_json()["result"]["filename"]
    root = uploads.resolve()
    assert all(root in p.resolve().parents for p in uploads.rglob("*") if p.is_file())
    assert not (uploads.parent / "x.pdf").exists() and not Path("/x.pdf").exists()


def test_downloads_by_another_organization_or_an_unassigned_valuer_are_404(app, client, org, other_org, uploads):
    valuer, other_valuer = f.make_user(org, "Valuer"), f.make_user(org, "Valuer")
    outsider = f.make_user(other_org, "Manager")
    row = w.make_assignment(org, valuer)
    doc_id = _upload(client, f.auth(valuer), row, "r.pdf", PDF).get_json()["id"]
    for user in (other_valuer, outsider):
        assert client.get(f"/api/v1/documents/{doc_id}/download", headers=f.auth(user)).status_code == 404
        assert client.delete(f"/api/v1/documents/{doc_id}", headers=f.auth(user)).status_code == 404
        pages = app.test_client()
        f.page_login(pages, user)
        assert pages.get(f"/assignments/documents/{doc_id}/download").status_code == 404
    pages = app.test_client()
    f.page_login(pages, valuer)
    resp = pages.get(f"/assignments/documents/{doc_id}/download")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].startswith("attachment;")
    assert app.test_client().get("/download/" + next(iter(_stored(app)))).status_code in (
        302,
        404,
    )  # FAB's route is closed


def test_a_failed_database_write_leaves_no_file(app, client, org, uploads, monkeypatch):
    from app.work.services import documents

    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    original = documents.log_activity

    def broken(*args, **kwargs):
        original(*args, **kwargs)
        raise documents.invalid("body", "the database refused the write")

    monkeypatch.setattr(documents, "log_activity", broken)
    resp = _upload(client, f.auth(valuer), row, "r.pdf", PDF)
    assert resp.status_code == 422
    assert _stored(app) == set()


def test_a_failed_file_write_leaves_no_row(app, client, org, uploads, monkeypatch):
    from app.work import storage

    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)

    def full_disk(self, stream, max_bytes, suffix=""):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.LocalStorage, "save", full_disk)
    resp = _upload(client, f.auth(valuer), row, "r.pdf", PDF)
    assert resp.status_code >= 500 or resp.status_code == 503
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(AssignmentDocument).where(AssignmentDocument.assignment_id == row.id)
    )
    assert count == 0


def test_deleting_a_document_is_versioned_and_removes_its_file_once_committed(app, client, org, uploads):
    from app.work.models import AssignmentDocument as Doc

    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    doc_id = _upload(client, f.auth(valuer), row, "r.pdf", PDF).get_json()["id"]
    assert len(_stored(app)) == 1
    assert client.delete(f"/api/v1/documents/{doc_id}", headers=f.auth(valuer)).status_code == 200
    assert _stored(app) == set()
    assert [op for op, _ in f.versions_of(Doc, doc_id)] == [0, 2]


def test_the_page_uploads_and_lists_documents(app, org, uploads):
    valuer = f.make_user(org, "Valuer")
    row = w.make_assignment(org, valuer)
    pages = app.test_client()
    f.page_login(pages, valuer)
    resp = pages.post(
        f"/assignments/documents/{row.id}/upload",
        data={"file": (io.BytesIO(PDF), "page.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    resp = pages.post(
        f"/assignments/documents/{row.id}/upload",
        data={"file": (io.BytesIO(b"<html>"), "bad.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "not a .pdf file" in resp.get_data(as_text=True)
    page = pages.get(f"/assignments/show/{row.id}").get_data(as_text=True)
    assert "page.pdf" in page and "bad.pdf" not in page
    assert os.listdir(uploads)
