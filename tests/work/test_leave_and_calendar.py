"""Leave: HR approves (never their own: 403), an approved request puts its working days on the
calendar, overlapping requests of one person are 409, only the requester cancels. The calendar
API returns a range's entries of everyone the caller sees (assignment deadlines, site visits,
meetings, leave, the event company's events); the iCalendar feed is a secret, rotatable URL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from icalendar import Calendar

from app.extensions import db
from app.work.models import CalendarEvent, LeaveRequest
from tests import factories as f
from tests.work import helpers as w

LEAVE = "/api/v1/leave-requests"


def _leave_days(request_id: int) -> list[date]:
    rows = db.session.scalars(
        sa.select(CalendarEvent.start).where(CalendarEvent.leave_request_id == request_id).order_by(CalendarEvent.start)
    )
    return [r.date() for r in rows]


def test_hr_approves_and_the_working_days_go_on_the_calendar(client, org):
    valuer, hr = f.make_user(org, "Valuer"), f.make_user(org, "HR")
    resp = client.post(
        f"{LEAVE}/",
        json={"start_date": "2031-03-07", "end_date": "2031-03-11", "reason": "Trip"},
        headers=f.auth(valuer),
    )
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    assert client.get(f"{LEAVE}/{pk}", headers=f.auth(valuer)).get_json()["result"]["status"] == "pending"
    assert client.post(f"{LEAVE}/{pk}/approve", headers=f.auth(valuer)).status_code == 403  # no can_approve
    resp = client.post(f"{LEAVE}/{pk}/approve", headers=f.auth(hr))
    assert resp.status_code == 200 and resp.get_json()["result"]["status"] == "approved"
    # Friday 7, (weekend), Monday 10, Tuesday 11
    assert _leave_days(pk) == [date(2031, 3, 7), date(2031, 3, 10), date(2031, 3, 11)]
    assert client.post(f"{LEAVE}/{pk}/approve", headers=f.auth(hr)).status_code == 409  # decided already


def test_approving_or_rejecting_ones_own_request_is_403(client, org):
    hr = f.make_user(org, "HR")
    mine = w.make_leave(org, hr)
    for action in ("approve", "reject"):
        resp = client.post(f"{LEAVE}/{mine.id}/{action}", headers=f.auth(hr))
        assert resp.status_code == 403 and "own" in resp.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(LeaveRequest, mine.id).status == "pending"


def test_overlapping_requests_of_one_person_are_409(client, org):
    valuer, other = f.make_user(org, "Valuer"), f.make_user(org, "Valuer")
    h = f.auth(valuer)
    first = client.post(f"{LEAVE}/", json={"start_date": "2031-05-05", "end_date": "2031-05-09"}, headers=h)
    assert first.status_code == 201
    clash = client.post(f"{LEAVE}/", json={"start_date": "2031-05-09", "end_date": "2031-05-12"}, headers=h)
    assert clash.status_code == 409 and f"#{first.get_json()['id']}" in clash.get_json()["detail"]
    after = client.post(f"{LEAVE}/", json={"start_date": "2031-05-10", "end_date": "2031-05-12"}, headers=h)
    assert after.status_code == 201
    theirs = client.post(
        f"{LEAVE}/", json={"start_date": "2031-05-05", "end_date": "2031-05-09"}, headers=f.auth(other)
    )
    assert theirs.status_code == 201  # someone else's leave may overlap


def test_a_rejected_or_cancelled_request_frees_its_days(client, org):
    valuer, hr = f.make_user(org, "Valuer"), f.make_user(org, "HR")
    row = w.make_leave(org, valuer, date(2031, 6, 2), date(2031, 6, 3))
    assert client.post(f"{LEAVE}/{row.id}/reject", headers=f.auth(hr)).status_code == 200
    again = client.post(
        f"{LEAVE}/", json={"start_date": "2031-06-02", "end_date": "2031-06-03"}, headers=f.auth(valuer)
    )
    assert again.status_code == 201


def test_only_the_requester_cancels_and_the_days_leave_the_calendar(client, org):
    valuer, hr = f.make_user(org, "Valuer"), f.make_user(org, "HR")
    row = w.make_leave(org, valuer, date(2031, 7, 7), date(2031, 7, 8))
    client.post(f"{LEAVE}/{row.id}/approve", headers=f.auth(hr))
    assert len(_leave_days(row.id)) == 2
    resp = client.post(f"{LEAVE}/{row.id}/cancel", headers=f.auth(hr))
    assert resp.status_code == 403 and "Only the person" in resp.get_json()["message"]
    assert client.post(f"{LEAVE}/{row.id}/cancel", headers=f.auth(valuer)).status_code == 200
    assert _leave_days(row.id) == []
    assert client.post(f"{LEAVE}/{row.id}/cancel", headers=f.auth(valuer)).status_code == 409


def test_leave_entries_follow_their_request(client, org):
    valuer, hr = f.make_user(org, "Valuer"), f.make_user(org, "HR")
    row = w.make_leave(org, valuer, date(2031, 8, 4), date(2031, 8, 4))
    client.post(f"{LEAVE}/{row.id}/approve", headers=f.auth(hr))
    entry_id = db.session.scalar(sa.select(CalendarEvent.id).where(CalendarEvent.leave_request_id == row.id))
    h = f.auth(hr)
    resp = client.put(f"/api/v1/calendar-events/{entry_id}", json={"title": "Not leave"}, headers=h)
    assert resp.status_code == 409 and "leave request" in resp.get_json()["message"]
    assert (
        client.delete(
            f"/api/v1/calendar-events/{entry_id}", headers=f.auth(f.make_user(org, "Admin", admin=True), org)
        ).status_code
        == 409
    )
    made = client.post(
        "/api/v1/calendar-events/",
        json={"title": "Fake leave", "type": "leave", "start": "2031-08-05T00:00:00", "end": "2031-08-06T00:00:00"},
        headers=f.auth(valuer),
    )
    assert made.status_code == 422  # leave comes from an approved request


def test_the_calendar_api_returns_the_range_of_everyone_the_caller_sees(client, org):
    valuer, other, manager = f.make_user(org, "Valuer"), f.make_user(org, "Valuer"), f.make_user(org, "Manager")
    assignment = w.make_assignment(org, valuer, due_date=date(2031, 3, 12))
    w.make_event(
        org,
        valuer,
        title="Site visit A",
        type="site_visit",
        assignment_id=assignment.id,
        start=datetime(2031, 3, 10, 9),
    )
    w.make_event(org, other, title="Their meeting", start=datetime(2031, 3, 11, 9))
    w.make_event(org, valuer, title="Next month", start=datetime(2031, 4, 20, 9))
    contract = f.make_contract(org, signed=True)
    f.make_event(org, contract, name="Gala", start=datetime(2031, 3, 14, 18))
    args = "start=2031-03-01&end=2031-04-01"
    mine = client.get(f"/api/v1/calendar/?{args}", headers=f.auth(valuer)).get_json()["result"]
    assert [(e["kind"], e["title"]) for e in mine] == [
        ("site_visit", "Site visit A"),
        ("deadline", f"Due: {assignment.code}"),
    ]
    everyone = client.get(f"/api/v1/calendar/?{args}", headers=f.auth(manager)).get_json()["result"]
    assert {e["title"] for e in everyone} >= {"Site visit A", "Their meeting", "Gala", f"Due: {assignment.code}"}
    one = client.get(f"/api/v1/calendar/?{args}&user={other.id}", headers=f.auth(manager)).get_json()["result"]
    assert [e["title"] for e in one] == ["Their meeting"]
    assert client.get("/api/v1/calendar/?start=2031-01-01&end=2031-06-01", headers=f.auth(manager)).status_code == 422
    assert client.get("/api/v1/calendar/?start=nope", headers=f.auth(manager)).status_code == 422


def test_the_deadline_follows_the_assignment(client, org):
    valuer, other, manager = f.make_user(org, "Valuer"), f.make_user(org, "Valuer"), f.make_user(org, "Manager")
    row = w.make_assignment(org, valuer, due_date=date(2031, 9, 1))

    def deadline():
        db.session.expire_all()
        return db.session.execute(
            sa.select(CalendarEvent.user_id, CalendarEvent.start).where(
                CalendarEvent.assignment_id == row.id, CalendarEvent.source == "deadline"
            )
        ).all()

    assert deadline() == [(valuer.id, datetime(2031, 9, 1))]
    client.put(f"/api/v1/assignments/{row.id}", json={"due_date": "2031-09-05"}, headers=f.auth(manager))
    assert deadline() == [(valuer.id, datetime(2031, 9, 5))]
    client.post(f"/api/v1/assignments/{row.id}/reassign", json={"user_id": other.id}, headers=f.auth(manager))
    assert deadline() == [(other.id, datetime(2031, 9, 5))]
    client.post(f"/api/v1/assignments/{row.id}/transition", json={"to": "cancelled"}, headers=f.auth(manager))
    assert deadline() == []


def test_the_calendar_page_shows_the_month_and_the_week(app, org):
    valuer, manager = f.make_user(org, "Valuer"), f.make_user(org, "Manager")
    w.make_event(org, valuer, title="Valuer meeting", start=datetime(2031, 3, 4, 10))
    pages = app.test_client()
    f.page_login(pages, valuer)
    month = pages.get("/calendar/?date=2031-03-04").get_data(as_text=True)
    assert "March 2031" in month and "Valuer meeting" in month and "cal-user" not in month
    week = pages.get("/calendar/?view=week&date=2031-03-04").get_data(as_text=True)
    assert "Week of 03 March 2031" in week and "Valuer meeting" in week
    pages = app.test_client()
    f.page_login(pages, manager)
    page = pages.get("/calendar/?date=2031-03-04&user=all").get_data(as_text=True)
    assert "Valuer meeting" in page and 'id="cal-user"' in page and "<script>" not in page.split("cal-grid")[1]


def test_the_feed_is_a_secret_rotatable_url(app, client, org):
    valuer = f.make_user(org, "Valuer")
    soon = datetime.combine(date.today() + timedelta(days=2), datetime.min.time()).replace(hour=9)
    w.make_event(org, valuer, title="Feed meeting", start=soon)
    resp = client.post("/api/v1/calendar/feed", headers=f.auth(valuer))
    assert resp.status_code == 201
    url = resp.get_json()["url"]
    path = url.split("localhost", 1)[-1]
    feed = app.test_client().get(path)  # no login: the token is the key
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = Calendar.from_ical(feed.data)
    assert "Feed meeting" in [str(e.get("summary")) for e in cal.walk("VEVENT")]
    client.post("/api/v1/calendar/feed", headers=f.auth(valuer))  # rotate
    assert app.test_client().get(path).status_code == 404
    assert app.test_client().get("/calendar/feed/not-a-token.ics").status_code == 404
