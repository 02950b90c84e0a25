"""Projects and their Odoo instances (SPEC §6).

Visibility: roles without `can_edit_all` on Project (Viewer by default) see only the projects
they are members of and those projects' instances and member rows. That rule is a row scope
(`assigned_criteria`), applied by the same query-level hook as tenancy (app/core/scope.py), so
lists, pk routes, pickers, history and any export obey it.
"""

from __future__ import annotations

import re
from typing import ClassVar

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.context import UNSCOPED
from app.core.errors import Conflict, invalid
from app.core.models import AssignedScope, AuditMixin, BusinessModel, TenantMixin, list_order_indexes
from app.core.validators import check_url
from app.extensions import db

INSTANCE_TYPES = ("PRODUCTION", "STAGING", "DEVELOPMENT")
ODOO_VERSION_RE = re.compile(r"^\d{1,2}\.\d$")
# the partial unique index behind "at most one active PRODUCTION instance per project"
ONE_PRODUCTION_INDEX = "uq_instance_one_active_production"
ONE_PRODUCTION_WHERE = "type = 'PRODUCTION' AND active AND archived_at IS NULL"


def _member_project_ids(user_id: int) -> sa.Select:
    pm = ProjectMember.__table__
    return sa.select(pm.c.project_id).where(pm.c.user_id == user_id)


class Project(AssignedScope, BusinessModel):
    __tablename__ = "project"
    __scope_resource__ = "Project"
    __table_args__ = (
        *list_order_indexes("project", "name"),
        sa.Index("ix_project_client_id", "client_id"),
    )

    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"), nullable=False)
    client = relationship("Client", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(200), nullable=False)
    description = sa.Column(sa.Text)

    instances = relationship("Instance", back_populates="project", lazy="select", order_by="Instance.name")
    # deleted with the project through the ORM, so that each removal is versioned
    memberships = relationship(
        "ProjectMember", back_populates="project", lazy="select", order_by="ProjectMember.id", cascade="all, delete"
    )

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        return cls.id.in_(_member_project_ids(user_id))

    # Member counts read the table, not the ORM entity: a project's members all belong to its
    # organization (the flush guard checks it), so the tenant filter the scope hook would add
    # only steers SQLite onto the organization index (a scan per row instead of a seek).
    @classmethod
    def member_count_expr(cls) -> sa.ScalarSelect:
        pm = ProjectMember.__table__
        return sa.select(sa.func.count()).select_from(pm).where(pm.c.project_id == cls.id).scalar_subquery()

    @classmethod
    def prefetch_list(cls, projects: list[Project]) -> None:
        """Member counts of a page of projects (or of one) in one GROUP BY."""
        pm = ProjectMember.__table__
        counts = dict(
            db.session.execute(
                sa.select(pm.c.project_id, sa.func.count())
                .where(pm.c.project_id.in_([p.id for p in projects]))
                .group_by(pm.c.project_id)
            ).all()
        )
        for project in projects:
            project.__dict__["_member_count"] = counts.get(project.id, 0)

    @property
    def member_count(self) -> int:
        if "_member_count" not in self.__dict__:
            type(self).prefetch_list([self])
        return self.__dict__["_member_count"]

    def validate(self) -> None:
        if not (self.name or "").strip():
            raise invalid("name", "Required.")
        if self.client_id is None and self.client is None:
            raise invalid("client", "Required.")

    def before_delete(self) -> None:
        count = db.session.scalar(sa.select(sa.func.count(Instance.id)).where(Instance.project_id == self.id))
        if count:
            raise Conflict(
                f"This project has {count} instance(s); archive the project instead, or delete its instances first."
            )

    def __repr__(self) -> str:
        return self.name or f"Project {self.id}"


