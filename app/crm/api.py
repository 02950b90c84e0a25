"""REST resources: clients, contacts, leads (convert), deals (move, close, activities), tasks, and
the deal analytics."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.security.sqla.models import User

from app.core import context, services
from app.core.api import API_METHODS, OpsModelRestApi, domain_errors, json_body
from app.core.history import plain
from app.core.interface import OpsInterface
from app.core.views import RESOURCE_PERMISSIONS
from app.crm import analytics
from app.crm import services as crm
from app.crm.filters import OwnedByMe
from app.crm.models import Activity, Client, Contact, Deal, Lead, Task
from app.extensions import db


class ClientApi(OpsModelRestApi):
    resource_name = "clients"
    class_permission_name = "Client"
    datamodel = OpsInterface(Client)
    list_columns = [
        "id",
        "name",
        "email",
        "phone",
        "website",
        "owner.id",
        "owner.username",
        "tags",
        "archived_at",
        "version",
        "updated_at",
    ]
    show_columns = [
        "id",
        "name",
        "email",
        "phone",
        "website",
        "address",
        "owner.id",
        "owner.username",
        "tags",
        "notes",
        "archived_at",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = ["name", "email", "phone", "website", "address", "owner", "tags", "notes"]
    edit_columns = add_columns
    search_columns = ["name", "email", "phone", "tags", "owner", "archived_at"]
    order_columns = ["id", "name", "email", "updated_at"]
    base_order = ("name", "asc")
    search_filters = {"owner": [OwnedByMe]}


class ContactApi(OpsModelRestApi):
    resource_name = "contacts"
    class_permission_name = "Contact"
    datamodel = OpsInterface(Contact)
    list_columns = [
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "client.id",
        "client.name",
        "archived_at",
        "version",
    ]
    show_columns = [
        "id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "client.id",
        "client.name",
        "archived_at",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = ["first_name", "last_name", "email", "phone", "title", "client"]
    edit_columns = add_columns
    search_columns = ["first_name", "last_name", "email", "client", "archived_at"]
    order_columns = ["id", "first_name", "last_name", "email"]
    base_order = ("last_name", "asc")


def activity_dict(activity: Activity, username: str | None) -> dict:
    return {
        "id": activity.id,
        "kind": activity.kind,
        "body": activity.body,
        "author": username,
        "created_at": plain(activity.created_at),
        "deal_id": activity.deal_id,
        "client_id": activity.client_id,
        "lead_id": activity.lead_id,
    }


class LeadApi(OpsModelRestApi):
    resource_name = "leads"
    class_permission_name = "Lead"
    datamodel = OpsInterface(Lead)
    method_permission_name = {**API_METHODS, "convert": "write"}
    include_route_methods = OpsModelRestApi.include_route_methods | {"convert"}
    list_columns = [
        "id",
        "name",
        "company",
        "email",
        "source",
        "status",
        "owner.id",
        "owner.username",
        "client.id",
        "archived_at",
        "version",
        "updated_at",
    ]
    show_columns = [
        "id",
        "name",
        "company",
        "email",
        "phone",
        "source",
        "status",
        "owner.id",
        "owner.username",
        "notes",
        "client.id",
        "client.name",
        "converted_at",
        "archived_at",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = ["name", "company", "email", "phone", "source", "owner", "notes"]  # a lead starts as new
    edit_columns = [*add_columns, "status"]
    search_columns = ["name", "company", "email", "source", "status", "owner", "archived_at"]
    order_columns = ["id", "name", "company", "status", "updated_at"]
    base_order = ("name", "asc")
    search_filters = {"owner": [OwnedByMe]}

    @expose("/<int:pk>/convert", methods=["POST"])
    @protect()
    @safe
    @permission_name("convert")
    @domain_errors
    def convert(self, pk: int):
        """Convert a qualified lead into a client, its contact and an open deal (one transaction).
        ---
        post:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    deal_title:
                      type: string
                    amount:
                      type: number
          responses:
            201:
              description: The new client, contact and deal ids
            404:
              $ref: '#/components/responses/404'
            409:
              description: The lead is not qualified, or was converted already
        """
        lead = self._item_or_404(pk)
        if lead is None:
            return self.response_404()
        body = request.get_json(silent=True) if request.data else {}
        if not isinstance(body, dict):
            return self.response_400(message="Request body must be a JSON object")
        deal = crm.convert_lead(lead, deal_title=body.get("deal_title"), amount=body.get("amount"))
        return self.response(
            201,
            result={"lead_id": lead.id, "client_id": deal.client_id, "contact_id": deal.contact_id, "deal_id": deal.id},
        )


class DealApi(OpsModelRestApi):
    resource_name = "deals"
    class_permission_name = "Deal"
    datamodel = OpsInterface(Deal)
    method_permission_name = {
        **API_METHODS,
        "move": "write",
        "close": "write",
        "activities": "read",
        "add_activity": "write",
    }
    include_route_methods = OpsModelRestApi.include_route_methods | {"move", "close", "activities", "add_activity"}
    list_columns = [
        "id",
        "title",
        "client.id",
        "client.name",
        "owner.id",
        "owner.username",
        "amount",
        "currency",
        "stage",
        "status",
        "expected_close_date",
        "archived_at",
        "version",
        "updated_at",
    ]
    show_columns = [
        "id",
        "title",
        "client.id",
        "client.name",
        "contact.id",
        "contact.last_name",
        "owner.id",
        "owner.username",
        "amount",
        "currency",
        "stage",
        "status",
        "furthest_stage",
        "expected_close_date",
        "closed_at",
        "archived_at",
        "version",
        "created_at",
        "updated_at",
    ]
    add_columns = [
        "title",
        "client",
        "contact",
        "owner",
        "amount",
        "currency",
        "stage",
        "status",
        "expected_close_date",
    ]
    edit_columns = add_columns
    search_columns = ["title", "client", "contact", "owner", "stage", "status", "amount", "archived_at"]
    order_columns = ["id", "title", "amount", "stage", "status", "expected_close_date", "updated_at"]
    base_order = ("updated_at", "desc")
    search_filters = {"owner": [OwnedByMe]}

    def _transition(self, pk: int, change):
        def act(deal: Deal) -> None:
            body = json_body()
            services.check_version(deal, request.headers.get("If-Match") or body.get("version"))
            change(deal, body)

        return self._act_on(pk, act)

    @expose("/<int:pk>/move", methods=["POST"])
    @protect()
    @safe
    @permission_name("move")
    @domain_errors
    def move(self, pk: int):
        """Move a deal to another stage: `{"stage": "proposal"}`. Forward (skipping too) is
        allowed; backward needs can_rollback_stage (403).
        ---
        post:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    stage:
                      type: string
                      enum: [qualification, proposal, negotiation]
          responses:
            200:
              description: The moved deal
            403:
              description: Moving back without can_rollback_stage, or not your deal
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        return self._transition(pk, lambda deal, body: crm.move_deal(deal, body.get("stage")))

    @expose("/<int:pk>/close", methods=["POST"])
    @protect()
    @safe
    @permission_name("close")
    @domain_errors
    def close(self, pk: int):
        """Close a deal: `{"status": "won"}` (needs amount > 0) or `{"status": "lost"}`.
        ---
        post:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    status:
                      type: string
                      enum: [won, lost]
          responses:
            200:
              description: The closed deal
            403:
              description: Changing a closed deal's outcome without can_rollback_stage
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        return self._transition(pk, lambda deal, body: crm.close_deal(deal, body.get("status")))

    @expose("/<int:pk>/activities", methods=["GET"])
    @protect()
    @safe
    @permission_name("activities")
    @domain_errors
    def activities(self, pk: int):
        """The deal's activities (comments, stage and status changes), newest first.
        ---
        get:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: Activities
            404:
              $ref: '#/components/responses/404'
        """
        deal = self._item_or_404(pk)
        if deal is None:
            return self.response_404()
        rows = db.session.execute(
            sa.select(Activity, User.username)
            .outerjoin(User, User.id == Activity.created_by_id)
            .where(Activity.deal_id == deal.id)
            .order_by(Activity.id.desc())
            .limit(500)
        ).all()
        return self.response(200, result=[activity_dict(a, u) for a, u in rows])

    @expose("/<int:pk>/activities", methods=["POST"])
    @protect()
    @safe
    @permission_name("add_activity")
    @domain_errors
    def add_activity(self, pk: int):
        """Comment on a deal: `{"body": "Called the buyer"}`.
        ---
        post:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    body:
                      type: string
          responses:
            201:
              description: The comment
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        deal = self._item_or_404(pk)
        if deal is None:
            return self.response_404()
        activity = crm.add_comment(json_body().get("body"), deal=deal)
        author = context.request_user()
        return self.response(201, result=activity_dict(activity, getattr(author, "username", None)))


