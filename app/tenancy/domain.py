"""Tenancy's pages and APIs: the organization switcher, /api/v1/me, API logout, registration and
member management. (Organizations and memberships themselves are the platform's:
app/core/tenancy.py.)"""

from __future__ import annotations

from app.core.registry import Domain, Menu, Page
from app.core.roles import READ
from app.tenancy import seed
from app.tenancy.api import MeApi, OrganizationApi, SessionApi
from app.tenancy.views import MembersView, OrganizationsView, OrgSwitchView

DOMAIN = Domain(
    name="tenancy",
    label="Organizations",
    pages=(
        Page(OrgSwitchView),
        Page(MembersView, Menu("Members", "Organization", "fa-users", 10), resource="Membership"),
        # global Admins only: the security manager keeps "Organization" with the global tables
        Page(OrganizationsView, Menu("Organizations", "Organization", "fa-sitemap", 20)),
    ),
    apis=(MeApi, SessionApi, OrganizationApi),
    grants={"Manager": {"Membership": READ}},
    seed=seed.seed,
)
