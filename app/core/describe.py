"""One description of every resource a client may use, built from the registry (app/core/registry.py)
and the resources' own APIs: `GET /api/v1/_resources/`.

For each resource the caller may read: its API path; list, show, add and edit columns with
their labels and types (a relation names the resource it points to and its label column);
sort columns and the default order; whether the list has a search box; its filters (column,
operator, and whether the operator takes a value at all: `flag`); its declared record actions
(archive, restore, revert, and each domain's) with their parameters, the permission they need
and whether the caller holds it; the record's extra GET routes (`/<pk>/pdf`); export and import;
the caller's permissions on it. The `opshub` command line builds its commands from this (a new
domain's resources and actions appear there without touching the client); a front end could too.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from app.core.columns import label_column
from app.core.lifecycle import lifecycles_of
from app.core.registry import registry
from app.core.scope import capability

SCHEMA_VERSION = 1
PK_ROUTE = re.compile(r"^/<int:pk>/([a-z0-9_-]+)$")
STANDARD_ROUTES = {"history"}

_TYPES = (
    (fields.Boolean, "boolean"),
    (fields.Integer, "integer"),
    (fields.Decimal, "decimal"),
    (fields.Float, "number"),
    (fields.Number, "number"),
    (fields.DateTime, "datetime"),
    (fields.Date, "date"),
    (fields.Email, "string"),
    (fields.String, "string"),
    (fields.List, "list"),
)


def _relation_of(api, name: str) -> dict | None:
    datamodel = getattr(api, "datamodel", None)
    if datamodel is None or not datamodel.is_relation(name):
        return None
    model = datamodel.get_related_model(name)
    resource = registry.resource_for_model(model)
    if resource is not None:
        target = resource.name
    elif getattr(model, "__tablename__", "") == "ab_user":
        target = "User"
    else:
        target = model.__name__
    return {"resource": target, "label": label_column(model), "many": datamodel.is_relation_many_to_many(name)}


def field_info(name: str, field: fields.Field, *, api=None, model=None, labels=None) -> dict[str, Any]:
    """What a client needs to send a value: its type, whether it is required or may be null,
    a length limit, the values it takes, the resource it points to."""
    from marshmallow_sqlalchemy.fields import Related, RelatedList

    meta = dict(field.metadata or {})
    info: dict[str, Any] = {
        "name": name,
        "label": (labels or {}).get(name) or name.replace("_", " ").capitalize(),
        "required": bool(field.required),
        "nullable": bool(field.allow_none),
    }
    if isinstance(field, Related | RelatedList):
        info["type"] = "relation"
        info["relation"] = _relation_of(api, name) if api is not None else None
    else:
        info["type"] = meta.get("type") or next((t for cls, t in _TYPES if isinstance(field, cls)), "string")
        if meta.get("resource"):
            info["type"] = "relation"
            info["relation"] = {"resource": meta["resource"], "label": "username", "many": False}
    choices = list(meta.get("enum") or [])
    for validator in getattr(field, "validators", []):
        if isinstance(validator, validate.OneOf):
            choices = [str(c) for c in validator.choices]
        elif isinstance(validator, validate.Length) and validator.max is not None:
            info["max_length"] = validator.max
    if not choices and model is not None:
        lifecycle = next((lc for lc in lifecycles_of(model) if lc.field == name), None)
        if lifecycle is not None:
            choices = list(lifecycle.states)
    if choices:
        info["enum"] = choices
    if meta.get("description"):
        info["description"] = str(meta["description"])
    return info


def _schema_fields(schema: Schema | None, columns, *, api, model, labels, descriptions) -> list[dict]:
    if schema is None:
        return []
    out = []
    for name in columns:
        field = schema.fields.get(name)
        if field is None:
            continue
        info = field_info(name, field, api=api, model=model, labels=labels)
        if descriptions.get(name):
            info["description"] = str(descriptions[name])
        out.append(info)
    return out


def _filters(api) -> list[dict]:
    available = api._filters.get_search_filters()
    out = []
    for column in api.search_columns:
        for flt in available.get(column, []):
            entry = {
                "column": column,
                "operator": flt.arg_name,
                "label": str(flt.name),
                "flag": bool(getattr(flt, "flag", False)),
            }
            relation = _relation_of(api, column)
            if relation is not None:
                entry["relation"] = relation
            out.append(entry)
    return out


def _record_routes(api) -> list[dict]:
    """GET routes of a record beyond its own and its history: `/<pk>/pdf`, `/<pk>/activities`."""
    out = []
    included = getattr(api, "include_route_methods", None) or set()
    for attr in sorted(included):
        fn = getattr(type(api), attr, None)
        for url, methods in getattr(fn, "_urls", []) or []:
            match = PK_ROUTE.match(url)
            if match and "GET" in methods and match.group(1) not in STANDARD_ROUTES:
                out.append({"name": match.group(1), "path": match.group(1), "summary": _summary(fn)})
    return out


def _summary(fn) -> str:
    doc = (getattr(fn, "__doc__", "") or "").split("---")[0]
    return " ".join(doc.split())


def _actions(name: str) -> list[dict]:
    out = []
    for act in registry.actions_of(name):
        params = []
        if act.params is not None:
            schema = act.params()
            params = [field_info(n, fld) for n, fld in schema.fields.items() if not fld.dump_only]
        out.append(
            {
                "name": act.name,
                "label": act.label,
                "path": act.route_path,
                "status": act.status,
                "permission": act.permission,
                "allowed": capability(act.permission, name),
                "summary": act.summary or act.label,
                "confirm": act.confirm,
                "params": params,
            }
        )
    return out


def describe_resource(name: str, api) -> dict[str, Any]:
    resource = registry.resources[name]
    model = resource.model
    labels = {k: str(v) for k, v in (api.label_columns or {}).items()}
    descriptions = {k: str(v) for k, v in (api.description_columns or {}).items()}
    sm = current_app.appbuilder.sm
    user = sm.acting_user()
    perms = sorted(p for p, v in sm.user_permissions(user) if v == name) if user is not None else []
    return {
        "name": name,
        "label": resource.label,
        "path": api.route_base,
        "list_columns": list(api.list_columns),
        "show_columns": list(api.show_columns),
        "labels": labels,
        "add_fields": _schema_fields(
            api.add_model_schema, api.add_columns, api=api, model=model, labels=labels, descriptions=descriptions
        ),
        "edit_fields": _schema_fields(
            api.edit_model_schema, api.edit_columns, api=api, model=model, labels=labels, descriptions=descriptions
        ),
        "order_columns": list(api.order_columns),
        "base_order": list(api.base_order) if api.base_order else None,
        "search": bool(getattr(api, "quick_search_columns", ())),
        "filters": _filters(api),
        "actions": _actions(name),
        "record_routes": _record_routes(api),
        "archivable": hasattr(model, "archived_at"),
        "versioned": hasattr(model, "__versioned__"),
        "exchange": {"export": "can_export" in perms, "import": "can_import" in perms},
        "permissions": perms,
    }


def describe(appbuilder) -> dict[str, Any]:
    """Every resource the acting user may read, described (see the module's docstring)."""
    apis = {type(view): view for view in appbuilder.baseviews}
    resources = []
    for name, resource in registry.resources.items():
        api = apis.get(resource.api) if resource.api is not None else None
        if api is None or not capability("can_read", name):
            continue
        resources.append(describe_resource(name, api))
    return {"schema_version": SCHEMA_VERSION, "resources": resources}


def etag_of(document: dict) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()[:32]
