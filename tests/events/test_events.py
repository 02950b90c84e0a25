"""Events: the contract must be signed (409 naming it), start < end (422), attendees >= 0; only
Admin/Manager set the support, a Support user of the organization; a Support user edits only
the events assigned to them (others readable: 403); a Commercial creates events only for their
own clients' contracts (403); "no support assigned" filter; queryable by date range."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.events.models import Event, events_between
from app.extensions import db
from tests import factories as f

WHEN = {"start": "2031-06-01T18:00:00", "end": "2031-06-01T23:00:00"}


def test_an_event_needs_a_signed_contract_and_sane_times(client, org):
    commercial = f.make_user(org, "Commercial")
    unsigned = f.make_contract(org, f.make_client(org, commercial), reference="Gala 2031")
    h = f.auth(commercial)
    resp = client.post("/api/v1/events/", json={"name": "Gala", "contract": unsigned.id, **WHEN}, headers=h)
    assert resp.status_code == 409 and "Gala 2031" in resp.get_json()["detail"]
    signed = f.make_contract(org, f.make_client(org, commercial), signed=True)
    bad_times = {"start": "2031-06-01T23:00:00", "end": "2031-06-01T18:00:00"}
    resp = client.post("/api/v1/events/", json={"name": "Gala", "contract": signed.id, **bad_times}, headers=h)
    assert resp.status_code == 422 and "end" in resp.get_json()["message"]
    resp = client.post(
        "/api/v1/events/", json={"name": "Gala", "contract": signed.id, "attendees": -3, **WHEN}, headers=h
    )
    assert resp.status_code == 422
    resp = client.post(
        "/api/v1/events/", json={"name": "Gala", "contract": signed.id, "attendees": 80, **WHEN}, headers=h
    )
    assert resp.status_code == 201


def test_a_commercial_creates_events_only_for_their_own_clients(client, org):
    commercial = f.make_user(org, "Commercial")
    someone_elses = f.make_contract(org, f.make_client(org, f.make_user(org, "Commercial")), signed=True)
    body = {"name": "Not mine", "contract": someone_elses.id, **WHEN}
    assert client.post("/api/v1/events/", json=body, headers=f.auth(commercial)).status_code == 403


def test_only_managers_set_the_support_and_it_must_be_a_support_user(client, org):
    manager, commercial = f.make_user(org, "Manager"), f.make_user(org, "Commercial")
    support, staff = f.make_user(org, "Support"), f.make_user(org, "Staff")
    outsider = f.make_user(f.make_org(), "Support")
    event = f.make_event(org, f.make_contract(org, f.make_client(org, commercial), signed=True))
    url = f"/api/v1/events/{event.id}/support"
    assert client.post(url, json={"user_id": support.id}, headers=f.auth(commercial)).status_code == 403
    resp = client.put(f"/api/v1/events/{event.id}", json={"support": support.id}, headers=f.auth(commercial))
    assert resp.status_code == 422  # not an editable field
    resp = client.post(url, json={"user_id": staff.id}, headers=f.auth(manager))
    assert resp.status_code == 422 and "Support" in str(resp.get_json()["message"])
    assert client.post(url, json={"user_id": outsider.id}, headers=f.auth(manager)).status_code == 422
    resp = client.post(url, json={"user_id": support.id}, headers=f.auth(manager))
    assert resp.status_code == 200 and resp.get_json()["result"]["support"]["id"] == support.id


def test_a_support_user_edits_only_the_events_assigned_to_them(client, org):
    support, other = f.make_user(org, "Support"), f.make_user(org, "Support")
    mine, theirs = f.make_event(org, support=support), f.make_event(org, support=other)
    unassigned = f.make_event(org)
    h = f.auth(support)
    assert client.put(f"/api/v1/events/{mine.id}", json={"notes": "Stage at 17:00"}, headers=h).status_code == 200
    for event in (theirs, unassigned):
        assert client.get(f"/api/v1/events/{event.id}", headers=h).status_code == 200
        assert client.put(f"/api/v1/events/{event.id}", json={"notes": "x"}, headers=h).status_code == 403


def test_no_support_filter_and_date_ranges(client, org):
    support = f.make_user(org, "Support")
    early = f.make_event(org, start=datetime(2031, 1, 10, 9), end=datetime(2031, 1, 10, 17))
    late = f.make_event(org, support=support, start=datetime(2031, 3, 5, 9), end=datetime(2031, 3, 6, 17))
    h = f.auth(f.make_user(org, "Viewer"))
    ids = client.get("/api/v1/events/?q=(filters:!((col:support,opr:empty,value:1)))", headers=h).get_json()["ids"]
    assert early.id in ids and late.id not in ids
    ranged = client.get(
        "/api/v1/events/?q=(filters:!((col:start,opr:gt,value:'2031-02-01T00:00:00'),(col:start,opr:lt,value:'2031-04-01T00:00:00')))",
        headers=h,
    ).get_json()["ids"]
    assert ranged == [late.id]
    with f.acting(None, org):
        found = db.session.scalars(events_between(datetime(2031, 3, 6), datetime(2031, 3, 7))).all()
    assert [e.id for e in found if e.organization_id == org.id] == [late.id]
    f.page_login(client, f.make_user(org, "Manager"))
    page = client.get("/events/unassigned/list/").get_data(as_text=True)
    assert early.name in page and late.name not in page
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) >= 2
