"""Roles, demo organization, accounts and data. Idempotent: running it twice changes nothing.

Demo data goes through the ORM (versioned, attributed to the admin). The `--scale` path writes
many clients with plain INSERTs for speed, and therefore writes their version, transaction and
audit rows itself.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy_continuum import version_class
from werkzeug.security import generate_password_hash

from app.core import context
from app.core.audit import AuditRecord
from app.core.roles import DEFAULT_ROLES, MENUS, RESOURCE_EXTRAS
from app.core.tenancy import Membership, Organization
from app.core.uow import unit_of_work
from app.core.versioning import transaction_model
from app.crm import services as crm
from app.crm.models import DEAL_STAGES, OPEN_STAGES, Client, Contact, Deal, Lead, Task
from app.extensions import db
from app.projects.models import Instance, Project, ProjectMember

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

DEMO_CLIENTS = [
    (
        "Acme Corporation",
        "contact@acme.example",
        "+1 555 0100",
        "https://acme.example",
        "manager",
        "enterprise,priority",
    ),
    ("Globex Industries", "hello@globex.example", "+1 555 0101", "https://globex.example", "staff", "manufacturing"),
    ("Initech", "info@initech.example", "+1 555 0102", "https://initech.example", "staff", "software"),
    ("Umbrella Health", "ops@umbrella.example", "+44 20 7946 0000", "https://umbrella.example", "manager", "health"),
    ("Stark Logistics", "desk@stark.example", "+1 555 0104", "https://stark.example", "commercial", "logistics"),
    ("Wayne Foundation", "grants@wayne.example", "+1 555 0105", None, "manager", "non-profit"),
    ("Soylent Foods", "orders@soylent.example", "+1 555 0106", "https://soylent.example", "staff", "food"),
    ("Hooli", "partners@hooli.example", "+1 555 0107", "https://hooli.example", "commercial", "software,priority"),
]
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
FIRST = ["Alice", "Bob", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
LAST = ["Martin", "Okafor", "Schmidt", "Tanaka", "Rossi", "Novak", "Silva", "Dubois", "Khan", "Berg"]


def sync_permissions(reset: bool = False) -> None:
    """Create FAB permissions for every view, the named extras, and the default roles."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    admin = sm.find_role("Admin") or sm.add_role("Admin")
    sm.find_role("Public") or sm.add_role("Public")
    known = set(db.session.scalars(sa.select(sm.viewmenu_model.name)))
    appbuilder.add_permissions(update_perms=True)
    for resource, perms in RESOURCE_EXTRAS.items():
        for perm in perms:
            pv = sm.add_permission_view_menu(perm, resource)
            sm.add_permission_role(admin, pv)
    for name, matrix in DEFAULT_ROLES.items():
        role = sm.find_role(name)
        if role is None or reset:
            role = role or sm.add_role(name)
            role.permissions = []
        else:
            # an edited role keeps its edits; it only receives the defaults of new resources
            matrix = {resource: perms for resource, perms in matrix.items() if resource not in known}
        wanted = []
        for resource, perms in matrix.items():
            for perm in perms:
                wanted.append(sm.add_permission_view_menu(perm, resource))
            if "can_read" in perms:
                for menu, category in MENUS.get(resource, ()):
                    wanted.append(sm.add_permission_view_menu("menu_access", menu))
                    wanted.append(sm.add_permission_view_menu("menu_access", category))
        for pv in wanted:
            if pv not in role.permissions:
                role.permissions.append(pv)
        db.session.commit()


def _ensure_user(username: str, first: str, last: str, password: str, global_roles: list) -> object:
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        from flask_appbuilder.security.sqla.models import User

        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@opshub.example",
            active=True,
            password=generate_password_hash(password),
            roles=global_roles,
        )
        db.session.add(user)
        db.session.commit()
    return user


def _ensure_org(name: str, slug: str) -> Organization:
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        with context.acting_as(None, None, system=True), unit_of_work() as s:
            org = Organization(name=name, slug=slug)
            s.add(org)
    return org


