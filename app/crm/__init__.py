"""CRM: clients, contacts, leads, deals, tasks, activities, the pipeline board and the deal
analytics (SPEC §5)."""
