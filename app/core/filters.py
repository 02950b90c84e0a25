"""Filters shared by every resource's pages and API."""

from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder.models.filters import BaseFilter

from app.core import context


class NotArchived(BaseFilter):
    """Default list filter: archived rows leave the list until asked for."""

    name = "Not archived"
    arg_name = "nar"

    def apply(self, query, value):
        return query.filter(self.model.archived_at.is_(None))


class MembersOfActiveOrg(BaseFilter):
    """Related pickers for users offer only members of the active organization."""

    name = "Member"
    arg_name = "mem"

    def apply(self, query, value):
        from app.tenancy.models import Membership

        org_id = context.current_org_id()
        members = sa.select(Membership.user_id).where(Membership.organization_id == (org_id or -1))
        return query.filter(self.model.id.in_(members))


def member_pickers(datamodel, columns) -> dict[str, list]:
    """`*_query_rel_fields` for every relation to users among `columns`: members only."""
    return {
        col: [["id", MembersOfActiveOrg, None]]
        for col in columns
        if datamodel.is_relation(col) and datamodel.get_related_model(col).__tablename__ == "ab_user"
    }
