"""The default permission matrix (SPEC §2), declared once and applied by `flask opshub seed`.

Roles are created with these permissions the first time; afterwards admins edit them in FAB's
role pages and the seed leaves them alone (`flask opshub sync-roles --reset` re-applies them),
except for a resource that did not exist before (a new domain): its defaults are added.
"""

from __future__ import annotations

READ = ["can_read"]
WRITE = ["can_read", "can_write"]
ARCHIVE = ["can_archive"]
FULL = ["can_read", "can_write", "can_archive", "can_revert", "can_export", "can_import", "can_edit_all"]
ROLLBACK = ["can_rollback_stage"]

# resource -> extra permissions that exist on it beyond its views' own
RESOURCE_EXTRAS = {
    "Client": ["can_edit_all", "can_export", "can_import"],
    "Contact": ["can_edit_all", "can_export", "can_import"],
    # can_edit_all on Project lifts "assigned projects only" for projects, instances and members
    "Project": ["can_edit_all", "can_export", "can_import"],
    "Instance": ["can_export", "can_import"],
    # can_rollback_stage: move a deal back a stage, reopen a closed deal, take a lost lead back
    "Lead": ["can_edit_all", "can_export", "can_import", "can_rollback_stage"],
    "Deal": ["can_edit_all", "can_export", "can_import", "can_rollback_stage"],
    "Task": ["can_export", "can_import"],
}

DEFAULT_ROLES: dict[str, dict[str, list[str]]] = {
    "Manager": {
        "Client": FULL,
        "Contact": FULL,
        "Membership": READ,
        "Project": FULL,
        "Instance": FULL,
        "Lead": [*FULL, *ROLLBACK],
        "Deal": [*FULL, *ROLLBACK],
        "Task": FULL,
    },
    "Staff": {
        "Client": [*WRITE, *ARCHIVE, "can_export"],
        "Contact": [*WRITE, *ARCHIVE, "can_export"],
        "Project": READ,  # assigned projects only (no can_edit_all)
        "Instance": READ,
        # their own leads and deals only (no can_edit_all); no rollbacks
        "Lead": [*WRITE, *ARCHIVE, "can_export"],
        "Deal": [*WRITE, *ARCHIVE, "can_export"],
        "Task": [*WRITE, *ARCHIVE, "can_export"],
    },
    "Finance": {"Client": READ, "Contact": READ, "Deal": READ},
    # no Task for roles that cannot read deals: a task names its deal (tasks of assignments: §7)
    "HR": {"Client": READ},
    "Commercial": {"Client": [*WRITE, "can_export"], "Contact": [*WRITE], "Lead": WRITE, "Deal": WRITE, "Task": WRITE},
    "Support": {"Client": READ, "Contact": READ, "Project": READ, "Instance": READ},
    "Valuer": {"Client": READ},
    "Viewer": {
        "Client": READ,
        "Contact": READ,
        "Project": READ,
        "Instance": READ,
        "Lead": READ,
        "Deal": READ,
        "Task": READ,
    },
}
# Every role may see the menus (and their category) of what it may read.
MENUS: dict[str, list[tuple[str, str]]] = {
    "Client": [("Clients", "CRM")],
    "Contact": [("Contacts", "CRM")],
    "Project": [("Projects", "Infrastructure")],
    "Instance": [("Instances", "Infrastructure")],
    "Lead": [("Leads", "CRM")],
    "Deal": [("Deals", "CRM"), ("Pipeline", "CRM")],
    "Task": [("Tasks", "CRM"), ("My tasks", "CRM")],
}
ALL_ROLES = ["Admin", *DEFAULT_ROLES, "Public"]
