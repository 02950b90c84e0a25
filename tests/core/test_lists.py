"""Lists: paging headers, search, sort, capped count, HTML list and dashboard."""

from tests import factories as f


def test_list_headers_report_total_page_and_page_size(client, org):
    user = f.make_user(org, "Staff")
    for i in range(5):
        f.make_client(org, user, name=f"Paged {i}")
    resp = client.get("/api/v1/clients/?q=(page:1,page_size:2)", headers=f.auth(user))
    assert resp.status_code == 200
    assert resp.headers["X-Total-Count"] == "5"
    assert resp.headers["X-Total-Count-Exact"] == "true"
    assert (resp.headers["X-Page"], resp.headers["X-Page-Size"]) == ("1", "2")
    assert resp.get_json()["count"] == 5 and len(resp.get_json()["result"]) == 2


def test_the_count_is_capped_on_huge_lists(app, client, org):
    user = f.make_user(org, "Staff")
    for _ in range(4):
        f.make_client(org, user)
    app.config["OPSHUB_COUNT_CAP"] = 3
    try:
        resp = client.get("/api/v1/clients/", headers=f.auth(user))
    finally:
        app.config["OPSHUB_COUNT_CAP"] = 10_000
    assert resp.headers["X-Total-Count"] == "3"
    assert resp.headers["X-Total-Count-Exact"] == "false"
    assert len(resp.get_json()["result"]) == 4


def test_search_and_sort(client, org):
    user = f.make_user(org, "Staff")
    for name in ("Zeta Search", "Alpha Search", "Other"):
        f.make_client(org, user, name=name)
    h = f.auth(user)
    body = client.get("/api/v1/clients/?q=(filters:!((col:name,opr:ct,value:Search)))", headers=h).get_json()
    assert [r["name"] for r in body["result"]] == ["Alpha Search", "Zeta Search"]
    body = client.get("/api/v1/clients/?q=(order_column:name,order_direction:desc)", headers=h).get_json()
    assert [r["name"] for r in body["result"]] == ["Zeta Search", "Other", "Alpha Search"]


def test_the_default_order_is_stable(client, org):
    user = f.make_user(org, "Staff")
    for _ in range(3):
        f.make_client(org, user, name="Same Name")
    h = f.auth(user)
    first = client.get("/api/v1/clients/?q=(page_size:2)", headers=h).get_json()["ids"]
    second = client.get("/api/v1/clients/?q=(page:1,page_size:2)", headers=h).get_json()["ids"]
    assert len(set(first) | set(second)) == 3


def test_the_html_list_searches_and_shows_an_empty_state(client, org):
    user = f.make_user(org, "Staff")
    f.make_client(org, user, name="Findable Co")
    f.page_login(client, user)
    page = client.get("/clients/list/?_flt_2_name=Findable").data.decode()
    assert "Findable Co" in page


def test_the_dashboard_is_the_landing_page_with_counts(client, org):
    user = f.make_user(org, "Staff")
    f.make_client(org, user)
    f.make_client(org, user)
    resp = client.post("/login/", data={"username": user.username, "password": f.PASSWORD})
    assert resp.headers["Location"].endswith("/")
    page = client.get("/").data.decode()
    assert "Dashboard" in page and org.name in page
    assert 'data-card="Clients"' in page
    assert "2 managed by you" in page


