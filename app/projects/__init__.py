"""Projects and infrastructure: projects, members, Odoo instances (SPEC §6)."""
