"""What every command shares: the server connection, the output, the resource description."""

from __future__ import annotations

import sys

import click

from opshub_cli import exits
from opshub_cli.client import Api
from opshub_cli.config import DescriptionCache, fresh
from opshub_cli.exits import CliError
from opshub_cli.output import Output


class State:
    def __init__(self, server: str | None = None, org: str | None = None, output: str = "auto"):
        self.server_option = server
        self.org_option = org
        self.out = Output(output)
        self._api: Api | None = None
        self._description: list[dict] | None = None

    @property
    def api(self) -> Api:
        if self._api is None:
            self._api = Api(self.server_option, org=self.org_option)
        return self._api

    def reset(self) -> None:
        self._api = None
        self._description = None

    # ------------------------------------------------------------ the resources' description
    def description(self, *, refresh: bool = False) -> list[dict]:
        if self._description is not None and not refresh:
            return self._description
        api = self.api
        if not api.logged_in():
            raise CliError("Not logged in: run `opshub auth login` (or set OPSHUB_TOKEN).", exits.FORBIDDEN)
        cache = DescriptionCache()
        key = cache.key(api.server, api.identity, api.org_choice)
        entry = cache.get(key)
        if entry is not None and not refresh and fresh(entry, cache.MAX_AGE):
            api._access_token()  # the session's idle clock and expiry apply as for any command
            self._description = entry["document"]["resources"]
            return self._description
        headers = {"If-None-Match": entry["etag"]} if entry and entry.get("etag") else {}
        resp = api.request("GET", "/api/v1/_resources/", headers=headers, ok=(304,))
        if resp.status_code == 304 and entry is not None:
            cache.touch(key)
            document = entry["document"]
        else:
            document = resp.json()
            cache.put(key, resp.headers.get("ETag", "").strip('"') or None, document)
        self._description = document["resources"]
        return self._description

    def resource(self, name: str) -> dict:
        found = next((r for r in self.description() if r["name"] == name), None)
        if found is None:
            raise CliError(f"The server offers you no resource {name!r}.", exits.NOT_FOUND)
        return found


def state() -> State:
    ctx = click.get_current_context()
    found = ctx.find_object(State)
    if found is None:
        found = ctx.ensure_object(State)
    return found


def confirm_or_stop(question: str, yes: bool) -> None:
    """Ask before a destructive step; a script says --yes (without a terminal nobody can answer)."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(f"{question} Add --yes to go ahead without being asked.", exits.USAGE)
    if not click.confirm(question, default=False, err=True):
        raise CliError("Stopped: nothing was changed.", exits.ERROR)
