"""/api/v1/tokens/: a user's personal API tokens (app/core/tokens.py). Self-service: being
logged in is the permission; a global Admin also lists (`?all=1`) and revokes anyone's."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_appbuilder.api import expose, safe
from flask_jwt_extended import jwt_required
from marshmallow import Schema, fields, validate

from app.core import context, tokens
from app.core.api import OpsBaseApi, domain_errors, json_body
from app.core.errors import MAX_ID, BadRequest
from app.core.tenancy import resolve_active_org_id
from app.extensions import db


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=tokens.NAME_MAX))
    organization_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), load_default=None)
    read_only = fields.Boolean(load_default=True)
    expires_at = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


def _int_arg(name: str, default: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) > high:
        raise BadRequest(f"{name}: a whole number from 0 to {high}")
    return int(raw)


class TokenApi(OpsBaseApi):
    resource_name = "tokens"
    openapi_spec_tag = "API tokens"
    openapi_spec_component_schemas = (TokenCreateSchema,)

    @expose("/", methods=["GET"])
    @jwt_required()
    @safe
    @domain_errors
    def get_list(self):
        """Your API tokens, newest first (`all=1`: every user's, for administrators).
        ---
        get:
          parameters:
          - {in: query, name: all, schema: {type: boolean}}
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200:
              description: Tokens (never their secrets)
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        user = context.request_user()
        if user is None:
            return self.response_401()
        everyone = request.args.get("all") in ("1", "true", "yes")
        stmt = tokens.visible_to(user, everyone=everyone)
        page, page_size = _int_arg("page", 0, 1_000_000), max(1, _int_arg("page_size", 25, 100))
        count = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
        rows = db.session.scalars(stmt.offset(page * page_size).limit(page_size)).unique()
        return self.response(
            200,
            result=[tokens.as_dict(t, with_user=everyone) for t in rows],
            count=count,
            page=page,
            page_size=page_size,
        )

    @expose("/", methods=["POST"])
    @jwt_required()
    @safe
    @domain_errors
    def post(self):
        """Create a token: `{"name", "organization_id" (default: the active one), "read_only"
        (default true), "expires_at" (optional date)}`. The answer holds the secret, once.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/TokenCreateSchema'
          responses:
            201:
              description: Created; `token` is the secret, shown this once
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            422:
              $ref: '#/components/responses/422'
        """
        user = context.request_user()
        if user is None:
            return self.response_401()
        data = json_body(TokenCreateSchema())
        org_id = data["organization_id"] or resolve_active_org_id()
        token, secret = tokens.create(
            user,
            name=data["name"],
            organization_id=org_id,
            read_only=data["read_only"],
            expires_at=data["expires_at"],
        )
        return self.response(201, id=token.id, token=secret, result=tokens.as_dict(token))

    @expose("/<int:pk>", methods=["GET"])
    @jwt_required()
    @safe
    @domain_errors
    def get(self, pk: int):
        """One of your tokens (an administrator: anyone's).
        ---
        get:
          responses:
            200:
              description: The token (never its secret)
            404:
              $ref: '#/components/responses/404'
        """
        user = context.request_user()
        if user is None:
            return self.response_401()
        token = tokens.get_visible(user, pk)
        return self.response(200, id=token.id, result=tokens.as_dict(token, with_user=True))

    @expose("/<int:pk>", methods=["DELETE"])
    @jwt_required()
    @safe
    @domain_errors
    def delete(self, pk: int):
        """Revoke a token (yours; an administrator: anyone's). It stops working at once.
        ---
        delete:
          responses:
            200:
              description: Revoked (or revoked already)
            404:
              $ref: '#/components/responses/404'
        """
        user = context.request_user()
        if user is None:
            return self.response_401()
        token = tokens.revoke(tokens.get_visible(user, pk), user.id)
        return self.response(200, id=token.id, result=tokens.as_dict(token))