def _ensure_membership(user, org, role_name: str) -> None:
    sm = current_app.appbuilder.sm
    exists = db.session.scalar(
        sa.select(Membership.id).where(Membership.user_id == user.id, Membership.organization_id == org.id)
    )
    if exists is None:
        with context.acting_as(None, org.id, system=True), unit_of_work() as s:
            s.add(Membership(user_id=user.id, organization_id=org.id, role_id=sm.find_role(role_name).id))


def seed_demo() -> dict:
    sync_permissions()
    sm = current_app.appbuilder.sm
    demo = _ensure_org("Demo Company", "demo")
    other = _ensure_org("Globex Holdings", "globex")
    users = {}
    for username, role, first, last in DEMO_USERS:
        global_roles = [sm.find_role("Admin")] if role == "Admin" else []
        users[username] = _ensure_user(username, first, last, f"{username}123", global_roles)
        _ensure_membership(users[username], demo, role)
    outsider = _ensure_user("globex", "Gina", "Globex", "globex123", [])
    _ensure_membership(outsider, other, "Manager")

    rng = random.Random(42)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.organization_id == demo.id)) == 0:
        with context.acting_as(users["admin"].id, demo.id, system=True), unit_of_work() as s:
            for name, email, phone, web, owner, tags in DEMO_CLIENTS:
                client = Client(
                    name=name,
                    email=email,
                    phone=phone,
                    website=web,
                    owner_id=users[owner].id,
                    tags=tags,
                    address=f"{rng.randint(1, 999)} Main Street",
                    notes=None,
                )
                s.add(client)
                for _ in range(rng.randint(1, 3)):
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    s.add(
                        Contact(
                            first_name=first,
                            last_name=last,
                            client=client,
                            title=rng.choice(["CEO", "CTO", "Buyer", "Ops lead"]),
                            email=f"{first.lower()}.{last.lower()}@{email.split('@')[1]}",
                            phone=phone,
                        )
                    )
        acme = db.session.scalar(
            sa.select(Client).where(Client.organization_id == demo.id, Client.name == "Acme Corporation")
        )
        with context.acting_as(users["manager"].id, demo.id, system=True), unit_of_work():
            acme.notes = "Renewal due in Q1; prefers email."
    if (
        db.session.scalar(sa.select(sa.func.count()).select_from(Project).where(Project.organization_id == demo.id))
        == 0
    ):
        _seed_projects(demo, users)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Deal).where(Deal.organization_id == demo.id)) == 0:
        _seed_pipeline(demo, users, rng)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.organization_id == other.id)) == 0:
        with context.acting_as(outsider.id, other.id, system=True), unit_of_work() as s:
            s.add(Client(name="Globex Secret Client", email="secret@globex.example", owner_id=outsider.id))
    return {"organization_id": demo.id}


def _seed_projects(org: Organization, users: dict) -> None:
    """Projects with instances of each type; the demo `viewer` is on one project only."""
    clients = {c.name: c for c in db.session.scalars(sa.select(Client).where(Client.organization_id == org.id))}
    with context.acting_as(users["manager"].id, org.id, system=True), unit_of_work() as s:
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


LEAD_NAMES = [
    ("Priya Raman", "Northwind Traders", "web"),
    ("Tom Becker", "Contoso Ltd", "referral"),
    ("Lena Vogel", "Fabrikam", "event"),
    ("Omar Haddad", "Tailspin Toys", "email"),
    ("Sofia Costa", "Adventure Works", "phone"),
    ("Kenji Mori", "Litware", "partner"),
    ("Aisha Bello", "Proseware", "web"),
    ("Lucas Petit", "Wide World Importers", "referral"),
    ("Maya Cohen", "Coho Winery", "event"),
    ("Nils Larsen", "Blue Yonder Airlines", "web"),
    ("Zoe Martin", "Fourth Coffee", "email"),
    ("Ivan Petrov", "Woodgrove Bank", "partner"),
    ("Clara Jensen", "Lucerne Publishing", "web"),
    ("Diego Ruiz", "Margie's Travel", "phone"),
    ("Emma Wilson", "Trey Research", "referral"),
    ("Yusuf Demir", "VanArsdel", "event"),
    ("Hanna Berg", "Alpine Ski House", "web"),
    ("Paul Girard", "Graphic Design Institute", "other"),
]
DEAL_TITLES = [
    "ERP rollout",
    "Support renewal",
    "Warehouse module",
    "Data migration",
    "Training package",
    "Cloud hosting",
    "Payroll integration",
    "E-commerce connector",
    "Annual audit",
    "Reporting suite",
]


