"""Roles (SPEC §2) and the shorthands domains use to declare their default grants.

The matrix itself comes from the installed domains (`Domain.grants`), merged by the registry and
applied by `flask opshub seed`: a role is created with its defaults the first time; afterwards
admins edit it in FAB's role pages and the seed leaves it alone (`flask opshub sync-roles
--reset` re-applies the defaults), except for a resource that did not exist before (a new
domain): its defaults are added.
"""

from __future__ import annotations

READ = ["can_read"]
WRITE = ["can_read", "can_write"]
ARCHIVE = ["can_archive"]
FULL = ["can_read", "can_write", "can_archive", "can_revert", "can_export", "can_import", "can_edit_all"]
ROLLBACK = ["can_rollback_stage"]
# the named permissions every business resource has, beyond those of its views and actions
RECORD_PERMISSIONS = ("can_edit_all", "can_export", "can_import")

ROLE_NAMES = ["Admin", "Manager", "Staff", "Finance", "HR", "Commercial", "Support", "Valuer", "Viewer"]
ALL_ROLES = [*ROLE_NAMES, "Public"]
