"""What every API class shares, model or not: the permission names of the routes, the error
responses they document, a rison decorator that compiles its schema once, the JSON body helper,
domain errors mapped to their status, and path parameters documented as integers."""

from __future__ import annotations

import functools
import json
import re
import urllib.parse

import jsonschema
import prison
from flask import request
from flask_appbuilder.api import BaseApi
from marshmallow import ValidationError

from app.core.errors import BadRequest, DomainError, Invalid
from app.core.list_limits import paging_problem
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
