"""Shared input checks: email and URL formats, LIKE escaping."""

from __future__ import annotations

import re

from app.core.errors import invalid

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
LIKE_SPECIALS = ("%", "_", "\\")


def check_email(value: str | None, field: str = "email") -> None:
    if value and not EMAIL_RE.match(value):
        raise invalid(field, "Not a valid email address.")


def check_url(value: str | None, field: str = "url") -> None:
    if value and not URL_RE.match(value):
        raise invalid(field, "Must be an http:// or https:// address.")


def escape_like(value: str) -> str:
    """`value` matched literally by LIKE ... ESCAPE '\\'."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
