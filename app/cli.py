"""`flask opshub ...` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("opshub")
def opshub_cli() -> None:
    """OpsHub administration commands."""


def _scale_option(_ctx, _param, values: tuple[str, ...]) -> list[tuple[str, int]]:
    out = []
    for value in values:
        name, _, count = value.partition("=")
        if not count.isdigit():
            raise click.BadParameter(f"{value!r}: give NAME=N, e.g. clients=10000")
        out.append((name, int(count)))
    return out


@opshub_cli.command("seed")
@click.option(
    "--scale",
    multiple=True,
    callback=_scale_option,
    help="Also add bulk rows (with their versions) for benchmarks: NAME=N, e.g. clients=10000, deals=100000, "
    "projects=10000. Repeatable.",
)
@with_appcontext
def seed(scale: list[tuple[str, int]]) -> None:
    """Load roles, the demo organization, demo accounts and data (idempotent)."""
    from app.core.seed import scale_loaders, seed_demo, seed_scale

    seed_demo()
    click.echo("Seeded roles, demo organization and accounts (admin/admin123, staff/staff123, ...).")
    known = scale_loaders()
    for name, count in scale:
        if name not in known:
            raise click.BadParameter(
                f"no scale loader {name!r}; known: {', '.join(sorted(known))}", param_hint="--scale"
            )
        click.echo(f"Added {seed_scale(name, count)} {name} with their version rows.")


@opshub_cli.command("sync-roles")
@click.option("--reset", is_flag=True, help="Re-apply the default matrix to the default roles.")
@with_appcontext
def sync_roles(reset: bool) -> None:
    """Create permissions for every view and the default roles."""
    from app.core.seed import sync_permissions

    sync_permissions(reset=reset)
    click.echo("Permissions and roles synced.")
