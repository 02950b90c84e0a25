"""Demo organizations and accounts: one user per role in "Demo Company" (SPEC §2), and a manager
of a second organization, "Globex Holdings", to see tenancy at work."""

from __future__ import annotations

from flask import current_app

from app.core.seed import SeedContext, ensure_membership, ensure_org, ensure_user

DEMO_USERS = [
    ("admin", "Admin", "Ada", "Admin"),
    ("staff", "Staff", "Sam", "Staff"),
    ("manager", "Manager", "Mia", "Manager"),
    ("finance", "Finance", "Fred", "Finance"),
    ("hr", "HR", "Hana", "Resources"),
    ("commercial", "Commercial", "Carl", "Commercial"),
    ("support", "Support", "Sue", "Support"),
    ("valuer", "Valuer", "Val", "Valuer"),
    ("viewer", "Viewer", "Vic", "Viewer"),
]


def seed(ctx: SeedContext) -> None:
    sm = current_app.appbuilder.sm
    ctx.org = ensure_org("Demo Company", "demo")
    ctx.other = ensure_org("Globex Holdings", "globex")
    for username, role, first, last in DEMO_USERS:
        global_roles = [sm.find_role("Admin")] if role == "Admin" else []
        ctx.users[username] = ensure_user(username, first, last, f"{username}123", global_roles)
        ensure_membership(ctx.users[username], ctx.org, role)
    ctx.users["globex"] = ensure_user("globex", "Gina", "Globex", "globex123", [])
    ensure_membership(ctx.users["globex"], ctx.other, "Manager")