class ProjectMember(AssignedScope, TenantMixin, AuditMixin, Model):
    """A user assigned to a project. Versioned: assignments show in the audit log and history."""

    __tablename__ = "project_member"
    __scope_resource__ = "Project"
    __versioned__: ClassVar[dict] = {}
    __table_args__ = (
        sa.UniqueConstraint("project_id", "user_id"),
        sa.Index("ix_project_member_user_project", "user_id", "project_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    project = relationship("Project", back_populates="memberships")
    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        return cls.project_id.in_(_member_project_ids(user_id))

    def __repr__(self) -> str:
        return f"{self.user} on project {self.project_id}"


class Instance(AssignedScope, BusinessModel):
    __tablename__ = "instance"
    __scope_resource__ = "Project"
    __table_args__ = (
        *list_order_indexes("instance", "name"),
        sa.Index("ix_instance_project_id", "project_id"),
        sa.Index(
            ONE_PRODUCTION_INDEX,
            "project_id",
            unique=True,
            sqlite_where=sa.text(ONE_PRODUCTION_WHERE),
            postgresql_where=sa.text(ONE_PRODUCTION_WHERE),
        ),
        sa.CheckConstraint(f"type IN {INSTANCE_TYPES!r}", name="type_known"),
    )

    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    project = relationship("Project", back_populates="instances", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(200), nullable=False)
    type = sa.Column(sa.String(20), nullable=False, default="DEVELOPMENT")
    url = sa.Column(sa.String(500))
    odoo_version = sa.Column(sa.String(10))
    active = sa.Column(sa.Boolean, nullable=False, default=True)

    @classmethod
    def assigned_criteria(cls, user_id: int) -> sa.ColumnElement[bool]:
        return cls.project_id.in_(_member_project_ids(user_id))

    @property
    def is_live_production(self) -> bool:
        return self.type == "PRODUCTION" and bool(self.active) and self.archived_at is None

    @property
    def status(self) -> str:
        """live (the project's active PRODUCTION), active, inactive or archived."""
        if self.archived_at is not None:
            return "archived"
        if self.is_live_production:
            return "live"
        return "active" if self.active else "inactive"

    def validate(self) -> None:
        # the column defaults, applied now so that the rules below read them
        self.type = "DEVELOPMENT" if self.type is None else self.type
        self.active = True if self.active is None else self.active
        if not (self.name or "").strip():
            raise invalid("name", "Required.")
        if self.project_id is None and self.project is None:
            raise invalid("project", "Required.")
        if self.type not in INSTANCE_TYPES:
            raise invalid("type", f"Must be one of {', '.join(INSTANCE_TYPES)}.")
        check_url(self.url)
        if self.odoo_version and not ODOO_VERSION_RE.match(self.odoo_version):
            raise invalid("odoo_version", "Must look like 17.0.")

    def check_rules(self, session) -> None:
        """At most one active PRODUCTION instance per project (the partial unique index
        `uq_instance_one_active_production` backs this under concurrency)."""
        if not self.is_live_production:
            return
        project_id = self.project_id if self.project_id is not None else getattr(self.project, "id", None)
        if project_id is None:
            return  # a project created in this same flush has no instances yet
        changed = self.id is None or any(
            sa.inspect(self).attrs[a].history.has_changes() for a in ("type", "active", "archived_at", "project_id")
        )
        if not changed:
            return
        with session.no_autoflush:
            other = session.execute(
                sa.select(Instance.id, Instance.name)
                .where(
                    Instance.project_id == project_id,
                    Instance.type == "PRODUCTION",
                    Instance.active.is_(True),
                    Instance.archived_at.is_(None),
                    Instance.id != (self.id or -1),
                )
                .execution_options(**{UNSCOPED: True})
            ).first()
        if other is not None:
            raise Conflict(
                f'Project already has an active PRODUCTION instance: "{other.name}" (#{other.id}).'
                " Deactivate or archive it first.",
                {"type": [f'"{other.name}" is already the active PRODUCTION instance of this project.']},
            )

    def __repr__(self) -> str:
        return self.name or f"Instance {self.id}"
