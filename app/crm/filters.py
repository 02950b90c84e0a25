"""CRM filters: "mine" on the owner column, for the API and the pages."""

from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter

from app.core import context


class OwnedByMe(BaseFilter):
    """`(filters:!((col:owner,opr:mine,value:1)))` — rows whose user column (`owner`,
    `assignee`) is the current user."""

    name = "Is me"
    arg_name = "mine"

    def apply(self, query, value):
        return query.filter(getattr(self.model, f"{self.column_name}_id") == context.current_user_id())
