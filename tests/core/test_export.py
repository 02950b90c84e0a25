"""Export streams what the list shows — the same scope, filters, search, archived toggle and
sort — as CSV or XLSX, with spreadsheet formulas neutralised; it needs can_export."""

from __future__ import annotations

import io

import openpyxl

from app.core import services
from tests import factories as f
from tests.exchange_helpers import read_csv

API = "/api/v1/clients"


def _names(rows: list[list[str]]) -> list[str]:
    header = rows[0]
    return [r[header.index("name")] for r in rows[1:]]


def test_the_export_obeys_the_lists_filters_search_sort_and_scope(client, org, other_org):
    manager = f.make_user(org, "Manager")
    h = f.auth(manager, org)
    for name in ("Beta Exp", "Alpha Exp", "Gamma Exp"):
        f.make_client(org, manager, name=name)
    archived = f.make_client(org, manager, name="Archived Exp")
    with f.acting(None, org):
        services.archive(archived)
    f.make_client(other_org, name="Alpha Exp Theirs")
    q = "(filters:!((col:name,opr:sw,value:'Alpha Exp')))"
    resp = client.get(f"{API}/export?format=csv&q={q}", headers=h)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert _names(read_csv(resp.data)) == ["Alpha Exp"]
    q = "(filters:!((col:name,opr:ct,value:Exp)),order_column:name,order_direction:desc)"
    assert _names(read_csv(client.get(f"{API}/export?q={q}", headers=h).data)) == ["Gamma Exp", "Beta Exp", "Alpha Exp"]
    both = read_csv(client.get(f"{API}/export?q={q}&include_archived=1", headers=h).data)
    assert "Archived Exp" in _names(both) and "Alpha Exp Theirs" not in _names(both)
    assert client.get(f"{API}/export?format=pdf", headers=h).status_code == 400
    assert client.get(f"{API}/export?q=(order_column:notes)", headers=h).status_code == 400


def test_the_page_export_carries_the_lists_own_arguments(client, org):
    manager = f.make_user(org, "Manager")
    for name in ("Page Beta", "Page Alpha", "Other"):
        f.make_client(org, manager, name=name)
    f.page_login(client, manager)
    resp = client.get("/clients/export/?_flt_0_name=Page&_oc_ClientView=name&_od_ClientView=desc&format=csv")
    assert resp.status_code == 200, resp.data[:300]
    assert _names(read_csv(resp.data)) == ["Page Beta", "Page Alpha"]
    page = client.get("/clients/list/?_flt_0_name=Page").data.decode()
    assert "/clients/export/?_flt_0_name=Page&amp;format=csv" in page and 'id="import"' in page


def test_formula_injection_is_neutralised_in_csv_and_xlsx(client, org):
    manager = f.make_user(org, "Manager")
    f.make_client(org, manager, name='=HYPERLINK("http://evil")', phone="+1 555 0100", tags="@risk")
    h = f.auth(manager, org)
    rows = read_csv(client.get(f"{API}/export?format=csv", headers=h).data)
    header, row = rows[0], rows[1]
    assert row[header.index("name")] == '\'=HYPERLINK("http://evil")'
    assert row[header.index("phone")] == "'+1 555 0100" and row[header.index("tags")] == "'@risk"
    data = client.get(f"{API}/export?format=xlsx", headers=h).data
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][: len(header)] == tuple(header)
    assert values[1][header.index("name")] == '\'=HYPERLINK("http://evil")'
    assert values[1][header.index("id")] == int(row[header.index("id")])


def test_export_and_import_need_their_permissions(client, org):
    staff = f.make_user(org, "Staff")  # may export clients by default, not import them
    viewer = f.make_user(org, "Viewer")
    assert client.get(f"{API}/export", headers=f.auth(viewer, org)).status_code == 403
    assert client.get(f"{API}/export", headers=f.auth(staff, org)).status_code == 200
    from tests.exchange_helpers import upload, writes

    before = writes()
    assert upload(client, API, f.auth(staff, org), "name\r\nX\r\n").status_code == 403
    assert writes() == before
    f.page_login(client, viewer)
    assert client.get("/clients/export/?format=csv").status_code == 403
    assert 'id="export-csv"' not in client.get("/clients/list/").data.decode()
    assert client.get("/changesets/import/Client").status_code == 403
