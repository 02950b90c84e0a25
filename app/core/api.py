"""Base REST API for every business resource.

Adds to FAB's ModelRestApi: columns from the resource's one column spec; the resource's
declared record actions as `POST /<pk>/<action>` routes with their OpenAPI entries; domain
errors mapped to 4xx (never a 500); optimistic locking (`If-Match` or a `version` field); a
history endpoint; list headers; archived rows hidden by default (`include_archived=1` shows
them); a cached rison validator; a capped count; path parameters documented without pasting.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from typing import Any

import jsonschema
import prison
import sqlalchemy as sa
import yaml
from flask import g, request
from flask_appbuilder.api import (
    BaseApi,
    ModelRestApi,
    expose,
    get_list_schema,
    merge_response_func,
    safe,
)
from flask_appbuilder.api.schemas import get_info_schema, get_item_schema
from flask_appbuilder.const import (
    API_ADD_COLUMNS_RIS_KEY,
    API_ADD_TITLE_RIS_KEY,
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_EDIT_COLUMNS_RIS_KEY,
    API_EDIT_TITLE_RIS_KEY,
    API_FILTERS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_PERMISSIONS_RIS_KEY,
)
from flask_appbuilder.exceptions import ApplyFilterException
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import ValidationError
from sqlalchemy.orm import aliased

from app.core import actions as record_actions
from app.core import history as history_service
from app.core import services
from app.core.columns import Columns
from app.core.compat import RestApiInternals, request_local_filters
from app.core.errors import MAX_ID, BadRequest, DomainError, Invalid, valid_id
from app.core.filters import NotArchived, member_pickers, with_quick_search
from app.core.history import plain
from app.core.list_limits import paging_problem, strict_rest_filters
from app.core.models import require_declared_columns
from app.core.uow import unit_of_work
from app.extensions import db

API_METHODS = {
    "get_list": "read",
    "get": "read",
    "info": "read",
    "history": "read",
    "post": "write",
    "put": "write",
    "delete": "delete",
}
ERROR_RESPONSES = {
    400: "400",
    403: "403",
    404: "404",
    409: {"description": "Refused by a rule, or a stale version"},
    422: "422",
}
PATH_PARAM = re.compile(r"{(\w+)}")


def fast_rison(schema: dict | None = None):
    """FAB's @rison with the JSON schema compiled once (jsonschema.validate recompiles it on
    every request, ~40% of a list request)."""
    validator = jsonschema.Draft7Validator(schema) if schema else None

    def decorator(f):
        @functools.wraps(f)
        def wraps(self, *args, **kwargs):
            value = request.args.get("q")
            kwargs["rison"] = {}
            if value:
                try:
                    kwargs["rison"] = prison.loads(value)
                except Exception:
                    try:
                        kwargs["rison"] = json.loads(urllib.parse.parse_qs(f"q={value}")["q"][0])
                    except Exception:
                        return self.response_400(message="Not a valid rison/json argument")
            if validator is not None:
                error = next(iter(validator.iter_errors(kwargs["rison"])), None)
                if error is not None:
                    return self.response_400(message=f"Not a valid rison schema {error.message}")
                if paging_problem(kwargs["rison"]):
                    return self.response_400(message=paging_problem(kwargs["rison"]))
            return f(self, *args, **kwargs)

        return wraps

    return decorator


def json_body(schema=None) -> dict:
    """The request's JSON object, loaded through `schema` if given: 400 when it is not a JSON
    object, 422 with a message per field when the schema refuses it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    if schema is None:
        return body
    try:
        return schema.load(body)
    except ValidationError as err:
        raise Invalid("Invalid input", err.messages) from err


def domain_errors(f):
    """Map DomainError to its status (inside FAB's @safe, which would turn it into a 500)."""

    @functools.wraps(f)
    def wraps(self, *args, **kwargs):
        try:
            return f(self, *args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            return self.response(exc.status, **exc.to_dict())

    return wraps


class DocumentedPaths:
    """Every path parameter (`{pk}`, `{user_id}`) is documented as an integer in the OpenAPI
    document without each docstring pasting its block."""

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        super().operation_helper(path=path, operations=operations, methods=methods, func=func, **kwargs)
        names = PATH_PARAM.findall(path or "")
        for operation in (operations or {}).values():
            declared = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "path"}
            missing = [n for n in names if n not in declared]
            if missing:
                operation["parameters"] = [
                    *[{"in": "path", "name": n, "required": True, "schema": {"type": "integer"}} for n in missing],
                    *operation.get("parameters", []),
                ]


