"""Projects' demo data (instances of each type; the demo `viewer` is on one project only) and
the scale loader `projects` for the benchmarks."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.core import bulk
from app.core.seed import SeedContext
from app.core.tenancy import Organization
from app.core.uow import unit_of_work
from app.crm.models import Client
from app.extensions import db
from app.projects.models import Instance, Project, ProjectMember

# (client, project, description, members, [(instance, type, odoo version, active)])
DEMO_PROJECTS = [
    (
        "Acme Corporation",
        "Acme ERP rollout",
        "Odoo for sales, inventory and accounting across three warehouses.",
        ["manager", "staff", "viewer"],
        [
            ("acme-prod", "PRODUCTION", "17.0", True),
            ("acme-prod-2023", "PRODUCTION", "16.0", False),
            ("acme-staging", "STAGING", "17.0", True),
            ("acme-dev", "DEVELOPMENT", "18.0", True),
        ],
    ),
    (
        "Globex Industries",
        "Globex e-commerce",
        "Webshop and B2B portal.",
        ["staff"],
        [("globex-shop", "PRODUCTION", "17.0", True), ("globex-shop-staging", "STAGING", "17.0", True)],
    ),
    (
        "Initech",
        "Initech HR portal",
        "Employees, leave and expenses; not live yet.",
        ["manager"],
        [("initech-dev", "DEVELOPMENT", "17.0", True)],
    ),
    (
        "Umbrella Health",
        "Umbrella 16 to 17 migration",
        "Upgrade of the clinic network's instance.",
        ["manager", "support"],
        [
            ("umbrella-prod", "PRODUCTION", "16.0", True),
            ("umbrella-upgrade", "STAGING", "17.0", True),
            ("umbrella-dev", "DEVELOPMENT", "17.0", False),
        ],
    ),
]


def seed(ctx: SeedContext) -> None:
    if ctx.count(Project) == 0:
        _seed_projects(ctx)


def _seed_projects(ctx: SeedContext) -> None:
    """Projects with instances of each type; the demo `viewer` is on one project only."""
    org, users = ctx.org, ctx.users
    clients = {c.name: c for c in db.session.scalars(sa.select(Client).where(Client.organization_id == org.id))}
    with ctx.as_user("manager"), unit_of_work() as s:
        for client_name, name, description, members, instances in DEMO_PROJECTS:
            if client_name not in clients:
                continue
            project = Project(client_id=clients[client_name].id, name=name, description=description)
            s.add(project)
            s.flush()
            for username in members:
                s.add(ProjectMember(project_id=project.id, user_id=users[username].id))
            for inst_name, kind, odoo, active in instances:
                s.add(
                    Instance(
                        project_id=project.id,
                        name=inst_name,
                        type=kind,
                        odoo_version=odoo,
                        active=active,
                        url=f"https://{inst_name}.odoo.example",
                    )
                )
                s.flush()  # one at a time: the one-active-PRODUCTION rule reads the saved rows


def scale_projects(n: int, instances_per_project: int = 3, batch: int = 2000) -> int:
    """Add `n` projects on the demo organization's clients, each with `instances_per_project`
    instances (one active PRODUCTION, the rest STAGING/DEVELOPMENT) and 0-2 members, with their
    version, transaction and audit rows."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == "demo"))
    sm = current_app.appbuilder.sm
    admin = sm.find_user(username="admin")
    member_ids = [u.id for u in (sm.find_user(username="staff"), sm.find_user(username="viewer")) if u is not None]
    client_ids = list(db.session.scalars(sa.select(Client.id).where(Client.organization_id == org.id).limit(5000)))
    ids = {"project": bulk.next_id(Project), "instance": bulk.next_id(Instance), "member": bulk.next_id(ProjectMember)}
    now = datetime.utcnow()
    audit, record = bulk.audit_columns(org.id, admin.id, now), bulk.record_columns(org.id, admin.id, now)

    def batches():
        for done, size in bulk.in_batches(n, batch):
            projects, instances, members = [], [], []
            for i in range(size):
                k, project_id = done + i, ids["project"]
                projects.append(
                    {
                        "id": project_id,
                        **record,
                        "client_id": client_ids[k % len(client_ids)],
                        "name": f"Project {project_id:07d}",
                        "description": None,
                    }
                )
                for j in range(instances_per_project):
                    kind = "PRODUCTION" if j == 0 else ("STAGING" if j == 1 else "DEVELOPMENT")
                    instances.append(
                        {
                            "id": ids["instance"],
                            **record,
                            "project_id": project_id,
                            "name": f"p{project_id}-{kind.lower()}-{j}",
                            "type": kind,
                            "url": f"https://p{project_id}-{j}.odoo.example",
                            "odoo_version": "17.0",
                            "active": True,
                        }
                    )
                    ids["instance"] += 1
                for user_id in member_ids[: k % 3]:
                    members.append({"id": ids["member"], **audit, "project_id": project_id, "user_id": user_id})
                    ids["member"] += 1
                ids["project"] += 1
            yield [(Project, projects), (Instance, instances), (ProjectMember, members)]

    return bulk.write_versioned(batches(), user_id=admin.id, organization_id=org.id)
