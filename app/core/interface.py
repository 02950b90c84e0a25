"""FAB's SQLAlchemy interface with the speed fixes every resource inherits:
a capped COUNT (exact up to OPSHUB_COUNT_CAP rows, then the cap) instead of COUNT(*) over the
whole table on every list request."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_app_context

from app.core.compat import InterfaceInternals
from app.core.filters import OpsFilterConverter
from app.extensions import db


class OpsInterface(InterfaceInternals):
    filter_converter_class = OpsFilterConverter

    def __init__(self, obj, session=None):
        super().__init__(obj, session or db.session)

    def query(
        self,
        filters=None,
        order_column="",
        order_direction="",
        page=None,
        page_size=None,
        select_columns=None,
        outer_default_load=False,
    ):
        if page is None and page_size is None:
            # an unpaged load (FAB's select widgets): the count is the length, no COUNT query
            query = self.apply_all(
                self.session.query(self.obj),
                filters,
                order_column,
                order_direction,
                select_columns=select_columns,
                outer_default_load=outer_default_load,
            )
            rows = query.all()
            return len(rows), rows
        count, rows = super().query(
            filters, order_column, order_direction, page, page_size, select_columns, outer_default_load
        )
        prefetch = getattr(self.obj, "prefetch_list", None)
        if prefetch is not None and rows:
            prefetch(rows)  # computed list columns for the whole page in one query, not one per row
        return count, rows

    def query_count_of(self, query) -> int:
        """Capped count of a filtered ORM query: exact up to OPSHUB_COUNT_CAP rows, then the cap.
        The session's scope hook scopes the subquery too (tests/test_lists.py checks it)."""
        cap = current_app.config["OPSHUB_COUNT_CAP"] if has_app_context() else 10_000
        # the ORM attribute, not the table's column: the scope hook's criteria attach to entities,
        # and a bare column query (no filter naming the model) would count every organization
        pk = getattr(self.obj, sa.inspect(self.obj).primary_key[0].key)
        limited = query.with_entities(pk).order_by(None).limit(cap + 1).subquery()
        count = self.session.execute(sa.select(sa.func.count()).select_from(limited)).scalar_one()
        g._opshub_count_exact = count <= cap
        return min(count, cap)
