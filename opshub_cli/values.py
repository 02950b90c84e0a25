"""Values typed on the command line, as the API takes them: a relation named by id, username or
label (`--client "Acme"`, `--owner alice`), numbers, booleans, nothing (`none`)."""

from __future__ import annotations

from typing import Any

import click

from opshub_cli import exits, rison
from opshub_cli.exits import CliError

NONE_WORDS = ("none", "null", "-")


def click_type(field: dict):
    kind = field.get("type")
    if field.get("enum"):
        return click.Choice(field["enum"], case_sensitive=False)
    if kind == "integer":
        return click.INT
    if kind == "boolean":
        return click.BOOL
    return click.STRING


def metavar(field: dict) -> str | None:
    kind = field.get("type")
    if field.get("enum"):
        return None  # click lists the choices
    if kind == "relation":
        target = (field.get("relation") or {}).get("resource", "")
        return "USER" if target == "User" else f"{target.upper() or 'ID'}"
    return {
        "integer": "N",
        "decimal": "AMOUNT",
        "number": "N",
        "date": "YYYY-MM-DD",
        "datetime": "YYYY-MM-DDTHH:MM",
        "boolean": "yes|no",
    }.get(kind, "TEXT")


def resolve(state, relation: dict | None, raw: Any, *, nullable: bool = True) -> int | None:
    """The id of the record named by `raw` (an id, a username for users, else the related
    resource's label: its one exact match)."""
    text = str(raw).strip()
    if text.lower() in NONE_WORDS or text == "":
        if not nullable:
            raise CliError("A value is required here.", exits.INVALID)
        return None
    if text.isdigit():
        return int(text)
    relation = relation or {}
    target = relation.get("resource")
    if target == "User":
        found = state.api.get("/api/v1/_resources/users", params={"username": text})["result"]
        if not found:
            raise CliError(f"Nobody called {text!r} in this organization.", exits.INVALID)
        return found[0]["id"]
    described = next((r for r in state.description() if r["name"] == target), None)
    if described is None:
        raise CliError(f"Give the id of the {target or 'record'} (a number).", exits.INVALID)
    label = relation.get("label") or "name"
    query = {"filters": [{"col": label, "opr": "eq", "value": text}], "page_size": 3, "page": 0}
    body = state.api.get(f"{described['path']}/", params={"q": rison.dumps(query), "include_archived": "1"})
    ids = body.get("ids") or [row.get("id") for row in body.get("result", [])]
    if not ids:
        raise CliError(f"No {described['label'].lower()} called {text!r}.", exits.INVALID)
    if len(ids) > 1:
        raise CliError(f"Several {described['label'].lower()} are called {text!r}: give the id.", exits.INVALID)
    return ids[0]


def convert(state, field: dict, raw: Any) -> Any:
    """A typed option's value for the JSON body."""
    if raw is None:
        return None
    if field.get("type") == "relation":
        return resolve(state, field.get("relation"), raw, nullable=field.get("nullable", True))
    if (
        isinstance(raw, str)
        and raw.strip().lower() in NONE_WORDS
        and field.get("nullable")
        and field["type"] != "string"
    ):
        return None
    return raw
