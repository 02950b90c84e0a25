"""What a text value may hold, whatever the entry point (API, forms, imports, services).

* No control characters but tab, line feed and carriage return: a NUL makes PostgreSQL refuse
  the whole statement (a 500), SQLite stores it, and none of them has a place in a name or a
  note. C1 controls (U+0080-U+009F) and DEL are refused too.
* Free text (unbounded `Text` columns: notes, descriptions, comments) holds at most
  `TEXT_MAX` characters; bounded columns hold their length (checked beside this, in
  app.core.scope).
"""

from __future__ import annotations

import re

TEXT_MAX = 10_000
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "Contains control characters (such as NUL) that text cannot hold."


def has_control_chars(value: str) -> bool:
    return CONTROL_CHARS.search(value) is not None


def text_problem(value: str, length: int | None) -> str | None:
    """The message a field gets for `value`, or None when it may be stored."""
    if has_control_chars(value):
        return CONTROL_MESSAGE
    limit = length or TEXT_MAX
    if len(value) > limit:
        return f"At most {limit:,} characters."
    return None
