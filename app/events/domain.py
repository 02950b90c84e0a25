"""The event company (SPEC §8): contracts (signed, paid) and their events with a support."""

from __future__ import annotations

from app.core.registry import Domain, Menu, Page, RelatedTab, Resource
from app.core.roles import FULL, READ, RECORD_PERMISSIONS, WRITE
from app.events import actions, seed
from app.events.api import ContractApi, EventApi
from app.events.models import Contract, Event
from app.events.views import ContractView, EventView, UnassignedEventView

DOMAIN = Domain(
    name="events",
    label="Events",
    resources=(
        # can_create: only Admin and Manager create contracts; a Commercial edits their clients' ones
        Resource(
            "Contract",
            Contract,
            ContractView,
            ContractApi,
            Menu("Contracts", "Events", "fa-pencil-square-o", 10),
            (*RECORD_PERMISSIONS, "can_create"),
            actions=(actions.SIGN, actions.ADD_PAYMENT),
        ),
        Resource(
            "Event",
            Event,
            EventView,
            EventApi,
            Menu("Events", "Events", "fa-calendar", 20),
            RECORD_PERMISSIONS,
            actions=(actions.SET_SUPPORT,),
        ),
    ),
    pages=(Page(UnassignedEventView, Menu("Events without support", "Events", "fa-user-times", 30), resource="Event"),),
    related_tabs=(RelatedTab("Client", ContractView),),
    grants={
        "Manager": {
            "Contract": [*FULL, "can_create", "can_sign", "can_add_payment"],
            "Event": [*FULL, "can_set_support"],
        },
        # own customers (the clients they manage): their contracts, and events for them
        "Commercial": {"Contract": [*WRITE, "can_sign", "can_add_payment"], "Event": WRITE},
        # the events assigned to them (the owner rule); the rest are readable
        "Support": {"Contract": READ, "Event": WRITE},
        "Finance": {"Contract": [*READ, "can_add_payment", "can_edit_all"], "Event": READ},
        "Viewer": {"Contract": READ, "Event": READ},
    },
    seed=seed.seed,
)
