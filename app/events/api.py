"""Contracts and events on the API. Filters: contracts `not_signed` / `not_paid` on status,
events without support (`(col:support,opr:empty,value:1)`) and by date range on `start`/`end`
(FAB's `gt` / `lt`)."""

from __future__ import annotations

from flask_appbuilder.models.filters import BaseFilter

from app.core.api import API_METHODS, OpsModelRestApi
from app.core.filters import IsEmpty, OwnedByMe
from app.core.interface import OpsInterface
from app.events import columns
from app.events.models import Contract, Event


class NotSigned(BaseFilter):
    name = "Not signed"
    arg_name = "not_signed"
    flag = True  # takes no value

    def apply(self, query, value):
        return query.filter(Contract.signed_at.is_(None))


class NotPaid(BaseFilter):
    name = "Not paid"
    arg_name = "not_paid"
    flag = True

    def apply(self, query, value):
        return query.filter(Contract.amount_due > 0)


class ContractApi(OpsModelRestApi):
    resource_name = "contracts"
    class_permission_name = "Contract"
    datamodel = OpsInterface(Contract)
    columns = columns.CONTRACT
    method_permission_name = {**API_METHODS, "post": "create"}  # Admin and Manager create contracts
    search_filters = {"status": [NotSigned, NotPaid], "commercial": [OwnedByMe]}


class EventApi(OpsModelRestApi):
    resource_name = "events"
    class_permission_name = "Event"
    datamodel = OpsInterface(Event)
    columns = columns.EVENT
    search_filters = {"support": [IsEmpty, OwnedByMe]}
