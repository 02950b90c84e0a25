"""Domain errors: raised by services and model rules, mapped to HTTP by the API and page bases."""

from __future__ import annotations


class DomainError(Exception):
    """A refused business action. `fields` maps a field name to its messages."""

    status = 422

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_dict(self) -> dict:
        """The JSON body: FAB's shape, `message` holding the per-field messages when there are
        any (with the sentence in `detail`), else the sentence."""
        if self.fields:
            return {"message": self.fields, "detail": self.message}
        return {"message": self.message}


class BadRequest(DomainError):
    status = 400


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "Not found", fields=None):
        super().__init__(message, fields)


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


class TooLarge(DomainError):
    """A body or an uploaded file over its size limit."""

    status = 413


def invalid(field: str, message: str) -> Invalid:
    return Invalid(f"{field}: {message}", {field: [message]})


MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL and SQLite alike)


def valid_id(value: object) -> bool:
    """An integer id a database lookup can take (not a bool, within the INTEGER range)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
