"""Pages of the master data: banks, branches, property types."""

from __future__ import annotations

from app.core.interface import OpsInterface
from app.core.views import OpsModelView
from app.work.columns import BANK, BRANCH, PROPERTY_TYPE
from app.work.models import Bank, Branch, PropertyType


class BranchView(OpsModelView):
    route_base = "/branches"
    class_permission_name = "Branch"
    datamodel = OpsInterface(Branch)
    columns = BRANCH
    list_title = show_title = "Branches"
    add_title, edit_title = "Add branch", "Edit branch"


class BankView(OpsModelView):
    route_base = "/banks"
    class_permission_name = "Bank"
    datamodel = OpsInterface(Bank)
    columns = BANK
    list_title = show_title = "Banks"
    add_title, edit_title = "Add bank", "Edit bank"
    related_views = [BranchView]
    related_inline = True


class PropertyTypeView(OpsModelView):
    route_base = "/property-types"
    class_permission_name = "PropertyType"
    datamodel = OpsInterface(PropertyType)
    columns = PROPERTY_TYPE
    list_title = show_title = "Property types"
    add_title, edit_title = "Add property type", "Edit property type"
