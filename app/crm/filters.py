"""CRM filters: "mine" on the owner column, for the API and the pages."""

from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter

from app.core import context


class OwnedByMe(BaseFilter):
    """`(filters:!((col:owner,opr:mine,value:1)))` — rows the current user owns."""

    name = "Is me"
    arg_name = "mine"

    def apply(self, query, value):
        return query.filter(self.model.owner_id == context.current_user_id())
