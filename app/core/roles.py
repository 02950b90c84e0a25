"""The default permission matrix (SPEC §2), declared once and applied by `flask opshub seed`.

Roles are created with these permissions the first time; afterwards admins edit them in FAB's
role pages and the seed leaves them alone (`flask opshub sync-roles --reset` re-applies them).
"""

from __future__ import annotations

READ = ["can_read"]
WRITE = ["can_read", "can_write"]
ARCHIVE = ["can_archive"]
FULL = ["can_read", "can_write", "can_archive", "can_revert", "can_export", "can_import", "can_edit_all"]

# resource -> extra permissions that exist on it beyond its views' own
RESOURCE_EXTRAS = {
    "Client": ["can_edit_all", "can_export", "can_import"],
    "Contact": ["can_edit_all", "can_export", "can_import"],
}

DEFAULT_ROLES: dict[str, dict[str, list[str]]] = {
    "Manager": {
        "Client": FULL,
        "Contact": FULL,
        "Membership": READ,
    },
    "Staff": {
        "Client": [*WRITE, *ARCHIVE, "can_export"],
        "Contact": [*WRITE, *ARCHIVE, "can_export"],
    },
    "Finance": {"Client": READ, "Contact": READ},
    "HR": {"Client": READ},
    "Commercial": {"Client": [*WRITE, "can_export"], "Contact": [*WRITE]},
    "Support": {"Client": READ, "Contact": READ},
    "Valuer": {"Client": READ},
    "Viewer": {"Client": READ, "Contact": READ},
}
# Every role may see the menus of what it may read.
MENUS = {"Client": "Clients", "Contact": "Contacts"}
ALL_ROLES = ["Admin", *DEFAULT_ROLES, "Public"]
