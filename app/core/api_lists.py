"""The list endpoint without FAB's per-request query building and marshmallow dump: one column
SELECT (many-to-one columns through LEFT JOINs, planned once per class) and a capped count, with
FAB's filters, ordering, paging and response shape."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_appbuilder.exceptions import ApplyFilterException
from sqlalchemy.orm import aliased

from app.core.errors import MAX_ID
from app.core.history import plain
from app.extensions import db


class LeanList:
    """Mixed into OpsModelRestApi: `_lean_list(args)` answers its GET list."""

    def _list_plan(self):
        """Columns, joins and serializers of `list_columns`, computed once per class."""
        plan = self.__class__.__dict__.get("_plan")
        if plan is not None:
            return plan
        model = self.datamodel.obj
        aliases: dict[str, Any] = {}
        selected: list[Any] = []
        writers: list[tuple[str, str | None]] = []
        pk = sa.inspect(model).primary_key[0]
        computed = self.computed_columns or {}
        for col in self.list_columns:
            if col in computed:
                selected.append(computed[col]().label(col))
                writers.append((col, None))
            elif "." in col:
                rel, attr = col.split(".", 1)
                if rel not in aliases:
                    target = self.datamodel.get_related_model(rel)
                    aliases[rel] = aliased(target, name=rel)
                selected.append(getattr(aliases[rel], attr))
                writers.append((rel, attr))
            else:
                selected.append(getattr(model, col))
                writers.append((col, None))
        if pk.key not in self.list_columns:
            selected.append(pk)
        orderable = {c: getattr(model, c) for c in self.order_columns if "." not in c}
        orderable.update(
            {
                c: getattr(aliases[c.split(".")[0]], c.split(".")[1])
                for c in self.order_columns
                if "." in c and c.split(".")[0] in aliases
            }
        )
        plan = {
            "aliases": aliases,
            "selected": selected,
            "writers": writers,
            "pk": pk,
            "orderable": orderable,
            "pk_index": len(selected) - 1 if pk.key not in self.list_columns else self.list_columns.index(pk.key),
        }
        type(self)._plan = plan
        return plan

    def _lean_list(self, args: dict):
        """The list endpoint without FAB's per-request query building and marshmallow dump:
        one column SELECT (many-to-one columns through LEFT JOINs) and a capped count.
        Same filters, ordering, paging and response shape as FAB's."""
        from flask_appbuilder.exceptions import FABException

        plan = self._list_plan()
        model = self.datamodel.obj
        try:
            filters = self.request_filters(args)
        except FABException as exc:
            return self.response_400(message=str(exc))
        order_column, order_direction = args.get("order_column", ""), args.get("order_direction", "")
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        if order_column and order_column not in plan["orderable"]:
            return self.response_400(message=f"Invalid order by column: {order_column}")
        page, page_size = self._handle_page_args(args)
        if (page or 0) * page_size > MAX_ID:
            return self.response_400(message="Page out of range")
        # the count needs no join unless a filter reads a related column
        related_filter = any("." in getattr(flt, "column_name", "") for flt in filters.filters)
        count_query = db.session.query(plan["pk"]).select_from(model)
        query = db.session.query(*plan["selected"]).select_from(model)
        for rel, alias in plan["aliases"].items():
            query = query.outerjoin(alias, getattr(model, rel))
            if related_filter:
                count_query = count_query.outerjoin(alias, getattr(model, rel))
        try:
            query = filters.apply_all(query)
            count_query = filters.apply_all(count_query)
        except (ValueError, OverflowError, sa.exc.SQLAlchemyError, ApplyFilterException):
            db.session.rollback()  # e.g. a relation filter's id beyond the INTEGER range
            return self.response_400(message="Invalid filter value")
        count = self.datamodel.query_count_of(count_query)
        if order_column:
            column = plan["orderable"][order_column]
            query = query.order_by(column.desc() if order_direction == "desc" else column.asc())
        query = query.order_by(plan["pk"].desc() if order_direction == "desc" else plan["pk"].asc())
        rows = query.limit(page_size).offset((page or 0) * page_size).all()
        result = [self._row_dict(plan, row) for row in rows]
        response: dict[str, Any] = {"result": result, "ids": [row[plan["pk_index"]] for row in rows], "count": count}
        self.set_response_key_mappings(response, self.get_list, args, select_columns=[])
        return self.response(200, **response)

    @staticmethod
    def _row_dict(plan, row) -> dict:
        out: dict[str, Any] = {}
        for (key, attr), value in zip(plan["writers"], row, strict=False):
            value = plain(value)
            if attr is None:
                out[key] = value
            else:
                out.setdefault(key, {})[attr] = value
        for key, value in list(out.items()):
            if isinstance(value, dict) and all(v is None for v in value.values()):
                out[key] = None  # an empty relation, as FAB's nested schema dumps it
        return out
