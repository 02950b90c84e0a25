"""What an uploaded file may be: an allow-list of extensions, and bytes that are what the
extension says (a `.pdf` holding an HTML page is refused: 422). The stored content type comes
from this check, never from what the client claimed."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from typing import BinaryIO

from app.core.errors import invalid

SNIFF_BYTES = 8192
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",  # sent as UTF-8 text (the response adds the charset)
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# the part an Office Open XML file of each kind holds
OOXML_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
MARKUP = re.compile(rb"^\s*(<!doctype|<html|<head|<body|<script|<svg|<\?xml|<iframe)", re.I)


def display_name(raw: str | None) -> str:
    """The client's file name as shown to people: its last path segment (`../../x.pdf` → `x.pdf`,
    `C:\\a\\b.pdf` → `b.pdf`), without control characters, at most 200 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot else name[:200]
    return name


def extension(name: str, allowed: tuple[str, ...]) -> str:
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in allowed or ext not in CONTENT_TYPES:
        kinds = ", ".join(e for e in allowed if e in CONTENT_TYPES)
        raise invalid("file", f"Files of this kind are not accepted; allowed: {kinds}.")
    return ext


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a character cut at the end of the sample is fine
            return False
    return not MARKUP.match(head)


def check_content(ext: str, stream: BinaryIO) -> str:
    """The content type of `stream` if its bytes are a file of kind `ext` (422 otherwise); the
    stream is left at its start."""
    start = stream.tell()
    head = stream.read(SNIFF_BYTES)
    stream.seek(start)
    ok = {
        "pdf": lambda: head.startswith(b"%PDF-"),
        "png": lambda: head.startswith(b"\x89PNG\r\n\x1a\n"),
        "jpg": lambda: head.startswith(b"\xff\xd8\xff"),
        "jpeg": lambda: head.startswith(b"\xff\xd8\xff"),
        "txt": lambda: _is_text(head),
        "csv": lambda: _is_text(head),
        "docx": lambda: _is_ooxml(stream, "docx"),
        "xlsx": lambda: _is_ooxml(stream, "xlsx"),
    }[ext]()
    stream.seek(start)
    if not ok:
        raise invalid("file", f"The file's content is not a .{ext} file.")
    return CONTENT_TYPES[ext]


def _is_ooxml(stream: BinaryIO, ext: str) -> bool:
    if stream.read(4) != b"PK\x03\x04":
        return False
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream if stream.seekable() else io.BytesIO(stream.read())) as archive:
            return OOXML_PARTS[ext] in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
