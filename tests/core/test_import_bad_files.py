"""Bad files are refused with a clear message and leave nothing behind: no change set, no
version, no audit row. Rows that cannot be read, or that a rule refuses, are error rows of the
preview — never a write, never an update of another organization's record."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from app.core.exchange.models import ChangeSet
from app.crm.models import Client
from app.extensions import db
from tests import factories as f
from tests.exchange_helpers import csv_text, upload, writes

API = "/api/v1/clients"


@pytest.fixture
def manager(org):
    return f.make_user(org, "Manager")


def _change_sets() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ChangeSet.__table__))


def _refused(client, org, manager, content, *, name="data.csv", key=None, status=422):
    before, sets = writes(), _change_sets()
    resp = upload(client, API, f.auth(manager, org), content, name=name, key=key)
    assert resp.status_code == status, resp.get_json()
    assert writes() == before and _change_sets() == sets
    return resp.get_json()["message"]["file" if "file" in resp.get_json()["message"] else "key"][0]


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_whole_file_problems_are_refused_and_store_nothing(client, org, manager, app, monkeypatch):
    assert "empty" in _refused(client, org, manager, b"")
    assert "no rows" in _refused(client, org, manager, "id,name,email\r\n")
    assert "UTF-8" in _refused(client, org, manager, "name,email\r\nCaf\xe9 Ltd,a@b.example\r\n".encode("latin-1"))
    assert "not a text file" in _refused(client, org, manager, b"%PDF-1.4\x00\x01\x02binary")
    assert "CSV (.csv) or Excel" in _refused(client, org, manager, b"name\nx\n", name="clients.pdf")
    assert "Excel workbook" in _refused(client, org, manager, b"PK\x03\x04 not really a zip", name="c.xlsx")
    assert "Unknown column" in _refused(client, org, manager, "name,shoe_size\r\nA,42\r\n")
    assert "appears twice" in _refused(client, org, manager, "name,Name\r\nA,B\r\n")
    assert "match column" in _refused(client, org, manager, "name\r\nA\r\n", key="email")
    assert "match column" in _refused(client, org, manager, "name\r\nA\r\n", key="id")
    assert "longer than" in _refused(client, org, manager, "name,notes\r\nA," + "x" * (10 * 1024 * 1024) + "\r\n")
    monkeypatch.setitem(app.config, "OPSHUB_IMPORT_MAX_BYTES", 1024)
    assert "larger than" in _refused(client, org, manager, "name\r\n" + "A\r\n" * 1000, status=413)
    monkeypatch.setitem(app.config, "OPSHUB_IMPORT_MAX_BYTES", 32 * 1024 * 1024)
    monkeypatch.setitem(app.config, "OPSHUB_IMPORT_MAX_ROWS", 3)
    assert "more than 3 rows" in _refused(client, org, manager, "name\r\nA\r\nB\r\nC\r\nD\r\n", status=413)


def test_a_key_that_is_not_a_match_column_is_422(client, org, manager):
    message = _refused(client, org, manager, "name,notes\r\nA,b\r\n", key="notes")
    assert "Match rows on one of" in message


def test_csv_with_a_bom_and_semicolons_reads(client, org, manager):
    resp = upload(client, API, f.auth(manager, org), "\ufeffname;email\r\nSemi Co;semi@x.example\r\n".encode())
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["summary"]["create"] == 1


def test_row_problems_are_error_rows_and_the_rest_still_previews(client, org, manager):
    body = csv_text(
        [
            ["id", "name", "email"],
            ["", "Good One", "good@x.example"],
            ["", "Ragged", "r@x.example", "extra cell"],
            ["", "", "noname@x.example"],  # the model's rule: a name is required
            ["", "Bad Mail", "not-an-email"],
            ["abc", "Bad Id", ""],
            ["", "x" * 201, ""],  # longer than the column: the API schema's length check
        ]
    )
    before = writes()
    resp = upload(client, API, f.auth(manager, org), body)
    assert resp.status_code == 201, resp.get_json()
    cs = resp.get_json()
    assert cs["summary"] == {"create": 1, "update": 0, "unchanged": 0, "error": 5}
    errors = {r["row"]: r["errors"] for r in cs["rows"] if r["action"] == "error"}
    assert "header has 3" in errors[3]["_row"][0]
    assert "name" in errors[4] and "email" in errors[5] and "id" in errors[6] and "name" in errors[7]
    assert writes() == before


def test_formula_cells_of_a_workbook_are_error_rows(client, org, manager):
    content = _xlsx([["name", "email"], ["Plain Co", "p@x.example"], ["=1+1", "f@x.example"]])
    resp = upload(client, API, f.auth(manager, org), content, name="clients.xlsx")
    assert resp.status_code == 201, resp.get_json()
    rows = {r["row"]: r for r in resp.get_json()["rows"]}
    assert rows[2]["action"] == "create"
    assert rows[3]["action"] == "error" and "formula" in rows[3]["errors"]["_row"][0]


def test_a_key_twice_in_the_file_is_an_error_on_the_second_row(client, org, manager):
    body = csv_text([["name", "email"], ["First", "dup@x.example"], ["Second", "dup@x.example"]])
    resp = upload(client, API, f.auth(manager, org), body, key="email")
    rows = {r["row"]: r for r in resp.get_json()["rows"]}
    assert rows[2]["action"] == "create"
    assert rows[3]["action"] == "error" and "line 2" in rows[3]["errors"]["email"][0]


def test_keys_of_another_organization_are_errors_never_updates_of_theirs(client, org, other_org, manager):
    theirs = f.make_client(other_org, name="Theirs", email="theirs@x.example", phone="1")
    their_user = f.make_user(other_org, "Manager")
    body = csv_text(
        [
            ["id", "name", "phone", "owner"],
            [str(theirs.id), "Theirs", "2", ""],  # their id: not found here
            ["", "Mine", "3", their_user.username],  # their user as owner: not a member here
        ]
    )
    resp = upload(client, API, f.auth(manager, org), body)
    cs = resp.get_json()
    assert cs["summary"]["error"] == 2, cs
    rows = {r["row"]: r for r in cs["rows"]}
    assert "No Client with id" in rows[2]["errors"]["id"][0]
    assert "owner" in rows[3]["errors"]
    # matching on email: their row is invisible, so the row creates one of ours
    body = csv_text([["email", "name", "phone"], ["theirs@x.example", "Ours now", "9"]])
    cs = upload(client, API, f.auth(manager, org), body, key="email").get_json()
    assert cs["summary"]["create"] == 1
    assert client.post(f"/api/v1/changesets/{cs['id']}/commit", headers=f.auth(manager, org)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Client, theirs.id).phone == "1" and db.session.get(Client, theirs.id).name == "Theirs"