class TaskApi(OpsModelRestApi):
    resource_name = "tasks"
    class_permission_name = "Task"
    datamodel = OpsInterface(Task)
    list_columns = [
        "id",
        "title",
        "due_date",
        "done",
        "assignee.id",
        "assignee.username",
        "client.id",
        "client.name",
        "deal.id",
        "deal.title",
        "archived_at",
        "version",
        "updated_at",
    ]
    show_columns = [*list_columns[:-1], "notes", "created_at", "updated_at"]
    add_columns = ["title", "due_date", "done", "assignee", "client", "deal", "notes"]
    edit_columns = add_columns
    search_columns = ["title", "due_date", "done", "assignee", "client", "deal", "archived_at"]
    order_columns = ["id", "title", "due_date", "updated_at"]
    base_order = ("due_date", "asc")
    search_filters = {"assignee": [OwnedByMe]}


class AnalyticsApi(BaseApi):
    """Deal analytics of the active organization; needs can_read on Deal."""

    resource_name = "analytics"
    class_permission_name = "Deal"
    method_permission_name = {"summary": "read", "funnel": "read"}
    base_permissions = RESOURCE_PERMISSIONS  # it shares "Deal" with the deal pages
    allow_browser_login = False
    openapi_spec_tag = "Analytics"

    @expose("/deals/summary", methods=["GET"])
    @protect()
    @safe
    @domain_errors
    def summary(self):
        """Count and amount per status, win rate, average won amount and deal size.
        ---
        get:
          parameters:
          - {in: query, name: owner, schema: {type: string}, description: "a user id or me"}
          - {in: query, name: date_from, schema: {type: string, format: date}}
          - {in: query, name: date_to, schema: {type: string, format: date}}
          responses:
            200:
              description: Summary
            422:
              $ref: '#/components/responses/422'
        """
        return self.response(200, result=analytics.deal_summary(self._filter()))

    @expose("/deals/funnel", methods=["GET"])
    @protect()
    @safe
    @domain_errors
    def funnel(self):
        """Count and amount per stage, deals that reached each stage, conversion between stages.
        ---
        get:
          parameters:
          - {in: query, name: owner, schema: {type: string}, description: "a user id or me"}
          - {in: query, name: date_from, schema: {type: string, format: date}}
          - {in: query, name: date_to, schema: {type: string, format: date}}
          responses:
            200:
              description: Funnel
            422:
              $ref: '#/components/responses/422'
        """
        return self.response(200, result=analytics.deal_funnel(self._filter()))

    @staticmethod
    def _filter() -> analytics.DealFilter:
        return analytics.DealFilter.from_args(request.args, context.current_user_id())
