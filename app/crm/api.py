"""REST resources: clients, contacts, leads, deals (and their activities), tasks, and the deal
analytics. Columns come from app/crm/columns.py; record actions (move, close, convert, ...)
from app/crm/actions.py, attached by core."""

from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.security.sqla.models import User

from app.core import context
from app.core.api import API_METHODS, OpsBaseApi, OpsModelRestApi, domain_errors, json_body
from app.core.filters import OwnedByMe
from app.core.interface import OpsInterface
from app.crm import analytics, columns
from app.crm import services as crm
from app.crm.models import Activity, Client, Contact, Deal, Lead, Task
from app.extensions import db


class ClientApi(OpsModelRestApi):
    resource_name = "clients"
    class_permission_name = "Client"
    datamodel = OpsInterface(Client)
    columns = columns.CLIENT
    search_filters = {"owner": [OwnedByMe]}


class ContactApi(OpsModelRestApi):
    resource_name = "contacts"
    class_permission_name = "Contact"
    datamodel = OpsInterface(Contact)
    columns = columns.CONTACT


class LeadApi(OpsModelRestApi):
    resource_name = "leads"
    class_permission_name = "Lead"
    datamodel = OpsInterface(Lead)
    columns = columns.LEAD
    search_filters = {"owner": [OwnedByMe]}


class DealApi(OpsModelRestApi):
    resource_name = "deals"
    class_permission_name = "Deal"
    datamodel = OpsInterface(Deal)
    columns = columns.DEAL
    method_permission_name = {**API_METHODS, "activities": "read", "add_activity": "write"}
    include_route_methods = OpsModelRestApi.include_route_methods | {"activities", "add_activity"}
    search_filters = {"owner": [OwnedByMe]}

    @expose("/<int:pk>/activities", methods=["GET"])
    @protect()
    @safe
    @permission_name("activities")
    @domain_errors
    def activities(self, pk: int):
        """The deal's activities (comments, stage and status changes), newest first.
        ---
        get:
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
        return self.response(200, result=[crm.activity_dict(a, u) for a, u in rows])

    @expose("/<int:pk>/activities", methods=["POST"])
    @protect()
    @safe
    @permission_name("add_activity")
    @domain_errors
    def add_activity(self, pk: int):
        """Comment on a deal: `{"body": "Called the buyer"}`.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/DealCommentParams'
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
        return self.response(201, result=crm.activity_dict(activity, getattr(author, "username", None)))


class TaskApi(OpsModelRestApi):
    resource_name = "tasks"
    class_permission_name = "Task"
    datamodel = OpsInterface(Task)
    columns = columns.TASK
    search_filters = {"assignee": [OwnedByMe]}


class AnalyticsApi(OpsBaseApi):
    """Deal analytics of the active organization; needs can_read on Deal."""

    resource_name = "analytics"
    class_permission_name = "Deal"
    method_permission_name = {"summary": "read", "funnel": "read"}
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