class OpsBaseApi(DocumentedPaths, BaseApi):
    """Base of the APIs that are not a model's (me, organizations, audit, analytics)."""

    allow_browser_login = False


def _action_doc(resource: str, act: record_actions.RecordAction) -> str:
    # FAB re-parses the docstring's YAML from its Python repr: a text holding both kinds of quote
    # would not survive that, so the summary may not mix them
    if "'" in act.summary and '"' in act.summary:
        raise ValueError(f"{resource}.{act.name}: an action summary may not mix ' and \" quotes")
    spec: dict[str, Any] = {
        "summary": act.summary or act.label,
        "responses": {
            act.status: {"description": f"{act.label}: done"},
            **{
                code: ({"$ref": f"#/components/responses/{ref}"} if isinstance(ref, str) else ref)
                for code, ref in ERROR_RESPONSES.items()
            },
        },
    }
    if act.params is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{act.params.__name__}"}}},
        }
    return f"{act.summary or act.label}\n---\n" + yaml.safe_dump({"post": spec}, sort_keys=False)


def _action_route(resource: str, act: record_actions.RecordAction):
    def handler(self, pk: int):
        return self.run_record_action(act.name, pk)

    handler.__name__ = act.route_name
    handler.__qualname__ = act.route_name
    handler.__doc__ = _action_doc(resource, act)
    fn = domain_errors(handler)
    fn = permission_name(act.route_name)(fn)
    fn = safe(fn)
    fn = protect()(fn)
    return expose(f"/<int:pk>/{act.route_path}", methods=["POST"])(fn)


