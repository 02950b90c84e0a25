"""Streamed CSV and XLSX: rows in, bytes out, in constant memory, the first bytes at once.

Spreadsheet formula injection is neutralised as OWASP advises: a text cell starting with `=`,
`+`, `-`, `@`, a tab or a carriage return is written with a leading `'` (the reader takes it off
again, so an export imports back unchanged). Numbers are written as numbers, never escaped.

The XLSX is written by hand as a zip streamed through `zipfile` on a write-only sink (data
descriptors, no seeking), with inline strings: openpyxl's write-only mode keeps memory flat too but
assembles the zip only at the end, so a million-row export would send nothing for a minute.
tests/core/test_exchange_files.py reads what this writes back with openpyxl.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
FLUSH_ROWS = 500
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(text: str) -> str:
    return ESCAPE + text if text.startswith(FORMULA_START) else text


def unescape(text: str) -> str:
    """The reader's inverse of `neutralise`."""
    if len(text) > 1 and text[0] == ESCAPE and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def cell_text(value: Any) -> str:
    """A value as the text of a cell (what the import reads back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def csv_stream(headers: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so that spreadsheets read it as UTF-8), comma separated, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    yield buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([cell_text(v) for v in row])
        if n % FLUSH_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    tail = buffer.getvalue()
    if tail:
        yield tail.encode()


# ------------------------------------------------------------------ XLSX
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="1"><xf xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook(sheet: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet[:31])}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(1, n + 1):
        name = ""
        while i:
            i, rem = divmod(i - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


def _cell(ref: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}"><v>{cell_text(value)}</v></c>'
    text = _XML_ILLEGAL.sub("", cell_text(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


class _Sink:
    """A write-only file for zipfile whose bytes the generator takes as they come."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def xlsx_stream(headers: list[str], rows: Iterable[Iterable[Any]], sheet: str = "Export") -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _workbook(sheet))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        yield sink.take()
        letters = _column_letters(len(headers))
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            head = "".join(_cell(f"{letter}1", h) for letter, h in zip(letters, headers, strict=False))
            part.write(f'<row r="1">{head}</row>'.encode())
            parts: list[str] = []
            for n, row in enumerate(rows, 2):
                cells = "".join(_cell(f"{letter}{n}", v) for letter, v in zip(letters, row, strict=False))
                parts.append(f'<row r="{n}">{cells}</row>')
                if len(parts) >= FLUSH_ROWS:
                    part.write("".join(parts).encode())
                    parts.clear()
                    yield sink.take()
            if parts:
                part.write("".join(parts).encode())
            part.write(b"</sheetData></worksheet>")
        yield sink.take()
    yield sink.take()
