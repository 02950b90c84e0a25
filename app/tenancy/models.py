"""Organizations (tenants) and memberships: a user's FAB role in one organization."""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.errors import invalid
from app.core.models import AuditMixin, TenantMixin, utcnow


class Organization(Model):
    __tablename__ = "organization"
    __versioned__ = {}

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(120), nullable=False)
    slug = sa.Column(sa.String(64), nullable=False, unique=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return self.name


class Membership(TenantMixin, AuditMixin, Model):
    __tablename__ = "membership"
    __versioned__ = {}
    __table_args__ = (sa.UniqueConstraint("user_id", "organization_id"),)
    __unchecked_fks__ = ("user_id",)  # a new member is not yet a member

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    role_id = sa.Column(sa.Integer, sa.ForeignKey("ab_role.id"), nullable=False)

    user = relationship("User", foreign_keys=[user_id])
    role = relationship("Role", lazy="joined")
    organization = relationship("Organization", lazy="joined")

    def validate(self) -> None:
        if self.role_id is None and self.role is None:
            raise invalid("role", "Required.")

    def __repr__(self) -> str:
        return f"{self.user} in {self.organization} as {self.role}"
