"""A resource API's record actions (app/core/actions.py declares them): one route
`POST /<pk>/<action>` each, with its OpenAPI entry, run through `actions.run()` (a policy may
answer 202 instead)."""

from __future__ import annotations

from typing import Any

import yaml
from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect

from app.core import actions as record_actions
from app.core import services
from app.core.api_base import ERROR_RESPONSES, domain_errors


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


class RecordActionRoutes:
    """Mixed into OpsModelRestApi: its declared record actions, as routes."""

    _record_actions: dict[str, record_actions.RecordAction] = {}

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
