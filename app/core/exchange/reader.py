"""Reading an uploaded file into a header and rows of text, one row at a time.

CSV: UTF-8 (with or without a BOM), comma or semicolon separated (the header line decides).
XLSX: the first sheet, read with openpyxl's read-only mode (constant memory); a formula cell is
refused (its value may not be what the spreadsheet showed). Whatever the format, each row comes
out as `(line, cells)` with `cells` text (empty for an empty cell, a leading `'` that escaped a
formula taken off again), or `(line, problem)` for a row that cannot be read as one (more cells
than the header, a formula).

Whole-file problems raise: `FileRefused` (422: not UTF-8, not a table, empty, a header only, a
cell too long), `FileTooLarge` (413: over `OPSHUB_IMPORT_MAX_BYTES` or `OPSHUB_IMPORT_MAX_ROWS`).
"""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any

from app.core.errors import DomainError
from app.core.exchange.writer import unescape

MAX_CELL = 32_767  # the most a spreadsheet cell holds
CHUNK = 1 << 16


class FileRefused(DomainError):
    status = 422

    def __init__(self, message: str):
        super().__init__(message, {"file": [message]})


class FileTooLarge(DomainError):
    status = 413

    def __init__(self, message: str):
        super().__init__(message, {"file": [message]})


@dataclass
class RowProblem:
    message: str
    cells: list[str]


@dataclass
class Table:
    format: str  # "csv" or "xlsx"
    header: list[str]
    rows: Iterator[tuple[int, list[str] | RowProblem]]


def spool(stream: IO[bytes], max_bytes: int) -> IO[bytes]:
    """Copy the upload to a temporary file of our own, refusing more than `max_bytes`."""
    out = tempfile.TemporaryFile()
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            out.close()
            raise FileTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB, the most an import takes.")
        out.write(chunk)
    if size == 0:
        out.close()
        raise FileRefused("The file is empty.")
    out.seek(0)
    return out


def detect_format(filename: str, head: bytes) -> str:
    name = (filename or "").lower()
    if head.startswith(b"PK\x03\x04") or name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".csv", ".txt")) or "." not in name.rsplit("/", 1)[-1]:
        return "csv"
    raise FileRefused("Upload a CSV (.csv) or Excel (.xlsx) file.")


def open_table(fileobj: IO[bytes], filename: str) -> Table:
    head = fileobj.read(8)
    fileobj.seek(0)
    kind = detect_format(filename, head)
    return _xlsx(fileobj) if kind == "xlsx" else _csv(fileobj)


# ------------------------------------------------------------------ CSV
def _csv(fileobj: IO[bytes]) -> Table:
    first = fileobj.read(CHUNK)
    fileobj.seek(0)
    if b"\x00" in first:
        raise FileRefused("This is not a text file (CSV must be UTF-8 text).")
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", errors="strict", newline="")
    try:
        sample = codecs.decode(first, "utf-8-sig", errors="ignore")
        first_line = sample.splitlines()[0] if sample.splitlines() else ""
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.reader(text, delimiter=delimiter, strict=False)
        header = _next_row(reader)
    except UnicodeDecodeError:
        raise FileRefused("The file is not UTF-8 text; save it as CSV UTF-8 and upload it again.") from None
    if header is None or not any(c.strip() for c in header):
        raise FileRefused("The file has no header row.")

    def rows() -> Iterator[tuple[int, list[str] | RowProblem]]:
        while True:
            try:
                cells = _next_row(reader)
            except UnicodeDecodeError:
                raise FileRefused(
                    f"Line {reader.line_num + 1} is not UTF-8 text; save the file as CSV UTF-8 and upload it again."
                ) from None
            if cells is None:
                return
            yield reader.line_num, [unescape(c) for c in cells]

    return Table("csv", [h.strip() for h in header], rows())


def _next_row(reader) -> list[str] | None:
    try:
        cells = next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        if "field larger" in str(exc):
            raise FileRefused(f"Line {reader.line_num}: a cell is longer than {MAX_CELL:,} characters.") from None
        raise FileRefused(f"Line {reader.line_num} cannot be read as CSV.") from None
    for cell in cells:
        if len(cell) > MAX_CELL:
            raise FileRefused(f"Line {reader.line_num}: a cell is longer than {MAX_CELL:,} characters.")
    return cells


# ------------------------------------------------------------------ XLSX
def _xlsx(fileobj: IO[bytes]) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    seekable = tempfile.TemporaryFile()
    shutil.copyfileobj(fileobj, seekable)
    seekable.seek(0)
    try:
        workbook = openpyxl.load_workbook(seekable, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        rows_iter = sheet.iter_rows()
        header_cells = next(rows_iter, None)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, IndexError):
        raise FileRefused("The file is not an Excel workbook (.xlsx) that can be read.") from None
    if header_cells is None:
        raise FileRefused("The file has no header row.")
    header = [_xlsx_text(c.value).strip() for c in header_cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileRefused("The file has no header row.")

    def rows() -> Iterator[tuple[int, list[str] | RowProblem]]:
        line = 1
        try:
            for cells in rows_iter:
                line += 1
                texts = []
                formula = False
                for cell in cells:
                    if getattr(cell, "data_type", None) == "f":
                        formula = True
                    text = _xlsx_text(cell.value)
                    if len(text) > MAX_CELL:
                        raise FileRefused(f"Row {line}: a cell is longer than {MAX_CELL:,} characters.")
                    texts.append(text)
                if formula:
                    yield line, RowProblem("A formula, not a value: paste the values instead.", texts)
                else:
                    yield line, texts
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise FileRefused("The workbook is damaged and cannot be read to the end.") from exc
        finally:
            workbook.close()
            seekable.close()

    return Table("xlsx", header, rows())


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return unescape(value)
    return str(value)
