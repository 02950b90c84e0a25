"""The OpenAPI document (`/api/v1/_openapi`) as the API really answers.

FAB builds the document from each endpoint's docstring; this module completes what FAB's
defaults leave out or get wrong, once, for every endpoint:

* error bodies: `message` is a sentence *or* an object of field errors (`{"name": ["..."]}`,
  422 and some 400s), with an optional `detail` sentence — FAB documents a string only;
* the statuses every protected operation may answer (400 bad JSON or rison, 401, 403, 404 —
  another organization's row or an unknown organization —, 422, 503 during a database outage;
  409 and 413 on writes; 429 on login);
* the `menu` response (separators are the string "-" among the children).

The per-endpoint parts (path parameters, `_info`) live in the endpoints' docstrings.
"""

from __future__ import annotations

import json

from flask import Flask, request

FIELD_ERRORS = {
    "type": "object",
    "description": "Messages per field",
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}, {"type": "string"}]
    },
}
ERROR = {
    "type": "object",
    "properties": {
        "message": {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/FieldErrors"}]},
        "detail": {"type": "string", "description": "The refusal in a sentence"},
    },
}
RESPONSES = {
    "400": "Malformed request: JSON, rison, an unknown filter, a value the database cannot hold",
    "401": "No token, or a token whose session has ended",
    "403": "The role lacks the permission, or the row is readable but not theirs to change",
    "404": "Not found, or not in the active organization",
    "405": "Method not allowed",
    "409": "Conflicts with the record's state or version, or other records refer to it",
    "413": "Request body too large",
    "422": "Invalid values: `message` names each field",
    "429": "Too many failed logins; see Retry-After",
    "500": "Internal error",
    "503": "The database is unavailable; try again in a moment",
}
EVERY_OPERATION = ("400", "401", "403", "404", "422", "503")
WRITES = ("409", "413")
MENU_ITEM = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "label": {"type": "string"},
        "icon": {"type": "string"},
        "url": {"type": "string"},
        "childs": {"type": "array", "items": {"anyOf": [{"type": "object"}, {"type": "string"}]}},
    },
}


def complete(spec: dict) -> dict:
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["FieldErrors"] = FIELD_ERRORS
    schemas["Error"] = ERROR
    responses = components.setdefault("responses", {})
    for code, description in RESPONSES.items():
        responses[code] = {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "delete", "patch") or not isinstance(operation, dict):
                continue
            answers = operation.setdefault("responses", {})
            codes = list(EVERY_OPERATION) + (list(WRITES) if method != "get" else [])
            if path.endswith("/security/login"):
                codes.append("429")
            for code in codes:
                answers.setdefault(code, {"$ref": f"#/components/responses/{code}"})
            answers.setdefault("500", {"$ref": "#/components/responses/500"})
    menu = spec.get("paths", {}).get("/api/v1/menu/", {}).get("get")
    if menu:
        menu["responses"]["200"] = {
            "description": "The menu the user may see, as a forest",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"result": {"type": "array", "items": MENU_ITEM}}}
                }
            },
        }
    return spec


def install(app: Flask) -> None:
    @app.after_request
    def _complete_the_document(response):
        if request.endpoint == "OpenApi.get" and response.status_code == 200 and response.is_json:
            response.set_data(json.dumps(complete(response.get_json())))
        return response
