"""`export` and `import` from the command line: the list as CSV with its filters, and a file
imported as a change set — summary and rows in error first, a confirmation (refused without a
terminal unless --yes), the commit, exit 6 when rows were in error."""

from __future__ import annotations

from opshub_cli import exits
from tests import factories as f


def test_export_writes_the_filtered_list(opshub, tmp_path):
    org = opshub.org
    name = f.unique("Exported Ltd ")
    f.make_client(org, opshub.user("Staff"), name=name)
    opshub.login("Staff")
    target = tmp_path / "clients.csv"
    result = opshub("customer", "export", "--search", name, "-o", str(target))
    assert result.exit_code == 0 and "Exported" in result.stderr
    lines = target.read_text().splitlines()
    assert len(lines) == 2 and name in lines[1]
    to_stdout = opshub("customer", "export", "--search", name, "-o", "-")
    assert name in to_stdout.stdout


def test_import_previews_asks_and_commits(opshub, tmp_path):
    opshub.login("Manager")
    good, bad = f.unique("Imported A "), f.unique("Imported B ")
    source = tmp_path / "clients.csv"
    source.write_text(f"name,email\n{good},a@imported.example\n{bad},not-an-email\n")
    dry = opshub("customer", "import", str(source), "--dry-run")
    assert dry.exit_code == exits.INVALID
    assert "1 create" in dry.stderr and "1 error" in dry.stderr and "nothing was imported" in dry.stderr
    assert [e["key"] for e in dry.json()["errors"]] == [bad] or "email" in dry.json()["errors"][0]["errors"]
    asked = opshub("customer", "import", str(source))  # no terminal, no --yes: stops before committing
    assert asked.exit_code == exits.USAGE and "--yes" in asked.stderr
    assert opshub("customer", "list", "--search", good).json()["count"] == 0
    done = opshub("customer", "import", str(source), "--yes")
    assert done.exit_code == exits.INVALID  # committed the valid row; one was in error
    assert done.json()["committed"] is True and done.json()["change_set"]["state"] == "committed"
    assert opshub("customer", "list", "--search", good).json()["count"] == 1
    clean = tmp_path / "clean.csv"
    clean.write_text(f"name\n{f.unique('Imported C ')}\n")
    assert opshub("customer", "import", str(clean), "--yes").exit_code == 0
    assert opshub("customer", "import", str(tmp_path / "missing.csv"), "--yes").exit_code == exits.ERROR
    opshub.login("Staff")  # Staff export but do not import
    assert opshub("customer", "import", str(clean), "--yes").exit_code == exits.FORBIDDEN
