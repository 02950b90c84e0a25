"""The export/import API of every resource, and the change sets' own.

Every resource API gets (`attach`, called by the registry for each declared resource):
    GET  /api/v1/<resource>/export?format=csv|xlsx&q=<rison>&include_archived=1   (can_export)
    POST /api/v1/<resource>/import   multipart `file`, form field `key` (default `id`)   (can_import)
and the change sets (`can_import` on the change set's resource; another organization's is 404):
    GET  /api/v1/changesets/?resource=&state=&page=&page_size=
    GET  /api/v1/changesets/<id>?page=&page_size=&action=
    POST /api/v1/changesets/<id>/commit
    POST /api/v1/changesets/<id>/revert?dry_run=1&force=1
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, request
from flask_appbuilder.api import expose, get_list_schema, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_jwt_extended import jwt_required

from app.core import context
from app.core.api import OpsBaseApi, domain_errors, fast_rison
from app.core.errors import BadRequest, Forbidden, Invalid, NotFound
from app.core.exchange import services
from app.core.exchange.export import export_query, stream_response
from app.core.exchange.models import ChangeSet
from app.core.exchange.presenter import change_set_dict, change_set_list
from app.core.exchange.spec import plan_for
from app.core.registry import registry
from app.core.request_guard import upload_limit
from app.extensions import db

TRUE = ("1", "true", "yes")


def export_response(api, rison: dict) -> Any:
    resource = registry.resource(api.class_permission_name)
    plan = plan_for(resource)
    filters = api.request_filters(rison)
    order_column, order_direction = rison.get("order_column", ""), rison.get("order_direction", "")
    if not order_column and api.base_order:
        order_column, order_direction = api.base_order
    query = export_query(plan, filters, order_column, order_direction, set(api.order_columns))
    return stream_response(plan, query, (request.args.get("format") or "csv").lower())


def import_response(api) -> Any:
    resource = registry.resource(api.class_permission_name)
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("file: missing", {"file": ["Send the file as multipart form field 'file'."]})
    change_set = services.upload(resource, upload.stream, upload.filename or "", request.form.get("key"))
    change_set = services.analyze(change_set)
    return api.response(201, **change_set_dict(change_set, page=0, page_size=100))


def _export_route():
    def export(self, **kwargs):
        """Export the list (same filters, search and sort as the list) as CSV or XLSX, streamed.
        ---
        get:
          parameters:
          - {in: query, name: format, schema: {type: string, enum: [csv, xlsx]}}
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          - {in: query, name: include_archived, schema: {type: boolean}}
          responses:
            200:
              description: The file
            400:
              $ref: '#/components/responses/400'
            403:
              $ref: '#/components/responses/403'
        """
        return export_response(self, kwargs.get("rison", {}))

    fn = domain_errors(export)
    fn = fast_rison(get_list_schema)(fn)
    fn = permission_name("export")(fn)
    fn = safe(fn)
    fn = protect()(fn)
    return expose("/export", methods=["GET"])(fn)


# an import file may exceed the 1 MiB body cap: the setting, and its default
IMPORT_LIMIT = ("OPSHUB_IMPORT_MAX_BYTES", 32 * 1024 * 1024)


def _import_route():
    def import_file(self):
        """Import a CSV or XLSX file as a change set: every row is dry-run; the answer is the preview.
        ---
        post:
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    key: {type: string, description: "the match column (id, email, ...)"}
          responses:
            201:
              description: The change set, in state preview
            403:
              $ref: '#/components/responses/403'
            413:
              description: The file is too large
            422:
              $ref: '#/components/responses/422'
        """
        return import_response(self)

    fn = upload_limit(*IMPORT_LIMIT)(domain_errors(import_file))
    fn = permission_name("import_file")(fn)
    fn = safe(fn)
    fn = protect()(fn)
    return expose("/import", methods=["POST"])(fn)


def attach(api_cls: type) -> None:
    """Add the export and import routes to a resource's API class (before FAB registers it)."""
    if "export" in api_cls.__dict__:
        return
    api_cls.export = _export_route()
    api_cls.import_file = _import_route()
    api_cls.method_permission_name = {**api_cls.method_permission_name, "export": "export", "import_file": "import"}
    api_cls.include_route_methods = set(api_cls.include_route_methods) | {"export", "import_file"}


# ------------------------------------------------------------------ change sets
def may_import(resource: str) -> bool:
    sm = current_app.appbuilder.sm
    user = context.request_user()
    return user is not None and sm.view_access(user, "can_import", resource)


