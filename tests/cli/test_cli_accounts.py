"""`opshub employee` (the Epic Events workflows: list by role, detail, add, set-role,
set-password, update, remove — org admins only) and `opshub token` (create, list, revoke; a
token's writes attributed to it)."""

from __future__ import annotations

import requests

from opshub_cli import exits
from tests import factories as f

NEW_PASSWORD = "Tangerine-Octopus-42"


def test_an_admin_manages_employees(opshub):
    opshub.login("Admin")
    listed = opshub("employee", "list", "--role", "Support", "--json").json()["result"]
    assert opshub.username("Support") in [m["username"] for m in listed]
    assert all(m["role"] == "Support" for m in listed)
    name = f.unique("newsupport")
    added = opshub("employee", "add", name, "--email", f"{name}@epic.example", "--first-name", "Sam",
                   "--last-name", "Port", "--role", "Support", "--json")  # fmt: skip
    assert added.exit_code == 0, added.stderr
    assert len(added.json()["temporary_password"]) >= 10
    assert opshub("employee", "show", name, "--json").json()["result"]["first_name"] == "Sam"
    assert opshub("employee", "set-role", name, "Commercial", "--json").json()["role"] == "Commercial"
    updated = opshub("employee", "update", name, "--first-name", "Samantha", "--json").json()
    assert updated["result"]["first_name"] == "Samantha"
    weak = opshub("employee", "set-password", name, input="short\nshort\n")
    assert weak.exit_code == exits.INVALID and "password" in weak.stderr
    done = opshub("employee", "set-password", name, input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert done.exit_code == 0 and NEW_PASSWORD not in done.stderr + done.stdout
    login = requests.post(f"{opshub.server}/api/v1/security/login", timeout=10,
                          json={"username": name, "password": NEW_PASSWORD, "provider": "db"})  # fmt: skip
    assert login.status_code == 200
    table = opshub("--output", "table", "employee", "list")
    assert "Samantha" in table.stdout and "Commercial" in table.stdout
    assert opshub("employee", "remove", name, "--yes").exit_code == 0
    assert opshub("employee", "show", name).exit_code == exits.NOT_FOUND


def test_other_roles_are_refused_employee_changes(opshub):
    opshub.login("Staff")
    assert opshub("employee", "list").exit_code == exits.FORBIDDEN
    assert opshub("employee", "set-role", opshub.username("Viewer"), "Admin").exit_code == exits.FORBIDDEN
    opshub.login("Admin")
    assert opshub("employee", "set-role", opshub.username("Viewer"), "NoSuchRole").exit_code == exits.NOT_FOUND


def test_tokens_from_the_command_line(opshub):
    opshub.login("Manager")
    created = opshub("token", "create", "crm sync", "--write", "--json").json()
    secret = created["token"]
    assert created["result"]["read_only"] is False
    plain = opshub("--output", "table", "token", "create", "read only")  # for a person: the secret alone on stdout
    assert plain.exit_code == 0 and "shown this once" in plain.stderr and plain.stdout.strip().count(".") == 2
    listed = opshub("token", "list", "--json").json()["result"]
    assert {"crm sync", "read only"} <= {t["name"] for t in listed}
    assert secret not in str(listed)
    env = {"OPSHUB_TOKEN": secret}
    pk = opshub("customer", "add", "--name", f.unique("Via Token "), "--json", env=env).json()["id"]
    history = opshub("customer", "history", str(pk), "--json").json()["result"]
    assert history[0]["user"] == opshub.username("Manager") and history[0]["token"] == "crm sync"
    other_org = opshub("--org", "999999", "customer", "list", env=env)
    assert other_org.exit_code == exits.FORBIDDEN
    assert opshub("token", "revoke", str(created["id"]), "--yes").exit_code == 0
    revoked = opshub("customer", "list", env=env)
    assert revoked.exit_code == exits.FORBIDDEN and "revoked" in revoked.stderr
    assert opshub("token", "list", "--all").exit_code == exits.FORBIDDEN  # administrators only
