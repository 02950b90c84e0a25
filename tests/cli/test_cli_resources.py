"""The generated per-resource commands against the server: list (filters as options, search,
sort, paging, --all), show, add, update (If-Match), archive, restore, history, delete — tables
for people, one JSON document otherwise — and each refused as the roles say, with its exit code."""

from __future__ import annotations

from opshub_cli import exits
from tests import factories as f


def test_customer_list_is_a_table_for_people_and_json_for_scripts(opshub):
    org = opshub.org
    name = f.unique("Zenith Corp ")
    f.make_client(org, opshub.user("Commercial"), name=name, email="zen@corp.example")
    opshub.login("Staff")
    table = opshub("--output", "table", "customer", "list", "--search", name)
    assert table.exit_code == 0
    assert "┃ Name" in table.stdout and name in table.stdout and opshub.username("Commercial") in table.stdout
    assert "1 in all" in table.stdout
    data = opshub("customer", "list", "--search", name).json()  # not a terminal: JSON
    assert data["count"] == 1 and data["result"][0]["name"] == name
    assert data["result"][0]["owner"]["username"] == opshub.username("Commercial")
    assert opshub("client", "list", "--search", name, "--json").json() == data  # the resource's own name too


def test_list_filters_sort_and_paging(opshub):
    org = opshub.org
    commercial = opshub.user("Commercial")
    mine = f.make_client(org, commercial, name=f.unique("Filter Mine "))
    prefix = f.unique("Paging ")
    for i in range(3):
        f.make_client(org, None, name=f"{prefix} {i}")
    opshub.login("Commercial")
    assert [r["id"] for r in opshub("customer", "list", "--mine", "--search", "Filter Mine").json()["result"]] == [
        mine.id
    ]
    by_owner = opshub("customer", "list", "--owner", opshub.username("Commercial"), "--limit", "100").json()
    assert mine.id in [r["id"] for r in by_owner["result"]]
    assert all(r["owner"]["username"] == opshub.username("Commercial") for r in by_owner["result"])
    desc = opshub("customer", "list", "--search", prefix, "--sort", "-name").json()["result"]
    assert [r["name"] for r in desc] == [f"{prefix} 2", f"{prefix} 1", f"{prefix} 0"]
    page2 = opshub("customer", "list", "--search", prefix, "--sort", "name", "--limit", "2", "--page", "2").json()
    assert [r["name"] for r in page2["result"]] == [f"{prefix} 2"] and page2["page"] == 2
    everything = opshub("customer", "list", "--search", prefix, "--all").json()
    assert everything["count"] == 3 and len(everything["result"]) == 3
    raw = opshub("customer", "list", "--filter", f"name:sw:{prefix}").json()
    assert raw["count"] == 3
    bad = opshub("customer", "list", "--sort", "nonsense")
    assert bad.exit_code == exits.USAGE
    unknown = opshub("customer", "list", "--filter", "name:zz:x")
    assert unknown.exit_code == exits.INVALID and unknown.stderr.startswith("Error: ")


def test_contract_and_event_filters_of_the_event_company(opshub):
    org = opshub.org
    client = f.make_client(org, opshub.user("Commercial"))
    unsigned = f.make_contract(org, client)
    signed = f.make_contract(org, client, signed=True)
    no_support = f.make_event(org, signed)
    supported = f.make_event(org, signed, support=opshub.user("Support"))
    opshub.login("Manager")
    ids = {r["id"] for r in opshub("contract", "list", "--not-signed", "--all").json()["result"]}
    assert unsigned.id in ids and signed.id not in ids
    ids = {r["id"] for r in opshub("contract", "list", "--not-paid", "--all").json()["result"]}
    assert {unsigned.id, signed.id} <= ids
    ids = {r["id"] for r in opshub("event", "list", "--no-support", "--all").json()["result"]}
    assert no_support.id in ids and supported.id not in ids
    status = opshub("contract", "list", "--status", "signed", "--all").json()["result"]
    assert signed.id in {r["id"] for r in status} and all(r["status"] == "signed" for r in status)