def change_set_or_404(pk: int, *, permission: str = "can_import") -> ChangeSet:
    change_set = db.session.scalars(sa.select(ChangeSet).where(ChangeSet.id == pk)).first()  # scoped
    if change_set is None:
        raise NotFound("No such change set.")
    if not may_import(change_set.resource):
        raise Forbidden("Your role may not import these records.")
    if permission != "can_import":
        user = context.request_user()
        if not current_app.appbuilder.sm.view_access(user, permission, change_set.resource):
            raise Forbidden("Your role may not revert these records.")
    return change_set


def int_arg(name: str, default: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit():
        raise Invalid(f"{name}: not an integer", {name: ["Must be a whole number."]})
    return min(int(raw), high)


def importable_resources() -> list[str]:
    return [name for name in registry.resources if may_import(name)]


class ChangeSetApi(OpsBaseApi):
    resource_name = "changesets"
    openapi_spec_tag = "Change sets"

    @expose("/", methods=["GET"])
    @jwt_required()
    @safe
    @domain_errors
    def get_list(self):
        """Change sets of the resources you may import, newest first.
        ---
        get:
          parameters:
          - {in: query, name: resource, schema: {type: string}}
          - {in: query, name: state, schema: {type: string}}
          - {in: query, name: page, schema: {type: integer}}
          - {in: query, name: page_size, schema: {type: integer}}
          responses:
            200:
              description: Change sets
        """
        if context.request_user() is None:
            return self.response_401()
        services.expire_stale()
        page, page_size = int_arg("page", 0, 1_000_000), max(1, int_arg("page_size", 25, 100))
        result, count = change_set_list(
            importable_resources(), request.args.get("resource"), request.args.get("state"), page, page_size
        )
        return self.response(200, result=result, count=count, page=page, page_size=page_size)

    @expose("/<int:pk>", methods=["GET"])
    @jwt_required()
    @safe
    @domain_errors
    def get(self, pk: int):
        """A change set: summary, progress, and a page of its rows (`action` filters them).
        ---
        get:
          parameters:
          - {in: query, name: page, schema: {type: integer}}
          - {in: query, name: page_size, schema: {type: integer}}
          - {in: query, name: action, schema: {type: string, enum: [create, update, unchanged, error]}}
          responses:
            200:
              description: The change set
            404:
              $ref: '#/components/responses/404'
        """
        if context.request_user() is None:
            return self.response_401()
        services.expire_stale()
        change_set = change_set_or_404(pk)
        action = request.args.get("action") or None
        if action and action not in ("create", "update", "unchanged", "error"):
            raise Invalid("action: unknown", {"action": ["One of: create, update, unchanged, error."]})
        page, page_size = int_arg("page", 0, 1_000_000), max(1, int_arg("page_size", 100, 500))
        return self.response(200, **change_set_dict(change_set, page=page, page_size=page_size, action=action))

    @expose("/<int:pk>/commit", methods=["POST"])
    @jwt_required()
    @safe
    @domain_errors
    def commit(self, pk: int):
        """Apply the previewed change set as one transaction (once; 409 if rows would now fail).
        ---
        post:
          responses:
            200:
              description: Committed
            404:
              $ref: '#/components/responses/404'
            409:
              description: Committed already, expired, or rows that now fail (listed)
        """
        if context.request_user() is None:
            return self.response_401()
        change_set = services.commit(change_set_or_404(pk))
        return self.response(200, **change_set_dict(change_set, page=0, page_size=0))

    @expose("/<int:pk>/revert", methods=["POST"])
    @jwt_required()
    @safe
    @domain_errors
    def revert(self, pk: int):
        """Undo a committed change set in one transaction (`dry_run=1`: only say what it would do;
        `force=1`: leave records changed since as they are and undo the rest).
        ---
        post:
          parameters:
          - {in: query, name: dry_run, schema: {type: boolean}}
          - {in: query, name: force, schema: {type: boolean}}
          responses:
            200:
              description: Reverted, or what a revert would do
            404:
              $ref: '#/components/responses/404'
            409:
              description: Not committed, reverted already, or records changed since (listed)
        """
        if context.request_user() is None:
            return self.response_401()
        change_set = change_set_or_404(pk, permission="can_revert")
        dry = request.args.get("dry_run", "").lower() in TRUE
        force = request.args.get("force", "").lower() in TRUE
        if request.args.get("dry_run") not in (None, "", "0", "false", "no", *TRUE):
            raise BadRequest("dry_run: 1 or 0")
        outcome = services.revert(change_set, dry=dry, force=force)
        return self.response(200, **outcome, change_set=change_set_dict(change_set, page=0, page_size=0))
