"""`flask opshub ...` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("opshub")
def opshub_cli() -> None:
    """OpsHub administration commands."""


@opshub_cli.command("seed")
@click.option("--scale", type=int, default=0, help="Also add N clients (with versions) for benchmarks.")
@click.option(
    "--scale-projects", type=int, default=0, help="Also add N projects with 3 instances each (with versions)."
)
@click.option("--scale-deals", type=int, default=0, help="Also add N deals over the clients (with versions).")
@with_appcontext
def seed(scale: int, scale_projects: int, scale_deals: int) -> None:
    """Load roles, the demo organization, demo accounts and data (idempotent)."""
    from app.seed import seed_demo, seed_scale, seed_scale_deals, seed_scale_projects

    seed_demo()
    click.echo("Seeded roles, demo organization and accounts (admin/admin123, staff/staff123, ...).")
    if scale:
        added = seed_scale(scale)
        click.echo(f"Added {added} clients with their version rows.")
    if scale_projects:
        added = seed_scale_projects(scale_projects)
        click.echo(f"Added {added} projects with their instances, members and version rows.")
    if scale_deals:
        added = seed_scale_deals(scale_deals)
        click.echo(f"Added {added} deals with their version rows.")


@opshub_cli.command("sync-roles")
@click.option("--reset", is_flag=True, help="Re-apply the default matrix to the default roles.")
@with_appcontext
def sync_roles(reset: bool) -> None:
    """Create permissions for every view and the default roles."""
    from app.seed import sync_permissions

    sync_permissions(reset=reset)
    click.echo("Permissions and roles synced.")
