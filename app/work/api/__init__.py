"""The work domain's REST resources."""
