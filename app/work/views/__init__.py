"""The work domain's pages."""
