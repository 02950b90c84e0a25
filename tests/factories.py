"""Plain factory helpers (the CTFd pattern): each returns a committed object."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.security.sqla.models import User
from flask_jwt_extended import create_access_token
from werkzeug.security import generate_password_hash

from app.core import context
from app.core.tenancy import Membership, Organization
from app.core.uow import unit_of_work
from app.crm.models import Client, Contact, Deal, Lead, Task
from app.extensions import db
from app.projects.models import Instance, Project, ProjectMember

_seq = itertools.count(1)
PASSWORD = "correct-horse-1"
_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


def make_org(name: str | None = None) -> Organization:
    name = name or unique("Org ")
    with context.acting_as(None, None, system=True), unit_of_work() as s:
        org = Organization(name=name, slug=unique("org-"))
        s.add(org)
    return org


def make_user(
    org: Organization | None = None, role: str = "Staff", *, admin: bool = False, username: str | None = None
) -> User:
    sm = current_app.appbuilder.sm
    username = username or unique("user")
    user = User(
        username=username,
        first_name=username.title(),
        last_name="Tester",
        email=f"{username}@test.example",
        active=True,
        password=_HASH,
        roles=[sm.find_role("Admin")] if admin else [],
    )
    db.session.add(user)
    db.session.commit()
    if org is not None:
        add_membership(user, org, role)
    return user


def add_membership(user: User, org: Organization, role: str) -> Membership:
    sm = current_app.appbuilder.sm
    with context.acting_as(None, org.id, system=True), unit_of_work() as s:
        m = Membership(user_id=user.id, organization_id=org.id, role_id=sm.find_role(role).id)
        s.add(m)
    return m


def make_client(org: Organization, owner: User | None = None, **fields) -> Client:
    fields.setdefault("name", unique("Client "))
    with context.acting_as(owner.id if owner else None, org.id, system=True), unit_of_work() as s:
        obj = Client(owner_id=owner.id if owner else None, **fields)
        s.add(obj)
    return obj


def make_contact(client: Client, **fields) -> Contact:
    fields.setdefault("first_name", "Jane")
    fields.setdefault("last_name", unique("Doe"))
    with context.acting_as(client.owner_id, client.organization_id, system=True), unit_of_work() as s:
        obj = Contact(client_id=client.id, **fields)
        s.add(obj)
    return obj


def make_lead(org: Organization, owner: User | None = None, **fields) -> Lead:
    """A lead in any status (a new row skips the transition rules, as the seed does)."""
    fields.setdefault("name", unique("Lead "))
    with context.acting_as(owner.id if owner else None, org.id, system=True), unit_of_work() as s:
        obj = Lead(owner_id=owner.id if owner else None, **fields)
        s.add(obj)
    return obj


def make_deal(
    org: Organization,
    owner: User | None = None,
    client: Client | None = None,
    *,
    status: str = "open",
    **fields,
) -> Deal:
    """An open deal in `stage` (default qualification); with `status` won or lost it is then
    closed from that stage in a second transaction, as a user would (so a lost deal keeps the
    stage it was lost in as its furthest stage). `created_at` may be set directly."""
    client = client or make_client(org, owner)
    fields.setdefault("title", unique("Deal "))
    with context.acting_as(owner.id if owner else None, org.id, system=True), unit_of_work() as s:
        obj = Deal(owner_id=owner.id if owner else None, client_id=client.id, **fields)
        s.add(obj)
    if status != "open":
        with context.acting_as(owner.id if owner else None, org.id, system=True), unit_of_work():
            obj.status = status
    return obj


def make_task(org: Organization, assignee: User | None = None, **fields) -> Task:
    fields.setdefault("title", unique("Task "))
    with context.acting_as(assignee.id if assignee else None, org.id, system=True), unit_of_work() as s:
        obj = Task(assignee_id=assignee.id if assignee else None, **fields)
        s.add(obj)
    return obj


def make_project(org: Organization, members: list[User] = (), client: Client | None = None, **fields) -> Project:
    client = client or make_client(org)
    fields.setdefault("name", unique("Project "))
    with context.acting_as(None, org.id, system=True), unit_of_work() as s:
        obj = Project(client_id=client.id, **fields)
        s.add(obj)
        s.flush()
        for user in members:
            s.add(ProjectMember(project_id=obj.id, user_id=user.id))
    return obj


def make_instance(project: Project, **fields) -> Instance:
    fields.setdefault("name", unique("inst-"))
    fields.setdefault("type", "DEVELOPMENT")
    with context.acting_as(None, project.organization_id, system=True), unit_of_work() as s:
        obj = Instance(project_id=project.id, **fields)
        s.add(obj)
    return obj


def token_for(user: User) -> str:
    return create_access_token(identity=str(user.id), fresh=True)


def auth(user: User, org: Organization | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    if org is not None:
        headers["X-Organization-Id"] = str(org.id)
    return headers


def page_login(client, user: User) -> None:
    resp = client.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"], resp.data[:500]


def versions_of(model, pk: int, *, with_tx: bool = False):
    """[(operation_type, username)] of a record's versions, oldest first (and the transaction id
    with `with_tx`)."""
    from sqlalchemy_continuum import version_class

    from app.core.versioning import transaction_model

    V = version_class(model)
    Tx = transaction_model()
    columns = [V.operation_type, User.username, *([V.transaction_id] if with_tx else [])]
    rows = db.session.execute(
        sa.select(*columns)
        .join(Tx, Tx.id == V.transaction_id)
        .outerjoin(User, User.id == Tx.user_id)
        .where(V.id == pk)
        .order_by(V.transaction_id)
    ).all()
    # from the record's latest creation: on SQLite a deleted row's id may come back for a new row
    creations = [i for i, row in enumerate(rows) if row[0] == 0]
    return rows[creations[-1] :] if creations else rows


def acting(user: User | None, org: Organization):
    """Act as `user` (or nobody) in `org`, as system work: for setting up a test's rows."""
    return context.acting_as(user.id if user is not None else None, org.id, system=True)


