"""Base REST API for every business resource.

Adds to FAB's ModelRestApi: columns from the resource's one column spec; the resource's
declared record actions as `POST /<pk>/<action>` routes with their OpenAPI entries
(app/core/api_actions.py); the lean list (app/core/api_lists.py); domain errors mapped to 4xx
(never a 500); optimistic locking (`If-Match` or a `version` field); a history endpoint; list
headers; archived rows hidden by default (`include_archived=1` shows them); a cached rison
validator (app/core/api_base.py); a capped count; path parameters documented without pasting.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, request
from flask_appbuilder.api import (
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
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import ValidationError

from app.core import actions as record_actions
from app.core import history as history_service
from app.core import services
from app.core.api_actions import RecordActionRoutes
from app.core.api_base import API_METHODS, DocumentedPaths, OpsBaseApi, domain_errors, fast_rison, json_body
from app.core.api_lists import LeanList
from app.core.columns import Columns
from app.core.compat import RestApiInternals, request_local_filters
from app.core.errors import valid_id
from app.core.filters import NotArchived, member_pickers, with_quick_search
from app.core.list_limits import strict_rest_filters
from app.core.models import require_declared_columns
from app.core.uow import unit_of_work
from app.extensions import db

# the shared pieces are imported from here by the domains' APIs (app/core/api_base.py holds them)
__all__ = ["API_METHODS", "OpsBaseApi", "OpsModelRestApi", "domain_errors", "fast_rison", "json_body"]


class OpsModelRestApi(LeanList, RecordActionRoutes, DocumentedPaths, RestApiInternals):
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