def test_show_add_update_archive_restore_history(opshub):
    opshub.login("Staff")
    added = opshub("customer", "add", "--name", f.unique("Nakatomi "), "--email", "office@nakatomi.example",
                   "--owner", opshub.username("Staff"))  # fmt: skip
    assert added.exit_code == 0, added.stderr
    pk = added.json()["id"]
    assert "created" in added.stderr
    shown = opshub("customer", "show", str(pk), "--json").json()
    assert shown["result"]["owner"]["username"] == opshub.username("Staff")
    panel = opshub("--output", "table", "customer", "show", str(pk))
    assert f"#{pk}" in panel.stdout and "office@nakatomi.example" in panel.stdout
    updated = opshub("customer", "update", str(pk), "--phone", "+1 555 0199", "--json").json()
    assert updated["result"]["phone"] == "+1 555 0199"
    stale = opshub("customer", "update", str(pk), "--phone", "2", "--if-version", "1")
    assert stale.exit_code == exits.CONFLICT and "changed by someone else" in stale.stderr
    assert opshub("customer", "archive", str(pk), "--yes").exit_code == 0
    assert opshub("customer", "show", str(pk), "--json").json()["result"]["archived_at"]
    assert opshub("customer", "restore", str(pk), "--json").exit_code == 0
    history = opshub("customer", "history", str(pk), "--json").json()["result"]
    assert [h["operation"] for h in history] == ["restore", "archive", "update", "create"]
    assert all(h["user"] == opshub.username("Staff") for h in history)
    table = opshub("--output", "table", "customer", "history", str(pk))
    assert "phone" in table.stdout and "→" in table.stdout


def test_refusals_carry_their_exit_codes(opshub):
    opshub.login("Staff")
    missing = opshub("customer", "show", "999999")
    assert missing.exit_code == exits.NOT_FOUND
    assert missing.stderr.strip() == "Error: Client #999999 not found (or not in this organization)."
    invalid = opshub("customer", "add", "--name", "X", "--email", "not-an-email")
    assert invalid.exit_code == exits.INVALID and "email" in invalid.stderr
    assert len(invalid.stderr.strip().splitlines()) == 1
    usage = opshub("customer", "update", "1")
    assert usage.exit_code == exits.USAGE
    no_such_user = opshub("customer", "add", "--name", "Y", "--owner", "nobody-here")
    assert no_such_user.exit_code == exits.INVALID and "Nobody called" in no_such_user.stderr
    confirm = opshub("customer", "archive", "1")  # not a terminal and no --yes: nothing asked, nothing done
    assert confirm.exit_code == exits.USAGE and "--yes" in confirm.stderr


def test_roles_decide_what_the_commands_may_do(opshub):
    org = opshub.org
    row_id = f.make_client(org, opshub.user("Manager"), name=f.unique("Owned ")).id
    opshub.login("Viewer")
    assert opshub("customer", "list", "--json").exit_code == 0
    refused = opshub("customer", "add", "--name", "No")
    assert refused.exit_code == exits.FORBIDDEN
    opshub.login("Staff")  # not the owner: the row is readable, not theirs to change
    assert opshub("customer", "update", str(row_id), "--phone", "1").exit_code == exits.FORBIDDEN
    assert opshub("customer", "delete", str(row_id), "--yes").exit_code == exits.FORBIDDEN
    opshub.login("Commercial")  # contracts are created by Admin and Manager
    client = f.make_client(org, opshub.user("Commercial"))
    created = opshub("contract", "add", "--client", str(client.id), "--total-amount", "1000")
    assert created.exit_code == exits.FORBIDDEN
    opshub.login("Admin")
    by_name = opshub("contract", "add", "--client", client.name, "--total-amount", "1000", "--json")
    assert by_name.exit_code == 0 and by_name.json()["result"]["client"]["id"] == client.id
    assert opshub("customer", "delete", str(row_id), "--yes").exit_code == 0
    assert opshub("customer", "show", str(row_id)).exit_code == exits.NOT_FOUND


def test_help_lists_the_resources_and_actions_the_server_describes(opshub):
    opshub.login("Manager")
    top = opshub("--help").stdout
    for name in ("customer", "contract", "event", "deal", "lead", "invoice", "employee", "token", "auth"):
        assert f"  {name} " in top
    contract = opshub("contract", "--help").stdout
    for command in ("list", "show", "add", "update", "archive", "restore", "history", "export", "import", "sign",
                    "add-payment"):  # fmt: skip
        assert f"  {command} " in contract
    assert "--not-signed" in opshub("contract", "list", "--help").stdout
    assert "--no-support" in opshub("event", "list", "--help").stdout
    resources = opshub("resources", "--json").json()["resources"]
    assert {"Client", "Contract", "Event"} <= {r["name"] for r in resources}
    assert opshub("nonsense").exit_code == exits.USAGE