# ------------------------------------------------------------------ billing and events
def make_invoice(
    org: Organization,
    client: Client | None = None,
    *,
    lines=(("Work", "2", "50.00", "20", "0"),),
    send: bool = False,
    actor: User | None = None,
    **fields,
):
    """An invoice (a draft unless `send`) with `lines` as (description, quantity, unit price,
    tax %, discount %)."""
    from app.billing import services

    client = client or make_client(org)
    specs = [
        {"description": d, "quantity": q, "unit_price": p, "tax_rate": t, "discount_rate": r} for d, q, p, t, r in lines
    ]
    with acting(actor, org):
        return services.create_invoice(client.id, lines=specs, send=send, **fields)


def pay(invoice, amount, org: Organization, actor: User | None = None):
    from app.billing import services

    with acting(actor, org):
        return services.add_payment(invoice, amount)


def make_contract(org: Organization, client: Client | None = None, *, signed: bool = False, total="1000", **fields):
    from app.events import services
    from app.events.models import Contract

    client = client or make_client(org)
    fields.setdefault("reference", unique("CT-"))
    with acting(None, org), unit_of_work() as s:
        contract = Contract(client_id=client.id, total_amount=total, **fields)
        s.add(contract)
    if signed:
        with acting(None, org):
            services.sign_contract(contract)
    return contract


def make_event(org: Organization, contract=None, *, support: User | None = None, **fields):
    from datetime import datetime, timedelta

    from app.events.models import Event

    contract = contract or make_contract(org, signed=True)
    fields.setdefault("name", unique("Event "))
    fields.setdefault("start", datetime(2031, 5, 1, 18, 0))
    fields.setdefault("end", fields["start"] + timedelta(hours=4))
    with acting(None, org), unit_of_work() as s:
        event = Event(contract_id=contract.id, support_id=support.id if support else None, **fields)
        s.add(event)
    return event


def db_org(row) -> Organization:
    return db.session.get(Organization, row.organization_id)
