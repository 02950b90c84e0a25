"""`GET /api/v1/_resources/`: the description of every resource the caller may read
(app/core/describe.py), with an ETag; `GET /api/v1/_resources/users`: the active organization's
members by username, the people a record's user fields may name (as the forms' pickers offer)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.sqla.models import User
from flask_jwt_extended import jwt_required

from app.core import context, describe
from app.core.api import OpsBaseApi, domain_errors
from app.core.errors import BadRequest
from app.core.tenancy import Membership, resolve_active_org_id
from app.core.validators import escape_like
from app.extensions import db


class DescribeApi(OpsBaseApi):
    resource_name = "_resources"
    openapi_spec_tag = "Resources"

    @expose("/", methods=["GET"])
    @jwt_required()
    @safe
    @domain_errors
    def get(self):
        """Every resource you may read: path, columns, fields, filters, record actions, export and
        import, your permissions. `If-None-Match` with the last ETag answers 304 when nothing changed.
        ---
        get:
          responses:
            200:
              description: The resources
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      schema_version: {type: integer}
                      resources:
                        type: array
                        items: {type: object}
            304:
              description: Unchanged since the ETag sent
        """
        if context.request_user() is None:
            return self.response_401()
        document = describe.describe(current_app.appbuilder)
        etag = describe.etag_of(document)
        if request.headers.get("If-None-Match", "").strip('"') == etag:
            response = current_app.response_class(status=304)
        else:
            response = self.response(200, **document)
        response.headers["ETag"] = f'"{etag}"'
        return response

    @expose("/users", methods=["GET"])
    @jwt_required()
    @safe
    @domain_errors
    def users(self):
        """Members of the active organization (id, username, name): `username` finds one exactly,
        `search` by the start of a username or name.
        ---
        get:
          parameters:
          - {in: query, name: username, schema: {type: string, maxLength: 64}}
          - {in: query, name: search, schema: {type: string, maxLength: 64}}
          responses:
            200:
              description: Members
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            id: {type: integer}
                            username: {type: string}
                            name: {type: string}
        """
        if context.request_user() is None:
            return self.response_401()
        org_id = resolve_active_org_id()
        username = (request.args.get("username") or "").strip()
        search = (request.args.get("search") or "").strip()
        if len(username) > 64 or len(search) > 64:
            raise BadRequest("username/search: at most 64 characters")
        stmt = (
            sa.select(User.id, User.username, User.first_name, User.last_name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organization_id == (org_id or -1))
        )
        if username:
            stmt = stmt.where(sa.func.lower(User.username) == username.lower())
        elif search:
            pattern = escape_like(search.lower()) + "%"
            stmt = stmt.where(
                sa.or_(
                    sa.func.lower(User.username).like(pattern, escape="\\"),
                    sa.func.lower(User.first_name).like(pattern, escape="\\"),
                    sa.func.lower(User.last_name).like(pattern, escape="\\"),
                )
            )
        rows = db.session.execute(stmt.order_by(User.username).limit(100)).all()
        return self.response(
            200,
            result=[
                {"id": r.id, "username": r.username, "name": f"{r.first_name or ''} {r.last_name or ''}".strip()}
                for r in rows
            ],
        )
