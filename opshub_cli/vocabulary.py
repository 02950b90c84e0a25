"""The event company's words for OpsHub's resources (Epic Events' `crm customer ...`), and the
command name of any other resource: its name in kebab case (`InvoiceLine` → `invoice-line`).
A name here applies only when the server has that resource; every resource stays reachable by
its own name too (`opshub client list` = `opshub customer list`)."""

from __future__ import annotations

import re

# command → resource name on the server
ALIASES = {
    "customer": "Client",
    "approval": "ApprovalRequest",
    "assignment": "Assignment",
}
# per-resource shortcuts: command → (field to update, its help)
SHORTCUTS = {
    "Client": {
        "set-commercial": ("owner", "Set the customer's commercial (account manager): USER is a username or id.")
    },
}


def kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).replace("_", "-").lower()


def command_names(resource: str) -> list[str]:
    """The names a resource answers to, the one shown first."""
    own = kebab(resource)
    return [*[alias for alias, target in ALIASES.items() if target == resource], own]
