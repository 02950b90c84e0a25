"""Documents of an assignment: a file in the configured storage (random key, never the client's
file name) and this row, which keeps the original name for display, the content type checked
against the bytes, the size and a SHA-256. Seen by those who see the assignment."""

from __future__ import annotations

from typing import ClassVar

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import AuditMixin, TenantMixin
from app.work.models.assignment import _AssignmentChild


class AssignmentDocument(_AssignmentChild, TenantMixin, AuditMixin, Model):
    __tablename__ = "assignment_document"
    __versioned__: ClassVar[dict] = {}
    __lookup_column__ = "filename"
    __table_args__ = (
        sa.Index("ix_assignment_document_assignment", "assignment_id", "id"),
        sa.UniqueConstraint("storage_key"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    assignment_id = sa.Column(sa.Integer, sa.ForeignKey("assignment.id", ondelete="CASCADE"), nullable=False)
    assignment = relationship("Assignment", back_populates="documents")
    filename = sa.Column(sa.String(255), nullable=False)  # as uploaded, for display only
    storage_key = sa.Column(sa.String(100), nullable=False)
    content_type = sa.Column(sa.String(100), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    sha256 = sa.Column(sa.String(64), nullable=False)

    @property
    def size_label(self) -> str:
        size = self.size or 0
        if size >= 1024 * 1024:
            return f"{size / 1024 / 1024:.1f} MB"
        return f"{max(1, round(size / 1024))} KB"

    def __repr__(self) -> str:
        return self.filename or f"Document {self.id}"
