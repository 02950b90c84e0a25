"""Exit codes (documented in `opshub --help` and the README)."""

from __future__ import annotations

import click

OK = 0
ERROR = 1  # anything else: the server cannot be reached, answered 5xx, a file cannot be read
USAGE = 2  # a wrong command, option or value (click's own)
NOT_FOUND = 3
FORBIDDEN = 4  # not logged in, the session ended, or the role may not
CONFLICT = 5  # a stale version, a rule refusing the change
INVALID = 6  # values the server refused (field messages), rows in error in an import

BY_STATUS = {
    400: INVALID,
    401: FORBIDDEN,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
    412: CONFLICT,
    413: INVALID,
    422: INVALID,
}

HELP = (
    "Exit codes: 0 ok, 1 error (server unreachable...), 2 usage, 3 not found, 4 not logged in or not allowed, "
    "5 conflict (stale version, a rule), 6 invalid values."
)


class CliError(click.ClickException):
    """One clear line on stderr and an exit code."""

    def __init__(self, message: str, code: int = ERROR):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)
