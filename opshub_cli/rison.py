"""Just enough Rison to write the API's `q=` (FAB lists: filters, order, paging)."""

from __future__ import annotations

from typing import Any


def dumps(value: Any) -> str:
    if value is None:
        return "!n"
    if value is True:
        return "!t"
    if value is False:
        return "!f"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("!", "!!").replace("'", "!'") + "'"
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{dumps(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple):
        return "!(" + ",".join(dumps(v) for v in value) + ")"
    raise TypeError(f"cannot write {type(value).__name__} as rison")