def _seed_pipeline(org: Organization, users: dict, rng: random.Random) -> None:
    """A demo pipeline: leads in every status, deals moved through the stages (each move through
    the services, so the activities, history and audit rows are the real ones), tasks (some
    overdue) and comments. Creation dates spread over the last four months."""
    clients = list(db.session.scalars(sa.select(Client).where(Client.organization_id == org.id).order_by(Client.id)))
    sellers = [users[u] for u in ("staff", "manager", "commercial", "staff", "admin")]
    today = datetime.utcnow()

    def as_user(user):
        return context.acting_as(user.id, org.id, system=True)

    lead_targets = ["new"] * 5 + ["contacted"] * 5 + ["qualified"] * 5 + ["lost"] * 3
    for (name, company, source), target in zip(LEAD_NAMES, lead_targets, strict=True):
        owner = rng.choice(sellers)
        with as_user(owner), unit_of_work() as s:
            lead = Lead(
                name=name,
                company=company,
                source=source,
                owner_id=owner.id,
                email=f"{name.split()[0].lower()}@{company.split()[0].lower()}.example",
                created_at=today - timedelta(days=rng.randint(1, 120)),
            )
            s.add(lead)
        path = {"new": [], "contacted": ["contacted"], "qualified": ["contacted", "qualified"]}
        for status in path.get(target, ["contacted", "lost"]):
            with as_user(owner):
                crm.set_lead_status(lead, status)
    # (stage reached, outcome) for 36 deals: most open, a third closed
    plan = (
        [("qualification", "open")] * 8
        + [("proposal", "open")] * 8
        + [("negotiation", "open")] * 7
        + [("negotiation", "won")] * 7
        + [("proposal", "lost")] * 3
        + [("qualification", "lost")] * 3
    )
    for i, (stage, outcome) in enumerate(plan):
        owner = sellers[i % len(sellers)]
        client = clients[i % len(clients)]
        amount = Decimal(rng.randrange(20, 400) * 250)
        with as_user(owner), unit_of_work() as s:
            deal = Deal(
                title=f"{client.name} — {DEAL_TITLES[i % len(DEAL_TITLES)]}",
                client_id=client.id,
                owner_id=owner.id,
                amount=amount,
                currency="EUR",
                expected_close_date=(today + timedelta(days=rng.randint(-10, 90))).date(),
                created_at=today - timedelta(days=rng.randint(1, 120)),
            )
            s.add(deal)
        with as_user(owner):
            for next_stage in DEAL_STAGES[1 : DEAL_STAGES.index(stage) + 1]:
                crm.move_deal(deal, next_stage)
            if outcome != "open":
                crm.close_deal(deal, outcome)
            if i % 4 == 0:
                crm.add_comment(
                    rng.choice(
                        [
                            "Called the buyer; budget confirmed.",
                            "Sent the revised quote.",
                            "Demo went well, waiting on IT.",
                            "Legal is reviewing the contract.",
                        ]
                    ),
                    deal=deal,
                )
    qualified = db.session.scalars(
        sa.select(Lead).where(Lead.organization_id == org.id, Lead.status == "qualified").order_by(Lead.id).limit(1)
    ).first()
    if qualified is not None:
        with as_user(qualified.owner):
            crm.convert_lead(qualified, amount=Decimal(18000))
    deals = list(db.session.scalars(sa.select(Deal).where(Deal.organization_id == org.id, Deal.status == "open")))
    task_titles = [
        "Send proposal",
        "Follow-up call",
        "Prepare demo",
        "Update forecast",
        "Check references",
        "Book kickoff meeting",
        "Review contract",
        "Chase signature",
    ]
    assignees = [users["staff"], users["manager"], users["admin"], users["commercial"]]
    with as_user(users["manager"]), unit_of_work() as s:
        for i, title in enumerate(task_titles * 2):
            deal = deals[i % len(deals)]
            s.add(
                Task(
                    title=title,
                    due_date=date.today() + timedelta(days=rng.randint(-7, 21)),
                    done=i % 5 == 4,
                    assignee_id=assignees[i % len(assignees)].id,
                    deal_id=deal.id if i % 3 else None,
                    client_id=deal.client_id,
                )
            )


