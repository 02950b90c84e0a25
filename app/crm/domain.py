"""The CRM (SPEC §5): clients, contacts, leads, deals, tasks, the pipeline board, the deal
analytics and the dashboard's pipeline widgets."""

from __future__ import annotations

from app.core.registry import Domain, Menu, Page, Resource
from app.core.roles import ARCHIVE, FULL, READ, RECORD_PERMISSIONS, ROLLBACK, WRITE
from app.core.uow import ConstraintMessage
from app.crm import actions, seed
from app.crm.api import AnalyticsApi, ClientApi, ContactApi, DealApi, LeadApi, TaskApi
from app.crm.board import PipelineView
from app.crm.models import Client, Contact, Deal, Lead, Task
from app.crm.views import ClientView, ContactView, DealView, LeadView, MyTaskView, TaskView
from app.crm.widgets import WIDGETS

DOMAIN = Domain(
    name="crm",
    label="CRM",
    resources=(
        Resource(
            "Client", Client, ClientView, ClientApi, Menu("Clients", "CRM", "fa-building", 10), RECORD_PERMISSIONS
        ),
        Resource(
            "Contact",
            Contact,
            ContactView,
            ContactApi,
            Menu("Contacts", "CRM", "fa-address-book", 20),
            RECORD_PERMISSIONS,
        ),
        # can_rollback_stage: move a deal back a stage, reopen a closed deal, take a lost lead back
        Resource(
            "Lead",
            Lead,
            LeadView,
            LeadApi,
            Menu("Leads", "CRM", "fa-bullhorn", 30),
            (*RECORD_PERMISSIONS, *ROLLBACK),
            actions=(actions.LEAD_TRANSITION, actions.CONVERT_LEAD),
        ),
        Resource(
            "Deal",
            Deal,
            DealView,
            DealApi,
            Menu("Deals", "CRM", "fa-handshake-o", 40),
            (*RECORD_PERMISSIONS, *ROLLBACK),
            actions=(actions.MOVE_DEAL, actions.CLOSE_DEAL, actions.COMMENT_DEAL),
        ),
        Resource("Task", Task, TaskView, TaskApi, Menu("Tasks", "CRM", "fa-check-square-o", 60), RECORD_PERMISSIONS),
    ),
    pages=(
        Page(PipelineView, Menu("Pipeline", "CRM", "fa-columns", 50), resource="Deal"),
        Page(MyTaskView, Menu("My tasks", "CRM", "fa-user", 70), resource="Task"),
    ),
    apis=(AnalyticsApi,),
    grants={
        "Manager": {
            "Client": FULL,
            "Contact": FULL,
            "Lead": [*FULL, *ROLLBACK],
            "Deal": [*FULL, *ROLLBACK],
            "Task": FULL,
        },
        "Staff": {
            "Client": [*WRITE, *ARCHIVE, "can_export"],
            "Contact": [*WRITE, *ARCHIVE, "can_export"],
            # their own leads and deals only (no can_edit_all); no rollbacks
            "Lead": [*WRITE, *ARCHIVE, "can_export"],
            "Deal": [*WRITE, *ARCHIVE, "can_export"],
            "Task": [*WRITE, *ARCHIVE, "can_export"],
        },
        "Finance": {"Client": READ, "Contact": READ, "Deal": READ},
        # no Task for roles that cannot read deals: a task names its deal
        "HR": {"Client": READ},
        "Commercial": {
            "Client": [*WRITE, "can_export"],
            "Contact": WRITE,
            "Lead": WRITE,
            "Deal": WRITE,
            "Task": WRITE,
        },
        "Support": {"Client": READ, "Contact": READ},
        "Valuer": {"Client": READ},
        "Viewer": {"Client": READ, "Contact": READ, "Lead": READ, "Deal": READ, "Task": READ},
    },
    widgets=WIDGETS,
    seed=seed.seed,
    scale={"clients": seed.scale_clients, "deals": seed.scale_deals},
    constraint_messages=(
        ConstraintMessage(
            "ck_deal_won_needs_amount", "deal", (), "A won deal needs an amount greater than 0.", "CHECK"
        ),
    ),
)
