"""Clients and their contacts (SPEC §5)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import relationship

from app.core.errors import invalid
from app.core.models import BusinessModel, committed, list_order_indexes, pending_fk
from app.extensions import db

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s]+$", re.I)


def check_email(value: str | None, field: str = "email") -> None:
    if value and not EMAIL_RE.match(value):
        raise invalid(field, "Not a valid email address.")


class Client(BusinessModel):
    __tablename__ = "client"
    __owner_column__ = "owner_id"
    __table_args__ = (
        *list_order_indexes("client", "name"),
        sa.Index("ix_client_owner_id", "owner_id"),
    )

    name = sa.Column(sa.String(200), nullable=False)
    email = sa.Column(sa.String(254))
    phone = sa.Column(sa.String(40))
    website = sa.Column(sa.String(254))
    address = sa.Column(sa.String(500))
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    tags = sa.Column(sa.String(200))
    notes = sa.Column(sa.Text)

    contacts = relationship("Contact", back_populates="client", lazy="select", order_by="Contact.id")

    def validate(self) -> None:
        if not (self.name or "").strip():
            raise invalid("name", "Required.")
        check_email(self.email)
        if self.website and not URL_RE.match(self.website):
            raise invalid("website", "Must start with http:// or https://.")

    def __repr__(self) -> str:
        return self.name or f"Client {self.id}"


class Contact(BusinessModel):
    __lookup_column__ = "last_name"
    __tablename__ = "contact"
    __table_args__ = (
        *list_order_indexes("contact", "last_name"),
        sa.Index("ix_contact_client_id", "client_id"),
    )

    first_name = sa.Column(sa.String(100), nullable=False)
    last_name = sa.Column(sa.String(100), nullable=False)
    email = sa.Column(sa.String(254))
    phone = sa.Column(sa.String(40))
    title = sa.Column(sa.String(100))
    client_id = sa.Column(sa.Integer, sa.ForeignKey("client.id"), nullable=False)
    client = relationship("Client", back_populates="contacts", lazy="joined")

    def validate(self) -> None:
        if not (self.first_name or "").strip():
            raise invalid("first_name", "Required.")
        if not (self.last_name or "").strip():
            raise invalid("last_name", "Required.")
        if self.client_id is None and self.client is None:
            raise invalid("client", "Required.")
        check_email(self.email)

    def owner_user_ids(self, *, saved: bool) -> set[int]:
        """Owned through the client: the saved client's owner, or the new client's."""
        client_id = committed(self, "client_id") if saved else pending_fk(self, "client_id")
        client = db.session.get(Client, client_id) if client_id is not None else None
        return {client.owner_id} if client is not None and client.owner_id is not None else set()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return self.full_name
