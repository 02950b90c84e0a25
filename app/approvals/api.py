"""Approvals on the API: `GET /api/v1/approvals/` (filters by status, action, resource,
requester; `(col:status,opr:waiting_for_me)` for the requests I may decide, `(col:requester,opr:mine)`
for my own), `GET /api/v1/approvals/<pk>` and the
decisions (record actions, app/approvals/actions.py); `GET/PUT /api/v1/approval-policy/`."""

from __future__ import annotations

from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import Schema, fields, validate

from app.approvals import columns, policy, reading
from app.approvals.models import ApprovalRequest
from app.core.api import OpsBaseApi, OpsModelRestApi, domain_errors, json_body
from app.core.filters import OwnedByMe
from app.core.interface import OpsInterface


class WaitingForMe(BaseFilter):
    name = "Waiting for me"
    arg_name = "waiting_for_me"
    flag = True  # takes no value

    def apply(self, query, value):
        return query.filter(*reading.waiting_criteria())


class ApprovalRequestApi(OpsModelRestApi):
    resource_name = "approvals"
    class_permission_name = "ApprovalRequest"
    datamodel = OpsInterface(ApprovalRequest)
    columns = columns.REQUEST
    # requests are made by calling a gated action, and decided by its record actions
    include_route_methods = {"get_list", "get", "info", "history"}
    search_filters = {"status": [WaitingForMe], "requester": [OwnedByMe]}
    list_columns = [
        "id",
        "action",
        "resource",
        "record_id",
        "summary",
        "payload",
        "requester.id",
        "requester.username",
        "status",
        "created_at",
        "decided_by.id",
        "decided_by.username",
        "decided_at",
        "comment",
        "reason",
    ]
    show_columns = list_columns


class PolicyEntry(Schema):
    resource = fields.String(required=True, validate=validate.Length(max=64))
    action = fields.String(required=True, validate=validate.Length(max=32))
    requires_approval = fields.Boolean(required=True, truthy={True}, falsy={False})


class PolicyBody(Schema):
    policy = fields.List(fields.Nested(PolicyEntry), required=True, validate=validate.Length(max=500))


class ApprovalPolicyApi(OpsBaseApi):
    resource_name = "approval-policy"
    class_permission_name = "ApprovalPolicy"
    method_permission_name = {"get": "read", "put": "write"}
    base_permissions = ["can_read", "can_write"]
    openapi_spec_component_schemas = (PolicyBody,)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @domain_errors
    def get(self):
        """Which declared actions need approval in the active organization.
        ---
        get:
          responses:
            200:
              description: One entry per declared record action, with its default
        """
        return self.response(200, result=policy.policy())

    @expose("/", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    @domain_errors
    def put(self):
        """Change the policy: `{"policy": [{"resource": "Invoice", "action": "void", "requires_approval": false}]}`
        (entries left out keep their setting). Audited.
        ---
        put:
          requestBody:
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/PolicyBody'
          responses:
            200:
              description: The whole policy after the change
            422:
              $ref: '#/components/responses/422'
        """
        body = json_body(PolicyBody())
        return self.response(200, result=policy.set_policy(body["policy"]))