def test_the_add_form_keeps_input_and_shows_field_errors(client, org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    resp = client.post("/clients/add", data={"name": "Kept Name", "email": "broken"})
    assert resp.status_code == 200
    html = resp.data.decode()
    assert "Not a valid email address." in html
    assert 'value="Kept Name"' in html


def test_the_mine_filter_lists_the_clients_i_own(client, org):
    me = f.make_user(org, "Staff")
    someone = f.make_user(org, "Staff")
    mine = f.make_client(org, me)
    theirs = f.make_client(org, someone)
    body = client.get("/api/v1/clients/?q=(filters:!((col:owner,opr:mine,value:1)))", headers=f.auth(me)).get_json()
    assert mine.id in body["ids"] and theirs.id not in body["ids"]
    f.page_login(client, me)
    page = client.get(f"/clients/list/?_flt_0_owner={me.id}").data.decode()
    assert mine.name in page and theirs.name not in page


def test_starts_with_is_case_insensitive_and_takes_wildcards_literally(client, org):
    user = f.make_user(org, "Staff")
    for name in ("Prefix Alpha", "prefix beta", "Prefix_Gamma", "Other Prefix", "100% Prefix"):
        f.make_client(org, user, name=name)
    h = f.auth(user)

    def names(value):
        q = f"(filters:!((col:name,opr:sw,value:'{value}')),page_size:100)"
        return sorted(
            r["name"] for r in client.get("/api/v1/clients/", query_string={"q": q}, headers=h).get_json()["result"]
        )

    assert names("PREFIX") == ["Prefix Alpha", "Prefix_Gamma", "prefix beta"]
    assert names("prefix_") == ["Prefix_Gamma"]
    assert names("100%") == ["100% Prefix"]
    assert names("%") == []


def test_starts_with_reads_the_search_index(org):
    import sqlalchemy as sa

    from app.core.filters import IndexedStartsWith
    from app.crm.api import ClientApi
    from app.crm.models import Client
    from app.extensions import db

    query = db.session.query(Client.id).filter(Client.organization_id == org.id, Client.archived_at.is_(None))
    query = IndexedStartsWith("name", ClientApi.datamodel).apply(query, "abc")
    sql = str(query.statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(r) for r in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "ix_client_name_prefix_search" in plan
    else:
        # PostgreSQL's planner picks by statistics (a tiny test table is scanned anyway): check
        # that the filter has the form the text_pattern_ops index on lower(name) answers.
        assert "lower(client.name) LIKE 'abc%%'" in sql
        definition = db.session.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_client_name_prefix_search'")
        )
        assert "lower((name)::text) text_pattern_ops" in definition


def test_the_html_list_says_when_the_count_is_capped(app, client, org):
    user = f.make_user(org, "Staff")
    for _ in range(3):
        f.make_client(org, user)
    f.page_login(client, user)
    assert 'id="count-capped"' not in client.get("/clients/list/").data.decode()
    app.config["OPSHUB_COUNT_CAP"] = 2
    try:
        page = client.get("/clients/list/").data.decode()
    finally:
        app.config["OPSHUB_COUNT_CAP"] = 10_000
    assert 'id="count-capped"' in page and "More than 2 records match" in page


def test_show_archived_is_this_requests_own_even_while_another_request_runs(app, org):
    """No request state on the shared view objects: a default list running while another
    request shows archived rows neither hides them from it nor sees them itself."""
    import threading

    from app.core.interface import OpsInterface
    from app.core.services import archive

    user = f.make_user(org, "Manager")
    f.make_client(org, user, name="Kept Ltd")
    gone = f.make_client(org, user, name="Gone Ltd")
    with f.acting(None, org):
        archive(gone)
    pages: dict[str, str] = {}
    original = OpsInterface.query
    gate = threading.Event()

    def query(self, *args, **kwargs):
        from flask import request

        if "include_archived" not in request.args and not gate.is_set():
            gate.set()  # the default list is inside its query: run the other request now

            def other():
                c = app.test_client()
                f.page_login(c, user)
                pages["archived"] = c.get("/clients/list/?include_archived=1").data.decode()

            thread = threading.Thread(target=other)
            thread.start()
            thread.join()
        return original(self, *args, **kwargs)

    client = app.test_client()
    f.page_login(client, user)
    OpsInterface.query = query
    try:
        pages["default"] = client.get("/clients/list/").data.decode()
    finally:
        OpsInterface.query = original
    assert "Gone Ltd" in pages["archived"] and "Kept Ltd" in pages["archived"]
    assert "Gone Ltd" not in pages["default"] and "Kept Ltd" in pages["default"]
