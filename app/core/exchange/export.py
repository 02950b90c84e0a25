"""Export a list exactly as it is shown: the same scope (the session's tenancy and row-scope hook),
filters, search, archived toggle and sort as the API list (`OpsModelRestApi.request_filters`) or
the page (`OpsModelView.request_filters` + `request_base_filters`), streamed as CSV or XLSX.

One column SELECT (related records through LEFT JOINs on aliases, as the lean API list does),
read `yield_per` — a server-side cursor on PostgreSQL — so memory stays flat whatever the count.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Response, stream_with_context
from flask_appbuilder.exceptions import ApplyFilterException, FABException
from sqlalchemy.orm import aliased

from app.core.errors import BadRequest
from app.core.exchange.spec import Plan
from app.core.exchange.writer import csv_stream, xlsx_stream
from app.extensions import db

FORMATS = {
    "csv": ("text/csv; charset=utf-8", csv_stream),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_stream),
}
YIELD_PER = 1000


def export_query(plan: Plan, filters, order_column: str, order_direction: str, orderable: set[str]):
    """The export's SELECT: one row per record, columns in `plan.export_headers` order."""
    model = plan.model
    aliases: dict[str, Any] = {}
    selected: list[Any] = [model.id, model.version]
    for col in plan.columns:
        rel = plan.relations.get(col)
        if rel is None:
            selected.append(getattr(model, col))
            continue
        alias = aliases.setdefault(col, aliased(rel.target, name=f"x_{col}"))
        selected.append(getattr(alias, rel.label))
        if rel.tenant:
            selected.append(getattr(model, rel.fk))
    query = db.session.query(*selected).select_from(model)
    for col, alias in aliases.items():
        query = query.outerjoin(alias, getattr(model, col))
    try:
        query = filters.apply_all(query)
    except (ValueError, OverflowError, sa.exc.SQLAlchemyError, ApplyFilterException, FABException):
        db.session.rollback()
        raise BadRequest("Invalid filter value") from None
    if order_column:
        if order_column not in orderable or "." in order_column or not hasattr(model, order_column):
            raise BadRequest(f"Invalid order by column: {order_column}")
        column = getattr(model, order_column)
        query = query.order_by(column.desc() if order_direction == "desc" else column.asc())
    return query.order_by(model.id.desc() if order_direction == "desc" else model.id.asc())


def stream_response(plan: Plan, query, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise BadRequest("format: one of csv, xlsx")
    mimetype, writer = FORMATS[fmt]
    headers = plan.export_headers

    def rows() -> Iterator[tuple]:
        yield from query.yield_per(YIELD_PER)

    body = stream_with_context(writer(headers, rows()))
    name = f"{plan.resource.lower()}-export-{date.today().isoformat()}.{fmt}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
