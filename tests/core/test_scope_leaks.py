"""What crossed an organization's or a row scope's border: user references written on PUT,
counts of rows the caller cannot see, filters that were silently dropped (and so widened a
list)."""

import re

import pytest

from app.crm.models import Client, Deal, Lead, Task
from app.extensions import db
from tests import factories as f

USER_REFERENCES = [
    ("clients", Client, "owner", lambda org, user: f.make_client(org, user)),
    ("leads", Lead, "owner", lambda org, user: f.make_lead(org, user)),
    ("deals", Deal, "owner", lambda org, user: f.make_deal(org, user)),
    ("tasks", Task, "assignee", lambda org, user: f.make_task(org, user)),
]


@pytest.mark.parametrize("name, model, field, make", USER_REFERENCES, ids=[r[0] for r in USER_REFERENCES])
def test_put_refuses_a_user_of_another_organization_and_names_nobody(client, org, other_org, name, model, field, make):
    mine = f.make_user(org, "Manager")
    outsider = f.make_user(other_org, "Manager", username=f.unique("outsider"))
    row = make(org, mine)
    resp = client.put(f"/api/v1/{name}/{row.id}", json={field: outsider.id}, headers=f.auth(mine))
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["message"] == {field: ["Not found in this organization."]}
    assert outsider.username not in resp.get_data(as_text=True)
    db.session.expire_all()
    assert getattr(db.session.get(model, row.id), f"{field}_id") == mine.id


def test_put_still_takes_a_member_of_the_organization(client, org):
    manager = f.make_user(org, "Manager")
    colleague = f.make_user(org, "Staff")
    row = f.make_client(org, manager)
    resp = client.put(f"/api/v1/clients/{row.id}", json={"owner": colleague.id}, headers=f.auth(manager))
    assert resp.status_code == 200
    assert resp.get_json()["result"]["owner"]["id"] == colleague.id


def _page_count(html: str) -> int:
    match = re.search(r"Records:</strong>\s*([\d,]+)", html)
    return int(match.group(1).replace(",", "")) if match else 0


@pytest.mark.parametrize("name, page", [("projects", "/projects"), ("instances", "/instances")])
def test_assigned_only_counts_follow_the_assigned_rows(app, org, name, page):
    staff = f.make_user(org, "Staff")
    mine = f.make_project(org, [staff])
    f.make_instance(mine)
    for _ in range(2):
        f.make_instance(f.make_project(org, []))
    client = app.test_client()
    for archived in ("", "?include_archived=1"):
        api = client.get(f"/api/v1/{name}/{archived}", headers=f.auth(staff)).get_json()
        assert api["count"] == len(api["result"]) == 1, (name, archived, api["count"])
    f.page_login(client, staff)
    for archived in ("", "?include_archived=1"):
        assert _page_count(client.get(f"{page}/list/{archived}").get_data(as_text=True)) == 1, (page, archived)


@pytest.mark.parametrize(
    "q, named",
    [
        ("(filters:!((col:name,opr:xx,value:a)))", "xx"),
        ("(filters:!((col:owner,opr:nope,value:1)))", "nope"),
        ("(filters:!((col:name,opr:sw,value:a),(col:name,opr:zz,value:b)))", "zz"),
    ],
)
def test_an_unknown_filter_operator_is_400_naming_it(client, org, q, named):
    user = f.make_user(org, "Staff")
    f.make_client(org, user, name="Listed Co")
    resp = client.get("/api/v1/clients/", query_string={"q": q}, headers=f.auth(user))
    assert resp.status_code == 400, resp.get_json()
    assert named in resp.get_json()["message"]


def test_known_filter_operators_still_filter(client, org):
    user = f.make_user(org, "Staff")
    f.make_client(org, user, name="Zeta Filtered")
    f.make_client(org, user, name="Other")
    resp = client.get("/api/v1/clients/?q=(filters:!((col:name,opr:sw,value:Zeta)))", headers=f.auth(user))
    assert [r["name"] for r in resp.get_json()["result"]] == ["Zeta Filtered"]


@pytest.mark.parametrize("arg", ["_flt_9_owner", "_flt_12_name", "_flt_0_nope", "_flt_x_name", "_flt_0_"])
def test_an_html_list_refuses_a_filter_it_would_not_apply(client, org, arg):
    user = f.make_user(org, "Staff")
    f.make_client(org, user)
    f.page_login(client, user)
    assert client.get(f"/clients/list/?{arg}=Acme").status_code == 400
    assert client.get("/clients/list/?_flt_0_name=Acme").status_code == 200


def test_the_edit_page_refuses_a_user_of_another_organization(client, org, other_org):
    manager = f.make_user(org, "Manager")
    outsider = f.make_user(other_org, "Manager", username=f.unique("stranger"))
    row = f.make_client(org, manager, name="Form Owner Co")
    f.page_login(client, manager)
    resp = client.post(
        f"/clients/edit/{row.id}", data={"name": "Form Owner Co", "owner": str(outsider.id), "version": "1"}
    )
    assert resp.status_code == 200  # the form again, with its error
    assert outsider.username not in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Client, row.id).owner_id == manager.id
