"""The `opshub` command: its root group, whose resource commands come from the server."""

from __future__ import annotations

import click

from opshub_cli import __version__, exits
from opshub_cli.accounts import auth, employee, token
from opshub_cli.exits import CliError
from opshub_cli.resources import resource_group
from opshub_cli.state import State, state
from opshub_cli.vocabulary import command_names

BUILTIN = ("auth", "token", "employee", "resources")


def _state(ctx: click.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        params = root.params
        output = "json" if params.get("as_json") else (params.get("output") or "auto")
        root.obj = State(params.get("server"), params.get("org"), output)
    return root.obj


class OpsHub(click.Group):
    """Built-in commands, then one group per resource the server describes for you."""

    def _names(self, ctx: click.Context, *, quiet: bool) -> dict[str, tuple[dict, list[str]]]:
        try:
            resources = _state(ctx).description()
        except CliError:
            if quiet:
                return {}
            raise
        out: dict[str, tuple[dict, list[str]]] = {}
        for res in resources:
            names = command_names(res["name"])
            for name in names:
                out.setdefault(name, (res, names))
        return out

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = self._names(ctx, quiet=True)
        primary = sorted({aliases[0] for _, aliases in names.values()})
        return [*BUILTIN, *[n for n in primary if n not in BUILTIN]]

    def get_command(self, ctx: click.Context, name: str):
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        if ctx.resilient_parsing:
            return None
        names = self._names(ctx, quiet=False)
        if name not in names:
            return None
        res, aliases = names[name]
        return resource_group(res, name, aliases)

    def format_epilog(self, ctx, formatter):
        with formatter.section("Environment"):
            formatter.write_dl(
                [
                    ("OPSHUB_URL", "the server (like --server)"),
                    ("OPSHUB_ORG", "the organization, by id or slug (like --org)"),
                    ("OPSHUB_TOKEN", "a personal API token: no login needed (scripts)"),
                    ("OPSHUB_CONFIG_DIR", "where the session is kept (default: your config directory)"),
                ]
            )
        formatter.write_paragraph()
        formatter.write_text(exits.HELP)
        if not _state(ctx).api.logged_in():
            formatter.write_paragraph()
            formatter.write_text("Log in (opshub auth login) to see the commands of the resources you may use.")


@click.group(cls=OpsHub, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--server", envvar="OPSHUB_URL", metavar="URL", help="The OpsHub server, e.g. http://127.0.0.1:8080.")
@click.option("--org", envvar="OPSHUB_ORG", metavar="ORG", help="The organization to act in: its id or slug.")
@click.option(
    "--output",
    type=click.Choice(["auto", "table", "json"]),
    default="auto",
    envvar="OPSHUB_OUTPUT",
    help="Tables for a terminal, JSON otherwise (auto).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.version_option(__version__, prog_name="opshub")
@click.pass_context
def cli(ctx: click.Context, server, org, output, as_json) -> None:
    """OpsHub from the terminal: the same REST API, and the same rules, as the pages.

    \b
      opshub auth login                     log in (the password is not shown)
      opshub customer list --search acme    a list, its filters as options
      opshub contract list --not-signed
      opshub contract sign 12
      opshub event set-support 7 alice
      opshub invoice pdf 3 -o invoice.pdf
    """
    _state(ctx)


@cli.command("resources")
@click.option("--refresh", is_flag=True, help="Ask the server again (the description is cached 5 minutes).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def resources_command(refresh: bool, as_json: bool) -> None:
    """The resources you may use, their commands and actions."""
    st = state()
    if as_json:
        st.out.mode = "json"
    described = st.description(refresh=refresh)
    rows = [
        [
            " / ".join(command_names(r["name"])),
            r["label"],
            ", ".join(a["name"].replace("_", "-") for a in r["actions"]),
            ", ".join(p.removeprefix("can_") for p in r["permissions"]),
        ]
        for r in described
    ]
    st.out.emit(
        {"resources": described},
        lambda: st.out.table("Resources", ["Command", "Resource", "Actions", "Your permissions"], rows),
    )


cli.add_command(auth)
cli.add_command(token)
cli.add_command(employee)


def main() -> None:
    cli(prog_name="opshub")