class OpsModelRestApi(DocumentedPaths, RestApiInternals):
    allow_browser_login = False
    method_permission_name = API_METHODS
    include_route_methods = {"get_list", "get", "post", "put", "delete", "info", "history"}
    columns: Columns | None = None
    _record_actions: dict[str, record_actions.RecordAction] = {}
    page_size = 25
    max_page_size = 100
    # list columns computed in SQL (name -> a function returning a correlated scalar subquery),
    # selected in the lean list's one statement
    computed_columns: dict[str, Any] | None = None
    list_outer_default_load = True
    show_outer_default_load = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("columns")
        datamodel = cls.__dict__.get("datamodel")
        if spec is not None and datamodel is not None:
            for name, value in spec.api_attributes(datamodel.obj).items():
                if name not in cls.__dict__:
                    setattr(cls, name, value)

    def __init__(self) -> None:
        require_declared_columns(self)
        if self.base_permissions is None:
            self.base_permissions = sorted({f"can_{p}" for p in set(self.method_permission_name.values())})
        rels = member_pickers(self.datamodel, {*self.add_columns, *self.edit_columns})
        self.add_query_rel_fields = {**rels, **(self.add_query_rel_fields or {})}
        self.edit_query_rel_fields = {**rels, **(self.edit_query_rel_fields or {})}
        super().__init__()
        self.quick_search_columns = self.columns.quick_columns(self.datamodel.obj) if self.columns else ()

    def _load(self, schema, body: dict, instance=None):
        """Load `body` through a fresh copy of `schema`. Related ids must be integers: the
        database would otherwise be asked for `id = 'abc'` (a 500 on PostgreSQL)."""
        return self.load_body(self._fresh(schema), body, instance)

    def load_body(self, schema, body: dict, instance=None):
        """`_load` with a schema instance the caller owns (an import reuses one for all its rows)."""
        from marshmallow_sqlalchemy.fields import Related

        bad = {
            name: ["Not a valid id."]
            for name, field in schema.fields.items()
            if isinstance(field, Related) and body.get(name) is not None and not valid_id(body[name])
        }
        bad.update(self._numeric_errors(body))
        if bad:
            raise ValidationError(bad)
        with db.session.no_autoflush:
            return schema.load(body, instance=instance) if instance is not None else schema.load(body)

    def _numeric_errors(self, body: dict) -> dict[str, list[str]]:
        """A number for a numeric(p, s) column with more decimal places than `s`, or not finite,
        is refused (marshmallow would round it to the column's scale without a word)."""
        from decimal import Decimal, InvalidOperation

        columns = sa.inspect(self.datamodel.obj).columns
        out: dict[str, list[str]] = {}
        for name, value in body.items():
            column = columns.get(name)
            if column is None or not isinstance(column.type, sa.Numeric) or value is None or isinstance(value, bool):
                continue
            try:
                number = Decimal(str(value).strip())
            except (InvalidOperation, ValueError):
                continue  # the schema names it
            scale = column.type.scale or 0
            if not number.is_finite():
                out[name] = ["Not a valid number."]
            elif number.as_tuple().exponent < -scale and number != round(number, scale):
                out[name] = [f"At most {scale} decimal places." if scale else "A whole number."]
        return out

    @staticmethod
    def _fresh(schema):
        """A schema instance of our own for this request: marshmallow-sqlalchemy keeps the
        instance being loaded on the schema object, so sharing one across threads mixes up
        concurrent writes (seen: a PUT answered 200 having written nothing)."""
        return type(schema)()

    # ------------------------------------------------------------ record actions
    @classmethod
    def attach_record_actions(cls, resource, actions: list[record_actions.RecordAction]) -> None:
        cls._record_actions = {a.name: a for a in actions}
        permissions = dict(cls.method_permission_name)
        routes = set(cls.include_route_methods)
        schemas = list(cls.openapi_spec_component_schemas or ())
        for act in actions:
            setattr(cls, act.route_name, _action_route(resource.name, act))
            permissions[act.route_name] = act.permission.removeprefix("can_")
            routes.add(act.route_name)
            if act.params is not None and act.params not in schemas:
                schemas.append(act.params)
        cls.method_permission_name = permissions
        cls.include_route_methods = routes
        cls.openapi_spec_component_schemas = tuple(schemas)

    def run_record_action(self, name: str, pk: int):
        act = self._record_actions[name]
        item = self._item_or_404(pk)
        if item is None:
            return self.response_404()
        body = request.get_json(silent=True) if request.get_data() else {}
        if not isinstance(body, dict):
            return self.response_400(message="Request body must be a JSON object")
        expected = body.pop("version", None)
        services.check_version(item, request.headers.get("If-Match") or expected)
        outcome = record_actions.run(self.class_permission_name, act, item, act.load(body))
        if outcome.pending is not None:
            return self.response(202, **outcome.pending)
        if act.result is not None:
            return self.response(act.status, **act.result(item, outcome.result))
        return self.response(act.status, result=self.show_model_schema.dump(item), id=item.id)

    def _item_or_404(self, pk):
        """Archived rows too: they are shown, restored and reverted by pk."""
        return self.datamodel.get(pk, self._base_filters)

    def _list_base_filters(self):
        """The base filters, minus archived rows unless asked, plus the search box's term."""
        if request.args.get("include_archived") in ("1", "true", "yes"):
            base = self._base_filters
        else:
            base = self.__dict__.get("_not_archived_filters")
            if base is None:  # built once per view: the same for every request
                base = self._base_filters.copy().add_filter_list([["id", NotArchived, None]])
                self._not_archived_filters = base
        return with_quick_search(base, self.datamodel, self.quick_search_columns, request.args.get("search"))

    # ------------------------------------------------------------ list
    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @fast_rison(get_list_schema)
    @merge_response_func(ModelRestApi.merge_order_columns, API_ORDER_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_columns, API_LIST_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_title, API_LIST_TITLE_RIS_KEY)
    @domain_errors
    def get_list(self, **kwargs: Any):
        """List items (archived rows only with `include_archived=1`).
        ---
        get:
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          - in: query
            name: include_archived
            schema:
              type: boolean
          - in: query
            name: search
            description: the search box term, matched as contains over the search columns of the resource
            schema:
              type: string
              maxLength: 200
          responses:
            200:
              description: Items from Model
        """
        return self.get_list_headless(**kwargs)

    def request_filters(self, rison_args):
        """A Filters object of this request's own (FAB mutates its shared `self._filters` per
        request, which mixes up concurrent requests), joined with the base filters."""
        filters = request_local_filters(self._filters)
        strict_rest_filters(filters, rison_args.get("filters", []))  # unknown operators: 400
        base = self._list_base_filters()
        filters.filters += base.filters
        filters.values += base.values
        return filters

    def get_list_headless(self, **kwargs: Any):
        args = kwargs.get("rison", {})
        if args.get("columns"):
            response = super().get_list_headless(**kwargs)  # a custom column subset: FAB's path
        else:
            response = self._lean_list(args)
        if response.status_code == 200:
            page, page_size = self._handle_page_args(args)
            response.headers["X-Total-Count"] = str(response.get_json().get("count", 0))
            response.headers["X-Total-Count-Exact"] = "true" if g.get("_opshub_count_exact", True) else "false"
            response.headers["X-Page"] = str(page or 0)
            response.headers["X-Page-Size"] = str(page_size or self.page_size)
        return response

    # ------------------------------------------------------------ the lean list
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

    # ------------------------------------------------------------ metadata
    @expose("/_info", methods=["GET"])
    @protect()
    @safe
    @fast_rison(get_info_schema)  # FAB's @rison lets a rison parse error through: a 500
    @permission_name("info")
    @merge_response_func(ModelRestApi.merge_current_user_permissions, API_PERMISSIONS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_field_info, API_ADD_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_field_info, API_EDIT_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_search_filters, API_FILTERS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_title, API_ADD_TITLE_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_title, API_EDIT_TITLE_RIS_KEY)
    def info(self, **kwargs: Any):
        """The resource's form fields, filters and the caller's permissions on it.
        ---
        get:
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_info_schema'
          responses:
            200:
              description: Metadata of the resource
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      add_columns:
                        type: array
                        items:
                          type: object
                          properties:
                            name: {type: string}
                            label: {type: string}
                            description: {type: string}
                            type: {type: string}
                            required: {type: boolean}
                            unique: {type: boolean}
                      edit_columns:
                        type: array
                        items:
                          type: object
                      add_title: {type: string}
                      edit_title: {type: string}
                      filters:
                        type: object
                        additionalProperties:
                          type: array
                          items:
                            type: object
                            properties:
                              name: {type: string}
                              operator: {type: string}
                      permissions:
                        type: array
                        items: {type: string}
        """
        return self.info_headless(**kwargs)

    # ------------------------------------------------------------ item
    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @fast_rison(get_item_schema)
    @domain_errors
    def get(self, pk: int, **kwargs: Any):
        """Get an item (archived items too; `ETag` is its version).
        ---
        get:
          responses:
            200:
              description: Item from Model
            404:
              $ref: '#/components/responses/404'
        """
        response = self.get_headless(pk, **kwargs)
        if response.status_code == 200:
            version = (response.get_json().get("result") or {}).get("version")
            if version is not None:
                response.headers["ETag"] = f'"{version}"'
        return response

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    @domain_errors
    def post(self):
        """Create an item.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.post'
          responses:
            201:
              description: Item inserted
            400:
              $ref: '#/components/responses/400'
            422:
              $ref: '#/components/responses/422'
        """
        body = json_body()
        try:
            item = self._load(self.add_model_schema, body)
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        self.pre_add(item)
        with unit_of_work() as session:
            session.add(item)
        self.post_add(item)
        return self.response(201, result=self.add_model_schema.dump(item, many=False), id=item.id)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    @domain_errors
    def put(self, pk: int):
        """Update an item. Send `If-Match: <version>` or a `version` field: a stale one is a 409.
        ---
        put:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
          responses:
            200:
              description: Item changed
            404:
              $ref: '#/components/responses/404'
            409:
              description: Stale version or conflicting record
            422:
              $ref: '#/components/responses/422'
        """
        body = json_body()
        item = self._item_or_404(pk)
        if item is None:
            return self.response_404()
        expected = body.pop("version", None)
        services.check_version(item, request.headers.get("If-Match") or expected)
        try:
            item = self._load(self.edit_model_schema, self._merge_update_item(item, body), instance=item)
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        self.pre_update(item)
        with unit_of_work():
            pass
        self.post_update(item)
        return self.response(200, result=self.show_model_schema.dump(item, many=False), id=item.id)

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    @domain_errors
    def delete(self, pk: int):
        """Delete an item for good (Admin only by default; archive is the everyday path).
        ---
        delete:
          responses:
            200:
              description: Item deleted
            404:
              $ref: '#/components/responses/404'
            202:
              description: Sent for approval instead (a policy gates this delete)
            409:
              description: Refused by a rule
        """
        item = self._item_or_404(pk)
        if item is None:
            return self.response_404()
        declared = self._record_actions.get("delete")
        if declared is not None:
            # a resource that declares its delete (so that a policy may gate it) runs it here too
            outcome = record_actions.run(self.class_permission_name, declared, item, {})
            if outcome.pending is not None:
                return self.response(202, **outcome.pending)
            return self.response(200, message="OK")
        self.pre_delete(item)
        services.delete(item)
        self.post_delete(item)
        return self.response(200, message="OK")

    # ------------------------------------------------------------ history
    @expose("/<int:pk>/history", methods=["GET"])
    @protect()
    @safe
    @permission_name("history")
    @domain_errors
    def history(self, pk: int):
        """Versions of an item, newest first, with per-field [old, new] changes.
        ---
        get:
          responses:
            200:
              description: Versions
            404:
              $ref: '#/components/responses/404'
        """
        item = self._item_or_404(pk)
        if item is None:
            return self.response_404()
        return self.response(200, result=history_service.history_for(db.session, item))
