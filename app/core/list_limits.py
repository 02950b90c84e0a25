"""Lists take only what they can apply: a filter that is not applied must never widen a result
(an export or a bulk action run on it would reach rows nobody asked for), a page size is capped
on the pages as on the API, and a negative page is refused rather than sent to the database."""

from __future__ import annotations

import re

from flask import current_app, request
from flask_appbuilder.exceptions import InvalidOperationFilterFABException

from app.core import compat

FLT_ARG = re.compile(r"^_flt_(\d)_(.+)$")


def max_page_size() -> int:
    return int(current_app.config.get("FAB_API_MAX_PAGE_SIZE") or 100)


def paging_problem(rison: dict) -> str | None:
    page = rison.get("page")
    if isinstance(page, int) and page < 0:
        return "page must be 0 or more"
    return None


def strict_rest_filters(filters, data: list) -> None:
    """FAB's `rest_add_filters`, refusing what FAB would silently drop: an operator the column
    does not have (FAB ignores it when the column has custom filters) or a filter missing a key
    (FAB then drops it and every filter after it)."""
    search = filters.get_search_filters()
    for flt in data:
        if not isinstance(flt, dict) or not {"col", "opr", "value"} <= set(flt):
            raise InvalidOperationFilterFABException("Each filter needs col, opr and value.")
        col, opr = flt["col"], flt["opr"]
        allowed = [f.arg_name for f in search.get(col, [])]
        if col not in search:
            raise InvalidOperationFilterFABException(f"Filter column: {col} not allowed to filter")
        if opr not in allowed:
            raise InvalidOperationFilterFABException(
                f"Unknown filter operator {opr!r} on column {col!r}; one of: {', '.join(sorted(allowed))}."
            )
    before = len(filters.filters)
    filters.rest_add_filters(data)
    if len(filters.filters) - before != len(data):
        raise InvalidOperationFilterFABException("A filter could not be applied.")


def capped_page_size(page_size: int | None) -> int | None:
    """An HTML list's page size (`psize_<View>`), capped like the API's."""
    if page_size is None:
        return None
    return min(page_size, max_page_size())


def page_filter_problem(view) -> str | None:
    """The HTML list's `_flt_<n>_<column>` arguments must name a search column and one of its
    filters; FAB skips the others and lists every row."""
    search = view._filters.get_search_filters()
    every = compat.fab_all_filters(view._filters)  # FAB picks the filter by index from here
    for key in request.args:
        if not key.startswith("_flt_"):
            continue
        match = FLT_ARG.match(key)
        if match is None:
            return f"Unknown filter {key!r}."
        index, col = int(match.group(1)), match.group(2)
        if col not in search or index >= len(search[col]) or index >= len(every.get(col, ())):
            return f"Unknown filter {key!r}."
    return None


def install(app) -> None:
    """HTML lists refuse filters they would not apply (400)."""
    from flask import abort

    views = {type(v).__name__: v for v in app.appbuilder.baseviews if hasattr(v, "_filters")}

    @app.before_request
    def _refuse_unknown_page_filters():
        if not (request.endpoint or "").endswith(".list"):
            return None
        view = views.get(request.blueprint or "")
        if view is not None and page_filter_problem(view):
            abort(400, description=page_filter_problem(view))
        return None
