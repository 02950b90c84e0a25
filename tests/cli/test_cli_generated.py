"""The commands come from the server's description, not from code per resource: every resource
of the registry and every declared record action has its command, and a resource the client has
never heard of (a resource described by the server alone) gets its commands the same way."""

from __future__ import annotations

from click.testing import CliRunner

from app.core.registry import registry
from opshub_cli.resources import resource_group
from opshub_cli.vocabulary import command_names, kebab


def test_every_registered_resource_and_action_has_its_command(opshub):
    opshub.login("Admin")
    for name, resource in registry.resources.items():
        if resource.api is None:
            continue
        command = command_names(name)[0]
        listing = opshub(command, "--help")
        assert listing.exit_code == 0, (command, listing.stderr)
        for act in registry.actions_of(name):
            assert f"  {kebab(act.name)} " in listing.stdout, (command, act.name)


APPROVALS = {
    "name": "ApprovalRequest", "label": "Approval requests", "path": "/api/v1/approvals",
    "list_columns": ["id", "action", "status", "requester.id", "requester.username"],
    "show_columns": ["id", "action", "status", "requester.id", "requester.username", "comment"],
    "labels": {}, "add_fields": [], "edit_fields": [], "order_columns": ["id", "status"], "base_order": ["id", "desc"],
    "search": False, "archivable": False, "versioned": True, "exchange": {"export": False, "import": False},
    "permissions": ["can_read", "can_approve"], "record_routes": [],
    "filters": [{"column": "status", "operator": "eq", "label": "Equal to", "flag": False},
                {"column": "requester", "operator": "mine", "label": "Is me", "flag": True}],
    "actions": [
        {"name": "approve", "label": "Approve", "path": "approve", "status": 200, "permission": "can_approve",
         "allowed": True, "summary": "Approve: the action runs now.", "confirm": None,
         "params": [{"name": "comment", "label": "Comment", "type": "string", "required": False, "nullable": True}]},
        {"name": "reject", "label": "Reject", "path": "reject", "status": 200, "permission": "can_approve",
         "allowed": False, "summary": "Reject the request.", "confirm": None,
         "params": [{"name": "comment", "label": "Comment", "type": "string", "required": True, "nullable": False}]},
    ],
}  # fmt: skip
ASSIGNMENT = {
    **APPROVALS, "name": "Assignment", "label": "Assignments", "path": "/api/v1/assignments",
    "actions": [
        {"name": "transition", "label": "Move", "path": "transition", "status": 200, "permission": "can_write",
         "allowed": True, "summary": "Move the assignment.", "confirm": None,
         "params": [{"name": "to", "label": "To", "type": "string", "required": True, "nullable": False,
                     "enum": ["pending", "site_visit", "processing", "submitted", "completed", "cancelled"]}]},
        {"name": "reassign", "label": "Reassign", "path": "reassign", "status": 200, "permission": "can_reassign",
         "allowed": True, "summary": "Give the assignment to another valuer.", "confirm": None,
         "params": [{"name": "assignee_id", "label": "Assignee", "type": "relation", "required": True,
                     "nullable": False, "relation": {"resource": "User", "label": "username", "many": False}}]},
    ],
}  # fmt: skip


def _help(group, *args) -> str:
    result = CliRunner().invoke(group, [*args, "--help"], prog_name="opshub x")
    assert result.exit_code == 0, result.output
    return result.output


def test_a_resource_described_tomorrow_gets_its_commands():
    approvals = resource_group(APPROVALS, "approval", command_names("ApprovalRequest"))
    assert command_names("ApprovalRequest")[0] == "approval"  # the vocabulary's word
    assert {"list", "show", "approve", "reject", "history"} <= set(approvals.commands)
    assert "--mine" in _help(approvals, "list") and "--status" in _help(approvals, "list")
    assert "--comment" in _help(approvals, "reject") and "(your role may not)" in _help(approvals, "reject")
    work = resource_group(ASSIGNMENT, "assignment", command_names("Assignment"))
    transition = _help(work, "transition")
    assert "site_visit" in transition and "[TO]" in transition  # the one required value may follow the id
    assert "--assignee USER" in _help(work, "reassign")


def test_the_client_never_imports_the_app():
    from pathlib import Path

    import opshub_cli

    for path in Path(opshub_cli.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "from app" not in source and "import app" not in source, path.name
        assert "sqlalchemy" not in source and "flask" not in source.lower().replace("flask-", ""), path.name