def _bulk_versioned(conn, model, rows: list[dict], tx_id: int, organization_id: int) -> None:
    """Plain INSERTs of `rows` with the Continuum version row and the audit row of each: the same
    history a create through the ORM leaves, at bulk speed (seed and benchmark only)."""
    version_table = version_class(model).__table__
    conn.execute(sa.insert(model.__table__), rows)
    conn.execute(
        sa.insert(version_table),
        [
            {
                **{c: v for c, v in r.items() if c in version_table.c},
                "transaction_id": tx_id,
                "end_transaction_id": None,
                "operation_type": 0,
            }
            for r in rows
        ],
    )
    conn.execute(
        sa.insert(AuditRecord.__table__),
        [
            {
                "transaction_id": tx_id,
                "organization_id": organization_id,
                "resource": model.__name__,
                "record_id": r["id"],
                "action": "create",
            }
            for r in rows
        ],
    )


def _bulk_transaction(conn, user_id: int, organization_id: int, now: datetime) -> int:
    Tx = transaction_model().__table__
    return conn.execute(
        sa.insert(Tx)
        .values(
            issued_at=now, user_id=user_id, organization_id=organization_id, action="create", request_id="seed-scale"
        )
        .returning(Tx.c.id)
    ).scalar_one()


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def _audit_columns(organization_id: int, user_id: int, now: datetime) -> dict:
    return {
        "organization_id": organization_id,
        "created_at": now,
        "updated_at": now,
        "created_by_id": user_id,
        "updated_by_id": user_id,
    }


def _record_columns(organization_id: int, user_id: int, now: datetime) -> dict:
    """A new business record's bookkeeping: audit columns, not archived, version 1."""
    return {**_audit_columns(organization_id, user_id, now), "archived_at": None, "archived_by_id": None, "version": 1}


def _after_bulk(tables: list[str]) -> None:
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in tables:
            db.session.execute(
                sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def seed_scale(n: int, organization_slug: str = "demo", batch: int = 5000) -> int:
    """Add `n` clients (with their version, transaction and audit rows) by plain INSERTs."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == organization_slug))
    admin = current_app.appbuilder.sm.find_user(username="admin")
    start_id = _next_id(Client)
    now = datetime.utcnow()
    conn = db.session.connection()
    done = 0
    while done < n:
        size = min(batch, n - done)
        tx_id = _bulk_transaction(conn, admin.id, org.id, now)
        rows = []
        for i in range(size):
            k = start_id + done + i
            rows.append(
                {
                    "id": k,
                    **_record_columns(org.id, admin.id, now),
                    "name": f"Client {k:07d}",
                    "email": f"client{k}@scale.example",
                    "phone": f"+1 555 {k % 10000:04d}",
                    "website": None,
                    "address": None,
                    "owner_id": admin.id,
                    "tags": "scale",
                    "notes": None,
                }
            )
        _bulk_versioned(conn, Client, rows, tx_id, org.id)
        done += size
    _after_bulk(["client"])
    return done


def seed_scale_projects(
    n: int, instances_per_project: int = 3, organization_slug: str = "demo", batch: int = 2000
) -> int:
    """Add `n` projects on the organization's clients, each with `instances_per_project`
    instances (one active PRODUCTION, the rest STAGING/DEVELOPMENT) and 0-2 members, with their
    version, transaction and audit rows, by plain INSERTs."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == organization_slug))
    sm = current_app.appbuilder.sm
    admin = sm.find_user(username="admin")
    member_ids = [u.id for u in (sm.find_user(username="staff"), sm.find_user(username="viewer")) if u is not None]
    client_ids = list(db.session.scalars(sa.select(Client.id).where(Client.organization_id == org.id).limit(5000)))
    project_id, instance_id, member_id = _next_id(Project), _next_id(Instance), _next_id(ProjectMember)
    now = datetime.utcnow()
    conn = db.session.connection()
    done = 0
    while done < n:
        size = min(batch, n - done)
        tx_id = _bulk_transaction(conn, admin.id, org.id, now)
        audit, record = _audit_columns(org.id, admin.id, now), _record_columns(org.id, admin.id, now)
        projects, instances, members = [], [], []
        for i in range(size):
            k = done + i
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
                        "id": instance_id,
                        **record,
                        "project_id": project_id,
                        "name": f"p{project_id}-{kind.lower()}-{j}",
                        "type": kind,
                        "url": f"https://p{project_id}-{j}.odoo.example",
                        "odoo_version": "17.0",
                        "active": True,
                    }
                )
                instance_id += 1
            for user_id in member_ids[: k % 3]:
                members.append({"id": member_id, **audit, "project_id": project_id, "user_id": user_id})
                member_id += 1
            project_id += 1
        _bulk_versioned(conn, Project, projects, tx_id, org.id)
        _bulk_versioned(conn, Instance, instances, tx_id, org.id)
        if members:
            _bulk_versioned(conn, ProjectMember, members, tx_id, org.id)
        done += size
    _after_bulk(["project", "instance", "project_member"])
    return done


