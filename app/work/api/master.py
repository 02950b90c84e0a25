"""/api/v1/banks/, /api/v1/branches/, /api/v1/property-types/."""

from __future__ import annotations

from app.core.api import OpsModelRestApi
from app.core.interface import OpsInterface
from app.work.columns import BANK, BRANCH, PROPERTY_TYPE
from app.work.models import Bank, Branch, PropertyType


class BankApi(OpsModelRestApi):
    resource_name = "banks"
    class_permission_name = "Bank"
    datamodel = OpsInterface(Bank)
    columns = BANK


class BranchApi(OpsModelRestApi):
    resource_name = "branches"
    class_permission_name = "Branch"
    datamodel = OpsInterface(Branch)
    columns = BRANCH


class PropertyTypeApi(OpsModelRestApi):
    resource_name = "property-types"
    class_permission_name = "PropertyType"
    datamodel = OpsInterface(PropertyType)
    columns = PROPERTY_TYPE
