"""Lists made good at the base (every resource inherits them): a search box ("contains", on the
page and the API), text filters that default to "contains", the active criteria with a one-click
clear, archived rows badged, per-row buttons only where the owner rule allows, a delete that
names the record, long values folded, sortable relation columns and amounts."""

from __future__ import annotations

import re

from app.core.services import archive
from tests import factories as f


def _names(page: str, names: list[str]) -> list[str]:
    """The given names in the order the page lists them."""
    return sorted((n for n in names if n in page), key=page.index)


def test_the_search_box_finds_by_any_quick_column_on_the_page_and_the_api(client, org):
    staff = f.make_user(org, "Staff")
    f.make_client(org, staff, name="Nakatomi Trading", email="office@nakatomi.example")
    f.make_client(org, staff, name="Initrode", email="hq@initrode.example", tags="software,priority")
    f.make_client(org, staff, name="Ordinary 100% Ltd")
    f.page_login(client, staff)
    page = client.get("/clients/list/?search=NAKATOMI").get_data(as_text=True)  # any case
    assert "Nakatomi Trading" in page and "Initrode" not in page
    assert 'id="active-criteria"' in page and "“NAKATOMI”" in page and 'id="clear-criteria"' in page
    assert "Initrode" in client.get("/clients/list/?search=priority").get_data(as_text=True)  # tags
    assert "Initrode" in client.get("/clients/list/?search=hq@init").get_data(as_text=True)  # email
    # LIKE's wildcards are searched for themselves
    wild = client.get("/clients/list/?search=100%").get_data(as_text=True)
    assert "Ordinary 100% Ltd" in wild and "Initrode" not in wild
    api = client.get("/api/v1/clients/?search=trading", headers=f.auth(staff)).get_json()
    assert [r["name"] for r in api["result"]] == ["Nakatomi Trading"] and api["count"] == 1
    empty = client.get("/clients/list/?search=nothing-like-this").get_data(as_text=True)
    assert 'id="empty-list"' in empty and "Clear the search and filters" in empty


def test_text_filters_offer_contains_first(app, client, org):
    staff = f.make_user(org, "Staff")
    f.make_client(org, staff, name="The Acme Group")
    f.page_login(client, staff)
    # `_flt_0_name` is the first filter FAB offers for a text column: now "contains"
    assert "The Acme Group" in client.get("/clients/list/?_flt_0_name=acme").get_data(as_text=True)
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "ClientView")
    first = view.datamodel.get_filters(["name"]).get_search_filters()["name"][0]
    assert first.name == "Contains"


def test_archived_rows_carry_a_badge_in_show_archived(client, org):
    staff = f.make_user(org, "Staff")
    live, gone = f.make_client(org, staff, name="Live Ltd"), f.make_client(org, staff, name="Gone Ltd")
    with f.acting(None, org):
        archive(gone)
    f.page_login(client, staff)
    page = client.get("/clients/list/?include_archived=1").get_data(as_text=True)
    row = page[page.index(f'data-pk="{gone.id}"') :]
    assert "archived-badge" in row[: row.index("</tr>")]
    row = page[page.index(f'data-pk="{live.id}"') :]
    assert "archived-badge" not in row[: row.index("</tr>")]


def test_rows_offer_edit_and_delete_only_where_the_user_may_change_them(client, org):
    staff, other = f.make_user(org, "Staff"), f.make_user(org, "Staff")
    mine, theirs = f.make_deal(org, staff, title="My Deal"), f.make_deal(org, other, title="Their Deal")
    f.page_login(client, staff)
    page = client.get("/deals/list/").get_data(as_text=True)
    assert f"/deals/edit/{mine.id}" in page
    assert f"/deals/edit/{theirs.id}" not in page  # readable, but the owner rule refuses the edit
    assert f"/deals/show/{theirs.id}" in page


def test_delete_asks_first_naming_the_record(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    row = f.make_client(org, admin, name="Doomed Ltd")
    f.page_login(client, admin)
    for url in ("/clients/list/", f"/clients/show/{row.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Delete “Doomed Ltd” for good? This cannot be undone" in page, url


def test_long_values_are_folded_with_the_whole_text_on_hover(client, org):
    staff = f.make_user(org, "Staff")
    long_name = "Longname " * 500
    row = f.make_client(org, staff, name=long_name[:200], notes="n" * 3000)
    f.page_login(client, staff)
    page = client.get("/clients/list/").get_data(as_text=True)
    assert re.search(r'<span class="cell-long" title="Longname Longname', page)
    show = client.get(f"/clients/show/{row.id}").get_data(as_text=True)
    assert "n" * 3000 in show  # the record's page shows it all (wrapped by the style sheet)


def test_relation_columns_and_amounts_sort(client, org):
    alpha, zulu = f.make_user(org, "Manager", username="alpha_owner"), f.make_user(org, "Staff", username="zulu_owner")
    f.make_client(org, zulu, name="Owned By Zulu")
    f.make_client(org, alpha, name="Owned By Alpha")
    big, small = (
        f.make_deal(org, alpha, amount=900, title="Big Deal"),
        f.make_deal(org, alpha, amount=5, title="Small Deal"),
    )
    f.page_login(client, alpha)
    names = ["Owned By Alpha", "Owned By Zulu"]
    up = client.get("/clients/list/?_oc_ClientView=owner&_od_ClientView=asc").get_data(as_text=True)
    down = client.get("/clients/list/?_oc_ClientView=owner&_od_ClientView=desc").get_data(as_text=True)
    assert _names(up, names) == names and _names(down, names) == names[::-1]
    deals = client.get("/deals/list/?_oc_DealView=amount_label&_od_DealView=desc").get_data(as_text=True)
    assert _names(deals, [big.title, small.title]) == [big.title, small.title]
    api = client.get(
        "/api/v1/clients/?q=(order_column:owner.username,order_direction:desc)", headers=f.auth(alpha)
    ).get_json()
    assert [r["name"] for r in api["result"] if r["name"] in names] == names[::-1]