def seed_scale_deals(n: int, organization_slug: str = "demo", batch: int = 5000) -> int:
    """Add `n` deals over the organization's clients (no contact), owned by admin, staff, manager
    and commercial, created over the last 365 days, with their version, transaction and audit
    rows, by plain INSERTs. The mix: about 55% open (qualification, proposal, negotiation; a few
    moved back below their furthest stage, some at amount 0), 20% won (furthest stage `closed`,
    amount > 0) and 25% lost (furthest stage the open stage they were lost in). It respects the
    `deal` CHECK constraints."""
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == organization_slug))
    sm = current_app.appbuilder.sm
    admin = sm.find_user(username="admin")
    owner_ids = [u.id for u in (sm.find_user(username=x) for x in ("admin", "staff", "manager", "commercial")) if u]
    client_ids = list(
        db.session.scalars(sa.select(Client.id).where(Client.organization_id == org.id).order_by(Client.id).limit(5000))
    )
    rng = random.Random(n)
    deal_id = _next_id(Deal)
    now = datetime.utcnow()
    conn = db.session.connection()
    done = 0
    while done < n:
        size = min(batch, n - done)
        tx_id = _bulk_transaction(conn, admin.id, org.id, now)
        rows = []
        for _ in range(size):
            created = now - timedelta(days=rng.random() * 365)
            updated = created + (now - created) * rng.random()
            amount = Decimal(rng.randrange(4, 400) * 250)
            roll = rng.random()
            if roll < 0.20:  # won
                stage, status, furthest = "closed", "won", "closed"
            elif roll < 0.45:  # lost, in the stage it was lost in
                stage, status = "closed", "lost"
                furthest = rng.choices(OPEN_STAGES, weights=(5, 3, 2))[0]
            else:
                stage, status = rng.choices(OPEN_STAGES, weights=(4, 3, 2))[0], "open"
                furthest = stage
                if stage != "negotiation" and rng.random() < 0.05:  # moved back a stage
                    furthest = OPEN_STAGES[OPEN_STAGES.index(stage) + 1]
                if stage == "qualification" and rng.random() < 0.3:
                    amount = Decimal(0)  # not quoted yet
            rows.append(
                {
                    "id": deal_id,
                    **_record_columns(org.id, admin.id, now),
                    "created_at": created,
                    "updated_at": updated,
                    "title": f"Deal {deal_id:07d}",
                    "client_id": client_ids[deal_id % len(client_ids)],
                    "contact_id": None,
                    "owner_id": owner_ids[deal_id % len(owner_ids)],
                    "amount": amount,
                    "currency": "EUR",
                    "stage": stage,
                    "status": status,
                    "furthest_stage": furthest,
                    "expected_close_date": (created + timedelta(days=rng.randint(14, 180))).date(),
                    "closed_at": updated if status != "open" else None,
                    "lead_id": None,
                }
            )
            deal_id += 1
        _bulk_versioned(conn, Deal, rows, tx_id, org.id)
        done += size
    _after_bulk(["deal"])
    return done
