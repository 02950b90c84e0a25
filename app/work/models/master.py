"""Master data: banks (with the notes printed on their invoices), their branches, property types."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from app.core.errors import invalid
from app.core.models import BusinessModel, list_order_indexes


def _required(value: str | None, field: str) -> None:
    if not (value or "").strip():
        raise invalid(field, "Required.")


class Bank(BusinessModel):
    __tablename__ = "bank"
    __table_args__ = (*list_order_indexes("bank", "name"),)

    name = sa.Column(sa.String(200), nullable=False)
    account_details = sa.Column(sa.Text)
    # printed on the invoices generated for this bank's assignments
    invoice_notes = sa.Column(sa.Text)

    branches = relationship("Branch", back_populates="bank", lazy="select", order_by="Branch.name")

    def validate(self) -> None:
        _required(self.name, "name")

    def __repr__(self) -> str:
        return self.name or f"Bank {self.id}"


class Branch(BusinessModel):
    __tablename__ = "branch"
    __table_args__ = (
        *list_order_indexes("branch", "name"),
        sa.Index("ix_branch_bank_id", "bank_id", "name"),
    )

    bank_id = sa.Column(sa.Integer, sa.ForeignKey("bank.id"), nullable=False)
    bank = relationship("Bank", back_populates="branches", lazy="joined")
    name = sa.Column(sa.String(200), nullable=False)
    city = sa.Column(sa.String(100))

    def validate(self) -> None:
        _required(self.name, "name")
        if self.bank_id is None and self.bank is None:
            raise invalid("bank", "Required.")

    def __repr__(self) -> str:
        return f"{self.name} ({self.city})" if self.city else (self.name or f"Branch {self.id}")


class PropertyType(BusinessModel):
    __tablename__ = "property_type"
    __table_args__ = (*list_order_indexes("property_type", "name"),)

    name = sa.Column(sa.String(100), nullable=False)

    def validate(self) -> None:
        _required(self.name, "name")

    def __repr__(self) -> str:
        return self.name or f"Property type {self.id}"
