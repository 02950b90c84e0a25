"""The CRM pipeline (SPEC §5): lead and deal transitions at service level, through the API and
through the pages; activities and their audit action; lead conversion in one transaction; open
deals blocking archive/delete; the owner rule; nothing half-written when a rule refuses; the
analytics against hand-computed figures; the board, timelines, dashboard and "My tasks"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import version_class

from app.core import context
from app.core import services as core_services
from app.core.audit import AuditRecord
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.versioning import transaction_model
from app.crm import services
from app.crm.models import Activity, Client, Contact, Deal, Lead
from app.extensions import db
from tests import factories as f


# ------------------------------------------------------------------ helpers
def _fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


def _state(pk) -> tuple[str, str]:
    deal = _fresh(Deal, pk)
    return deal.stage, deal.status


def _activities(**where) -> list[Activity]:
    (column, value), *_ = where.items()
    return list(db.session.scalars(sa.select(Activity).where(getattr(Activity, column) == value).order_by(Activity.id)))


def _tx_ids(model, pk) -> list[int]:
    V = version_class(model)
    return list(db.session.scalars(sa.select(V.transaction_id).where(V.id == pk).order_by(V.transaction_id)))


def _tx_count(org) -> int:
    Tx = transaction_model()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Tx).where(Tx.organization_id == org.id))


def _audit(resource: str, pk: int) -> list[tuple[str, int]]:
    """[(action, transaction_id)] of a record's audit rows, oldest first."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(AuditRecord.action, AuditRecord.transaction_id)
            .where(AuditRecord.resource == resource, AuditRecord.record_id == pk)
            .order_by(AuditRecord.transaction_id)
        )
    ]


class Snapshot:
    """A deal's (or lead's) versions, activities and the organization's transactions, to check
    that a refused action wrote nothing and an accepted one wrote exactly one transaction with
    exactly one activity."""

    def __init__(self, model, pk, org):
        self.model, self.pk, self.org = model, pk, org
        self.column = "deal_id" if model is Deal else "lead_id"
        self.versions = f.versions_of(model, pk)
        self.activities = len(_activities(**{self.column: pk}))
        self.txs = _tx_count(org)

    def assert_unchanged(self):
        db.session.expire_all()
        assert f.versions_of(self.model, self.pk) == self.versions
        assert len(_activities(**{self.column: self.pk})) == self.activities
        assert _tx_count(self.org) == self.txs

    def assert_one_status_change(self, kind: str, body: str | None = None) -> Activity:
        """One new transaction holding the record's version (audited as status_change) and one
        new activity of `kind`."""
        db.session.expire_all()
        assert len(f.versions_of(self.model, self.pk)) == len(self.versions) + 1
        assert _tx_count(self.org) == self.txs + 1
        new = _activities(**{self.column: self.pk})[self.activities :]
        assert len(new) == 1, [a.body for a in new]
        activity = new[0]
        assert activity.kind == kind
        if body is not None:
            assert activity.body == body
        action, tx = _audit(self.model.__name__, self.pk)[-1]
        assert action == "status_change"
        assert _tx_ids(Activity, activity.id) == [tx]  # the activity is in the same transaction
        return activity


def _deal(org, owner, stage="qualification", status="open", amount=100, **fields):
    return f.make_deal(org, owner, stage=stage, status=status, amount=Decimal(amount), **fields)


@pytest.fixture
def staff(org):
    return f.make_user(org, "Staff")


@pytest.fixture
def manager(org):
    return f.make_user(org, "Manager")


def _page(client, user):
    f.page_login(client, user)
    return client


# ================================================================== deals: service level
@pytest.mark.parametrize(
    "start, target, role, refused",
    [
        ("qualification", "proposal", "Staff", None),
        ("qualification", "negotiation", "Staff", None),  # skipping forward is allowed
        ("proposal", "negotiation", "Staff", None),
        ("proposal", "qualification", "Staff", Forbidden),
        ("negotiation", "qualification", "Staff", Forbidden),
        ("negotiation", "proposal", "Manager", None),
        ("negotiation", "qualification", "Manager", None),
        ("qualification", "closed", "Manager", Invalid),  # closed is reached by closing
        ("qualification", "won", "Manager", Invalid),
        ("qualification", "", "Manager", Invalid),
        ("qualification", None, "Manager", Invalid),
        ("qualification", 3, "Manager", Invalid),
    ],
)
def test_service_move_deal(org, start, target, role, refused):
    user = f.make_user(org, role)
    deal = _deal(org, user, stage=start)
    snap = Snapshot(Deal, deal.id, org)
    with context.acting_as(user.id, org.id):
        row = db.session.get(Deal, deal.id)
        if refused:
            with pytest.raises(refused):
                services.move_deal(row, target)
        else:
            services.move_deal(row, target)
    if refused:
        snap.assert_unchanged()
        assert _state(deal.id) == (start, "open")
    else:
        snap.assert_one_status_change("stage_change", f"Stage {start} → {target}")
        assert _state(deal.id) == (target, "open")


def test_service_move_to_the_same_stage_writes_nothing(org, staff):
    deal = _deal(org, staff, stage="proposal")
    snap = Snapshot(Deal, deal.id, org)
    with context.acting_as(staff.id, org.id):
        services.move_deal(db.session.get(Deal, deal.id), "proposal")
    snap.assert_unchanged()


def test_service_moving_forward_records_the_furthest_stage(org, staff):
    deal = _deal(org, staff)
    with context.acting_as(staff.id, org.id):
        services.move_deal(db.session.get(Deal, deal.id), "negotiation")
    assert _fresh(Deal, deal.id).furthest_stage == "negotiation"
    manager = f.make_user(org, "Manager")
    with context.acting_as(manager.id, org.id):
        services.move_deal(db.session.get(Deal, deal.id), "qualification")
    fresh = _fresh(Deal, deal.id)
    assert (fresh.stage, fresh.furthest_stage) == ("qualification", "negotiation")


@pytest.mark.parametrize(
    "amount, outcome, refused",
    [
        (100, "won", None),
        ("0.01", "won", None),
        (0, "won", Invalid),
        (0, "lost", None),  # a lost deal needs no amount
        (100, "lost", None),
        (100, "open", Invalid),  # reopening is a move, not a close
        (100, "closed", Invalid),
        (100, "WON", Invalid),
        (100, None, Invalid),
        (100, ["won"], Invalid),
    ],
)
def test_service_close_deal(org, staff, amount, outcome, refused):
    deal = _deal(org, staff, stage="proposal", amount=amount)
    snap = Snapshot(Deal, deal.id, org)
    with context.acting_as(staff.id, org.id):
        row = db.session.get(Deal, deal.id)
        if refused:
            with pytest.raises(refused):
                services.close_deal(row, outcome)
        else:
            services.close_deal(row, outcome)
    if refused:
        snap.assert_unchanged()
        assert _state(deal.id) == ("proposal", "open")
        return
    snap.assert_one_status_change("status_change", f"Closed as {outcome} from proposal")
    fresh = _fresh(Deal, deal.id)
    assert (fresh.stage, fresh.status) == ("closed", outcome)
    assert fresh.closed_at is not None
    assert fresh.furthest_stage == ("closed" if outcome == "won" else "proposal")


def test_service_close_as_won_with_a_negative_amount_is_invalid(org, staff):
    deal = _deal(org, staff, stage="negotiation")
    snap = Snapshot(Deal, deal.id, org)
    with context.acting_as(staff.id, org.id):
        row = db.session.get(Deal, deal.id)
        row.amount = Decimal("-5")
        with pytest.raises(Invalid) as exc:
            services.close_deal(row, "won")
    assert "amount" in exc.value.fields
    snap.assert_unchanged()
    fresh = _fresh(Deal, deal.id)
    assert (fresh.stage, fresh.status, fresh.amount) == ("negotiation", "open", Decimal("100.00"))


@pytest.mark.parametrize(
    "closed_as, role, action, refused, expected",
    [
        # reopening a closed deal (a move out of `closed`) needs can_rollback_stage
        ("won", "Staff", ("move", "negotiation"), Forbidden, ("closed", "won")),
        ("lost", "Staff", ("move", "qualification"), Forbidden, ("closed", "lost")),
        ("won", "Manager", ("move", "negotiation"), None, ("negotiation", "open")),
        ("lost", "Manager", ("move", "proposal"), None, ("proposal", "open")),
        # changing the outcome needs it too
        ("won", "Staff", ("close", "lost"), Forbidden, ("closed", "won")),
        ("lost", "Staff", ("close", "won"), Forbidden, ("closed", "lost")),
        ("won", "Manager", ("close", "lost"), None, ("closed", "lost")),
        ("lost", "Manager", ("close", "won"), None, ("closed", "won")),
    ],
)
def test_service_settled_deals_need_rollback(org, closed_as, role, action, refused, expected):
    user = f.make_user(org, role)
    deal = _deal(org, user, stage="negotiation", status=closed_as)
    assert _state(deal.id) == ("closed", closed_as)
    snap = Snapshot(Deal, deal.id, org)
    verb, value = action
    fn = services.move_deal if verb == "move" else services.close_deal
    with context.acting_as(user.id, org.id):
        row = db.session.get(Deal, deal.id)
        if refused:
            with pytest.raises(refused, match="a manager can"):
                fn(row, value)
        else:
            fn(row, value)
    assert _state(deal.id) == expected
    if refused:
        snap.assert_unchanged()
        return
    if verb == "move":
        snap.assert_one_status_change("status_change", f"Reopened in {value} (was {closed_as})")
        assert _fresh(Deal, deal.id).closed_at is None
    else:
        snap.assert_one_status_change("status_change", f"Closed as {value}")


# ================================================================== deals: through the API
# (setup stage, setup status, amount, role, method, path suffix, body, expected code, expected state)
API_TRANSITIONS = [
    # move
    ("qualification", "open", 100, "Staff", "POST", "/move", {"stage": "proposal"}, 200, ("proposal", "open")),
    ("qualification", "open", 100, "Staff", "POST", "/move", {"stage": "negotiation"}, 200, ("negotiation", "open")),
    ("negotiation", "open", 100, "Staff", "POST", "/move", {"stage": "proposal"}, 403, ("negotiation", "open")),
    ("negotiation", "open", 100, "Manager", "POST", "/move", {"stage": "proposal"}, 200, ("proposal", "open")),
    ("proposal", "open", 100, "Manager", "POST", "/move", {"stage": "qualification"}, 200, ("qualification", "open")),
    ("qualification", "open", 100, "Staff", "POST", "/move", {"stage": "bogus"}, 422, ("qualification", "open")),
    ("qualification", "open", 100, "Staff", "POST", "/move", {"stage": "closed"}, 422, ("qualification", "open")),
    ("qualification", "open", 100, "Staff", "POST", "/move", {}, 422, ("qualification", "open")),
    ("qualification", "open", 100, "Staff", "POST", "/move", {"stage": 1}, 422, ("qualification", "open")),
    ("negotiation", "won", 100, "Staff", "POST", "/move", {"stage": "negotiation"}, 403, ("closed", "won")),
    ("negotiation", "won", 100, "Manager", "POST", "/move", {"stage": "negotiation"}, 200, ("negotiation", "open")),
    # close
    ("proposal", "open", 100, "Staff", "POST", "/close", {"status": "won"}, 200, ("closed", "won")),
    ("proposal", "open", 0, "Staff", "POST", "/close", {"status": "won"}, 422, ("proposal", "open")),
    ("proposal", "open", 0, "Staff", "POST", "/close", {"status": "lost"}, 200, ("closed", "lost")),
    ("proposal", "open", 100, "Staff", "POST", "/close", {"status": "open"}, 422, ("proposal", "open")),
    ("proposal", "open", 100, "Staff", "POST", "/close", {"status": "bogus"}, 422, ("proposal", "open")),
    ("proposal", "open", 100, "Staff", "POST", "/close", {}, 422, ("proposal", "open")),
    ("proposal", "won", 100, "Staff", "POST", "/close", {"status": "lost"}, 403, ("closed", "won")),
    ("proposal", "won", 100, "Manager", "POST", "/close", {"status": "lost"}, 200, ("closed", "lost")),
    ("proposal", "lost", 100, "Staff", "POST", "/close", {"status": "won"}, 403, ("closed", "lost")),
    ("proposal", "lost", 100, "Manager", "POST", "/close", {"status": "won"}, 200, ("closed", "won")),
    # the plain PUT obeys the same rules
    ("proposal", "open", 100, "Staff", "PUT", "", {"stage": "negotiation"}, 200, ("negotiation", "open")),
    ("negotiation", "open", 100, "Staff", "PUT", "", {"stage": "qualification"}, 403, ("negotiation", "open")),
    ("negotiation", "open", 100, "Manager", "PUT", "", {"stage": "qualification"}, 200, ("qualification", "open")),
    ("proposal", "open", 100, "Staff", "PUT", "", {"stage": "bogus"}, 422, ("proposal", "open")),
    ("proposal", "open", 100, "Staff", "PUT", "", {"stage": "closed"}, 422, ("proposal", "open")),
    ("proposal", "open", 100, "Staff", "PUT", "", {"status": "bogus"}, 422, ("proposal", "open")),
    # an empty value is unknown too, not the default (it used to move the deal back to qualification)
    ("proposal", "open", 100, "Manager", "PUT", "", {"stage": ""}, 422, ("proposal", "open")),
    ("proposal", "open", 100, "Manager", "PUT", "", {"status": ""}, 422, ("proposal", "open")),
    ("proposal", "open", 0, "Staff", "PUT", "", {"status": "won"}, 422, ("proposal", "open")),
    ("proposal", "open", 100, "Staff", "PUT", "", {"status": "won", "amount": 0}, 422, ("proposal", "open")),
    ("proposal", "open", 100, "Staff", "PUT", "", {"status": "won", "amount": -5}, 422, ("proposal", "open")),
    ("proposal", "open", 0, "Staff", "PUT", "", {"status": "won", "amount": 50}, 200, ("closed", "won")),
    ("proposal", "open", 100, "Staff", "PUT", "", {"status": "lost"}, 200, ("closed", "lost")),
    ("proposal", "won", 100, "Staff", "PUT", "", {"stage": "proposal", "status": "open"}, 403, ("closed", "won")),
    ("proposal", "won", 100, "Manager", "PUT", "", {"stage": "proposal", "status": "open"}, 200, ("proposal", "open")),
    ("proposal", "won", 100, "Manager", "PUT", "", {"status": "open"}, 422, ("closed", "won")),
    ("proposal", "won", 100, "Staff", "PUT", "", {"status": "lost"}, 403, ("closed", "won")),
]


@pytest.mark.parametrize(
    "stage, status, amount, role, method, suffix, body, code, expected",
    API_TRANSITIONS,
    ids=[f"{r[4]}{r[5] or ' put'}-{r[1]}-{r[0]}-{r[3]}-{r[6]}-{r[2]}" for r in API_TRANSITIONS],
)
def test_api_deal_transitions(client, org, stage, status, amount, role, method, suffix, body, code, expected):
    user = f.make_user(org, role)
    deal = _deal(org, user, stage=stage, status=status, amount=amount)
    before = _state(deal.id)
    snap = Snapshot(Deal, deal.id, org)
    resp = client.open(f"/api/v1/deals/{deal.id}{suffix}", method=method, json=body, headers=f.auth(user))
    assert resp.status_code == code, resp.get_json()
    assert _state(deal.id) == expected
    if code == 200:
        result = resp.get_json()["result"]
        assert (result["stage"], result["status"]) == expected
        kind = "stage_change" if expected[1] == before[1] else "status_change"
        snap.assert_one_status_change(kind)
    else:
        snap.assert_unchanged()
        message = resp.get_json()["message"]
        if code == 403:
            assert "a manager can" in message
        if code == 422:
            assert isinstance(message, dict) and set(message) & {"stage", "status", "amount"}, message


def test_api_move_honours_a_stale_version(client, org, staff):
    deal = _deal(org, staff)
    h = f.auth(staff)
    snap = Snapshot(Deal, deal.id, org)
    resp = client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal", "version": 7}, headers=h)
    assert resp.status_code == 409
    snap.assert_unchanged()
    resp = client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal"}, headers={**h, "If-Match": '"1"'})
    assert resp.status_code == 200


def test_api_transitions_need_write_permission(client, org):
    viewer = f.make_user(org, "Viewer")
    deal = _deal(org, viewer)
    h = f.auth(viewer)
    snap = Snapshot(Deal, deal.id, org)
    assert client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal"}, headers=h).status_code == 403
    assert client.post(f"/api/v1/deals/{deal.id}/close", json={"status": "lost"}, headers=h).status_code == 403
    assert client.post(f"/api/v1/deals/{deal.id}/activities", json={"body": "hi"}, headers=h).status_code == 403
    assert client.get(f"/api/v1/deals/{deal.id}/activities", headers=h).status_code == 200
    snap.assert_unchanged()
    assert client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal"}).status_code == 401


# ------------------------------------------------------------------ the owner rule
def test_staff_cannot_change_someone_elses_deal(client, org, staff):
    other = f.make_user(org, "Staff")
    deal = _deal(org, other, stage="proposal")
    h = f.auth(staff)
    snap = Snapshot(Deal, deal.id, org)
    assert client.get(f"/api/v1/deals/{deal.id}", headers=h).status_code == 200  # readable
    calls = [
        ("PUT", "", {"expected_close_date": "2031-01-01"}),
        ("PUT", "", {"stage": "negotiation"}),
        ("PUT", "", {"owner": staff.id}),  # taking it over
        ("POST", "/move", {"stage": "negotiation"}),
        ("POST", "/close", {"status": "lost"}),
        ("POST", "/close", {"status": "won"}),
        ("POST", "/archive", None),
    ]
    for method, suffix, body in calls:
        resp = client.open(f"/api/v1/deals/{deal.id}{suffix}", method=method, json=body, headers=h)
        assert resp.status_code == 403, (method, suffix, body, resp.get_json())
        assert "own" in resp.get_json()["message"]
    snap.assert_unchanged()
    # nor give one of theirs away, nor create one for someone else
    mine = _deal(org, staff)
    assert client.put(f"/api/v1/deals/{mine.id}", json={"owner": other.id}, headers=h).status_code == 403
    body = {"title": "For other", "client": f.make_client(org).id, "owner": other.id}
    assert client.post("/api/v1/deals/", json=body, headers=h).status_code == 403
    # a Manager (can_edit_all) may
    manager = f.make_user(org, "Manager")
    resp = client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "negotiation"}, headers=f.auth(manager))
    assert resp.status_code == 200


def test_staff_cannot_change_someone_elses_lead(client, org, staff):
    other = f.make_user(org, "Staff")
    lead = f.make_lead(org, other, status="qualified")
    h = f.auth(staff)
    snap = Snapshot(Lead, lead.id, org)
    assert client.put(f"/api/v1/leads/{lead.id}", json={"phone": "1"}, headers=h).status_code == 403
    assert client.post(f"/api/v1/leads/{lead.id}/convert", headers=h).status_code == 403
    snap.assert_unchanged()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.organization_id == org.id)) == 0
    )


def test_page_staff_cannot_edit_move_or_close_someone_elses_deal(client, org, staff):
    other = f.make_user(org, "Staff")
    deal = _deal(org, other, stage="proposal", title="Theirs Deal")
    _page(client, staff)
    snap = Snapshot(Deal, deal.id, org)
    form = {
        "title": "Hijacked",
        "client": str(deal.client_id),
        "owner": str(other.id),
        "amount": "100",
        "currency": "EUR",
        "stage": "proposal",
        "status": "open",
        "version": "1",
    }
    resp = client.post(f"/deals/edit/{deal.id}", data=form)
    assert resp.status_code == 200  # the form again, with the refusal
    assert "You can only change Deal records you own." in resp.data.decode()
    for url, data in (
        (f"/deals/do/move/{deal.id}", {"stage": "negotiation"}),
        (f"/deals/do/close/{deal.id}", {"status": "lost"}),
    ):
        resp = client.post(url, data=data, follow_redirects=True)
        assert resp.status_code == 200
        assert "You can only change Deal records you own." in resp.data.decode()
    snap.assert_unchanged()
    fresh = _fresh(Deal, deal.id)
    assert (fresh.title, fresh.stage, fresh.status) == ("Theirs Deal", "proposal", "open")


# ------------------------------------------------------------------ deals through the pages
OPEN_Q, OPEN_P, OPEN_N = ("qualification", "open", 100), ("proposal", "open", 100), ("negotiation", "open", 100)
OPEN_P0, WON = ("proposal", "open", 0), ("proposal", "won", 100)
ROLLBACK_NEEDED = "may not move a deal back"
REOPEN_NEEDED = "may not reopen a closed deal"


@pytest.mark.parametrize(
    "setup, role, route, value, expected, message",
    [
        (OPEN_Q, "Staff", "move", "proposal", ("proposal", "open"), "moved to proposal"),
        (OPEN_Q, "Staff", "move", "negotiation", ("negotiation", "open"), "moved to negotiation"),
        (OPEN_N, "Staff", "move", "proposal", ("negotiation", "open"), ROLLBACK_NEEDED),
        (OPEN_N, "Manager", "move", "proposal", ("proposal", "open"), "moved to proposal"),
        (OPEN_P, "Staff", "move", "bogus", ("proposal", "open"), "Unknown stage"),
        (OPEN_P, "Staff", "move", "", ("proposal", "open"), "Unknown stage"),
        (OPEN_P, "Staff", "move", "closed", ("proposal", "open"), "Close a deal as won or lost"),
        (OPEN_P, "Staff", "close", "won", ("closed", "won"), "closed as won"),
        (OPEN_P0, "Staff", "close", "won", ("proposal", "open"), "A won deal needs an amount greater than 0"),
        (OPEN_P0, "Staff", "close", "lost", ("closed", "lost"), "closed as lost"),
        (OPEN_P, "Staff", "close", "bogus", ("proposal", "open"), "Unknown status"),
        (OPEN_P, "Staff", "close", "open", ("proposal", "open"), "Close a deal as won or lost"),
        (WON, "Staff", "move", "negotiation", ("closed", "won"), REOPEN_NEEDED),
        (WON, "Manager", "move", "negotiation", ("negotiation", "open"), "moved to negotiation"),
        (WON, "Staff", "close", "lost", ("closed", "won"), REOPEN_NEEDED),
        (WON, "Manager", "close", "lost", ("closed", "lost"), "closed as lost"),
    ],
)
def test_page_deal_transitions(client, org, setup, role, route, value, expected, message):
    stage, status, amount = setup
    user = f.make_user(org, role)
    deal = _deal(org, user, stage=stage, status=status, amount=amount)
    before = _state(deal.id)
    _page(client, user)
    snap = Snapshot(Deal, deal.id, org)
    field = "stage" if route == "move" else "status"
    resp = client.post(f"/deals/do/{route}/{deal.id}", data={field: value})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/deals/show/{deal.id}")
    page = client.get(resp.headers["Location"]).data.decode()
    assert message in page
    assert _state(deal.id) == expected
    if expected != before:
        snap.assert_one_status_change("stage_change" if expected[1] == before[1] else "status_change")
    else:
        snap.assert_unchanged()


def test_page_edit_form_obeys_the_same_rules(client, org, staff):
    deal = _deal(org, staff, stage="negotiation", amount=0, title="Form Deal")
    _page(client, staff)
    snap = Snapshot(Deal, deal.id, org)
    base = {
        "title": "Form Deal",
        "client": str(deal.client_id),
        "owner": str(staff.id),
        "amount": "0",
        "currency": "EUR",
        "stage": "negotiation",
        "status": "open",
        "version": "1",
    }
    cases = [
        ({"stage": "qualification"}, "may not move a deal back"),
        ({"status": "won"}, "A won deal needs an amount greater than 0"),
        ({"status": "won", "amount": "-3"}, "Cannot be negative"),
        ({"stage": "bogus"}, "Not a valid choice"),
        ({"status": "bogus"}, "Not a valid choice"),
    ]
    for change, message in cases:
        resp = client.post(f"/deals/edit/{deal.id}", data={**base, **change})
        assert resp.status_code == 200, change
        assert message in resp.data.decode(), change
    snap.assert_unchanged()
    # a forward move through the form is a stage change with its activity
    resp = client.post(f"/deals/edit/{deal.id}", data={**base, "status": "won", "amount": "250"})
    assert resp.status_code == 302
    snap.assert_one_status_change("status_change", "Closed as won from negotiation")
    assert _state(deal.id) == ("closed", "won")


# ================================================================== activities
def test_every_change_writes_one_activity_and_the_api_lists_them_newest_first(client, org, manager):
    deal = _deal(org, manager)
    h = f.auth(manager)
    assert client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal"}, headers=h).status_code == 200
    assert client.put(f"/api/v1/deals/{deal.id}", json={"stage": "negotiation"}, headers=h).status_code == 200
    assert client.put(f"/api/v1/deals/{deal.id}", json={"amount": 900}, headers=h).status_code == 200  # no activity
    assert client.post(f"/api/v1/deals/{deal.id}/close", json={"status": "won"}, headers=h).status_code == 200
    assert client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal"}, headers=h).status_code == 200
    resp = client.post(f"/api/v1/deals/{deal.id}/activities", json={"body": "  Called the buyer  "}, headers=h)
    assert resp.status_code == 201
    comment = resp.get_json()["result"]
    assert (comment["kind"], comment["body"], comment["author"], comment["deal_id"]) == (
        "comment",
        "Called the buyer",
        manager.username,
        deal.id,
    )
    assert comment["client_id"] == deal.client_id
    listed = client.get(f"/api/v1/deals/{deal.id}/activities", headers=h).get_json()["result"]
    assert [(a["kind"], a["body"]) for a in listed] == [
        ("comment", "Called the buyer"),
        ("status_change", "Reopened in proposal (was won)"),
        ("status_change", "Closed as won from negotiation"),
        ("stage_change", "Stage proposal → negotiation"),
        ("stage_change", "Stage qualification → proposal"),
    ]
    assert {a["author"] for a in listed} == {manager.username}
    # each transition's audit action is status_change; the amount edit is a plain update
    assert [a for a, _ in _audit("Deal", deal.id)] == [
        "create",
        "status_change",
        "status_change",
        "update",
        "status_change",
        "status_change",
    ]


@pytest.mark.parametrize(
    "body", [{"body": ""}, {"body": "   "}, {}, {"body": None}, {"body": 5}, {"body": "x" * 10_001}]
)
def test_an_empty_or_bad_comment_is_422_and_writes_nothing(client, org, staff, body):
    deal = _deal(org, staff)
    snap = Snapshot(Deal, deal.id, org)
    resp = client.post(f"/api/v1/deals/{deal.id}/activities", json=body, headers=f.auth(staff))
    assert resp.status_code == 422, resp.get_json()
    assert "body" in resp.get_json()["message"]
    snap.assert_unchanged()


def test_a_comment_body_that_is_not_an_object_is_400(client, org, staff):
    deal = _deal(org, staff)
    resp = client.post(
        f"/api/v1/deals/{deal.id}/activities",
        data="[1]",
        headers={**f.auth(staff), "Content-Type": "application/json"},
    )
    assert resp.status_code == 400


def test_comments_through_the_page(client, org, staff):
    deal = _deal(org, staff)
    _page(client, staff)
    snap = Snapshot(Deal, deal.id, org)
    resp = client.post(f"/deals/do/comment/{deal.id}", data={"body": "   "}, follow_redirects=True)
    assert "Write a comment." in resp.data.decode()
    snap.assert_unchanged()
    resp = client.post(f"/deals/do/comment/{deal.id}", data={"body": "Sent the <b>quote</b>"}, follow_redirects=True)
    page = resp.data.decode()
    assert "Comment added." in page
    assert "Sent the &lt;b&gt;quote&lt;/b&gt;" in page  # escaped on the timeline
    assert [a.body for a in _activities(deal_id=deal.id)] == ["Sent the <b>quote</b>"]


# ================================================================== another organization
def test_another_organizations_deal_or_lead_is_404_everywhere(client, org, other_org):
    theirs = _deal(other_org, None, stage="proposal")
    lead = f.make_lead(other_org, None, status="qualified")
    manager = f.make_user(org, "Manager")
    h = f.auth(manager)
    deal_snap, lead_snap = Snapshot(Deal, theirs.id, other_org), Snapshot(Lead, lead.id, other_org)
    calls = [
        ("GET", f"/api/v1/deals/{theirs.id}", None),
        ("POST", f"/api/v1/deals/{theirs.id}/move", {"stage": "negotiation"}),
        ("POST", f"/api/v1/deals/{theirs.id}/close", {"status": "lost"}),
        ("GET", f"/api/v1/deals/{theirs.id}/activities", None),
        ("POST", f"/api/v1/deals/{theirs.id}/activities", {"body": "hello"}),
        ("PUT", f"/api/v1/deals/{theirs.id}", {"stage": "negotiation"}),
        ("GET", f"/api/v1/leads/{lead.id}", None),
        ("PUT", f"/api/v1/leads/{lead.id}", {"status": "lost"}),
        ("POST", f"/api/v1/leads/{lead.id}/convert", {}),
    ]
    for method, url, body in calls:
        assert client.open(url, method=method, json=body, headers=h).status_code == 404, (method, url)
    _page(client, manager)
    for method, url, data in [
        ("GET", f"/deals/show/{theirs.id}", None),
        ("GET", f"/deals/edit/{theirs.id}", None),
        ("POST", f"/deals/do/move/{theirs.id}", {"stage": "negotiation"}),
        ("POST", f"/deals/do/close/{theirs.id}", {"status": "lost"}),
        ("POST", f"/deals/do/comment/{theirs.id}", {"body": "hello"}),
        ("GET", f"/leads/show/{lead.id}", None),
        ("POST", f"/leads/do/transition/{lead.id}", {"to": "lost"}),
        ("POST", f"/leads/do/convert/{lead.id}", None),
    ]:
        assert client.open(url, method=method, data=data).status_code == 404, (method, url)
    assert theirs.title not in client.get("/pipeline/").data.decode()
    deal_snap.assert_unchanged()
    lead_snap.assert_unchanged()
    assert _fresh(Lead, lead.id).client_id is None


def test_a_deal_cannot_point_at_another_organizations_client_or_contact(client, org, other_org, staff):
    theirs = f.make_client(other_org, None)
    contact = f.make_contact(theirs)
    h = f.auth(staff)
    resp = client.post("/api/v1/deals/", json={"title": "X", "client": theirs.id}, headers=h)
    assert resp.status_code == 422 and "client" in resp.get_json()["message"]
    mine = f.make_client(org, staff)
    resp = client.post("/api/v1/deals/", json={"title": "X", "client": mine.id, "contact": contact.id}, headers=h)
    assert resp.status_code == 422 and "contact" in resp.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deal).where(Deal.organization_id == org.id)) == 0


# ================================================================== leads
@pytest.mark.parametrize(
    "start, target, role, refused",
    [
        ("new", "contacted", "Staff", None),
        ("contacted", "qualified", "Staff", None),
        ("contacted", "lost", "Staff", None),
        ("lost", "contacted", "Staff", Forbidden),
        ("lost", "contacted", "Manager", None),
        ("new", "qualified", "Manager", Conflict),
        ("new", "lost", "Manager", Conflict),
        ("contacted", "new", "Manager", Conflict),
        ("qualified", "contacted", "Manager", Conflict),
        ("qualified", "lost", "Manager", Conflict),
        ("lost", "qualified", "Manager", Conflict),
        ("new", "bogus", "Manager", Invalid),
        ("new", "", "Manager", Invalid),
        ("new", None, "Manager", Invalid),
    ],
)
def test_service_lead_transitions(org, start, target, role, refused):
    user = f.make_user(org, role)
    lead = f.make_lead(org, user, status=start)
    snap = Snapshot(Lead, lead.id, org)
    with context.acting_as(user.id, org.id):
        row = db.session.get(Lead, lead.id)
        if refused:
            with pytest.raises(refused):
                services.set_lead_status(row, target)
        else:
            services.set_lead_status(row, target)
    if refused:
        snap.assert_unchanged()
        assert _fresh(Lead, lead.id).status == start
    else:
        snap.assert_one_status_change("status_change", f"Status {start} → {target}")
        assert _fresh(Lead, lead.id).status == target


@pytest.mark.parametrize(
    "start, target, role, code",
    [
        ("new", "contacted", "Staff", 200),
        ("contacted", "qualified", "Staff", 200),
        ("contacted", "lost", "Staff", 200),
        ("lost", "contacted", "Staff", 403),
        ("lost", "contacted", "Manager", 200),
        ("new", "qualified", "Staff", 409),
        ("qualified", "new", "Manager", 409),
        ("new", "bogus", "Staff", 422),
        ("new", "", "Staff", 422),
        ("contacted", "", "Manager", 422),  # not the default "new" (that would be a 409 rollback)
    ],
)
def test_api_lead_transitions(client, org, start, target, role, code):
    user = f.make_user(org, role)
    lead = f.make_lead(org, user, status=start)
    snap = Snapshot(Lead, lead.id, org)
    resp = client.put(f"/api/v1/leads/{lead.id}", json={"status": target}, headers=f.auth(user))
    assert resp.status_code == code, resp.get_json()
    if code == 200:
        assert resp.get_json()["result"]["status"] == target
        snap.assert_one_status_change("status_change", f"Status {start} → {target}")
    else:
        snap.assert_unchanged()
        assert _fresh(Lead, lead.id).status == start
        if code == 422:
            assert "status" in resp.get_json()["message"]


def test_a_new_lead_starts_new_and_posting_another_status_is_allowed_only_as_a_known_one(client, org, staff):
    h = f.auth(staff)
    resp = client.post("/api/v1/leads/", json={"name": "Fresh Lead"}, headers=h)
    assert resp.status_code == 201
    fresh = _fresh(Lead, resp.get_json()["id"])
    assert (fresh.status, fresh.owner_id) == ("new", staff.id)
    resp = client.post("/api/v1/leads/", json={"name": "Odd Lead", "status": "bogus"}, headers=h)
    assert resp.status_code == 422 and "status" in resp.get_json()["message"]
    resp = client.post("/api/v1/leads/", json={"name": "Odd Lead", "source": "carrier pigeon"}, headers=h)
    assert resp.status_code == 422 and "source" in resp.get_json()["message"]


@pytest.mark.parametrize(
    "start, target, role, changed, message",
    [
        ("new", "contacted", "Staff", True, "is now contacted"),
        ("contacted", "lost", "Staff", True, "is now lost"),
        ("lost", "contacted", "Staff", False, "may not take a lead back"),
        ("lost", "contacted", "Manager", True, "is now contacted"),
        ("new", "qualified", "Staff", False, "A lead cannot go from new to qualified"),
        ("new", "bogus", "Staff", False, "Unknown status"),
    ],
)
def test_page_lead_transitions(client, org, start, target, role, changed, message):
    user = f.make_user(org, role)
    lead = f.make_lead(org, user, status=start)
    _page(client, user)
    snap = Snapshot(Lead, lead.id, org)
    resp = client.post(f"/leads/do/transition/{lead.id}", data={"to": target})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/leads/show/{lead.id}")
    assert message in client.get(resp.headers["Location"]).data.decode()
    if changed:
        snap.assert_one_status_change("status_change")
        assert _fresh(Lead, lead.id).status == target
    else:
        snap.assert_unchanged()
        assert _fresh(Lead, lead.id).status == start


# ------------------------------------------------------------------ conversion
def _assert_converted(org, lead_id, result_ids, owner):
    lead = _fresh(Lead, lead_id)
    deal = db.session.get(Deal, result_ids["deal_id"])
    client_row = db.session.get(Client, result_ids["client_id"])
    contact = db.session.get(Contact, result_ids["contact_id"])
    assert lead.client_id == client_row.id and lead.converted_at is not None and lead.status == "qualified"
    assert (deal.client_id, deal.contact_id, deal.lead_id) == (client_row.id, contact.id, lead.id)
    assert (deal.stage, deal.status, deal.owner_id, client_row.owner_id) == (
        "qualification",
        "open",
        owner.id,
        owner.id,
    )
    assert contact.client_id == client_row.id
    assert {r.organization_id for r in (deal, client_row, contact)} == {org.id}
    # one versioned transaction: the client, contact, deal, lead and the activity
    (client_tx,) = _tx_ids(Client, client_row.id)
    (contact_tx,) = _tx_ids(Contact, contact.id)
    (deal_tx,) = _tx_ids(Deal, deal.id)
    lead_tx = _tx_ids(Lead, lead.id)[-1]
    (activity,) = [a for a in _activities(lead_id=lead.id) if a.kind == "system"]
    assert client_tx == contact_tx == deal_tx == lead_tx == _tx_ids(Activity, activity.id)[0]
    assert (activity.deal_id, activity.client_id) == (deal.id, client_row.id)
    return lead, deal, client_row, contact


def test_service_convert_a_qualified_lead(org, staff):
    lead = f.make_lead(org, staff, name="Ana Lima", company="Lima Ltd", email="ana@lima.example", status="qualified")
    txs = _tx_count(org)
    with context.acting_as(staff.id, org.id):
        deal = services.convert_lead(db.session.get(Lead, lead.id), deal_title="Lima pilot", amount="1500.50")
        ids = {"deal_id": deal.id, "client_id": deal.client_id, "contact_id": deal.contact_id}
    assert _tx_count(org) == txs + 1
    _, deal, client_row, contact = _assert_converted(org, lead.id, ids, staff)
    assert (deal.title, deal.amount) == ("Lima pilot", Decimal("1500.50"))
    assert (client_row.name, client_row.email) == ("Lima Ltd", "ana@lima.example")
    assert (contact.first_name, contact.last_name) == ("Ana", "Lima")


@pytest.mark.parametrize("status", ["new", "contacted", "lost"])
def test_service_converting_a_lead_that_is_not_qualified_is_409(org, staff, status):
    lead = f.make_lead(org, staff, status=status)
    snap = Snapshot(Lead, lead.id, org)
    with context.acting_as(staff.id, org.id), pytest.raises(Conflict, match="qualified"):
        services.convert_lead(db.session.get(Lead, lead.id))
    snap.assert_unchanged()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.organization_id == org.id)) == 0
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"deal_title": "  "}, "deal_title"),
        ({"deal_title": 5}, "deal_title"),
        ({"amount": "abc"}, "amount"),
        ({"amount": -10}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "NaN"}, "amount"),
    ],
)
def test_api_convert_with_bad_values_is_422_and_writes_nothing(client, org, staff, body, field):
    lead = f.make_lead(org, staff, status="qualified")
    snap = Snapshot(Lead, lead.id, org)
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", json=body, headers=f.auth(staff))
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["message"]
    snap.assert_unchanged()
    assert _fresh(Lead, lead.id).converted_at is None


def test_api_convert_then_convert_again(client, org, staff):
    lead = f.make_lead(org, staff, name="Bo Berg", status="qualified")
    h = f.auth(staff)
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", json={"amount": 300}, headers=h)
    assert resp.status_code == 201, resp.get_json()
    result = resp.get_json()["result"]
    assert result["lead_id"] == lead.id
    _, deal, client_row, _ = _assert_converted(org, lead.id, result, staff)
    assert client_row.name == "Bo Berg" and deal.amount == Decimal("300.00")
    snap = Snapshot(Lead, lead.id, org)
    again = client.post(f"/api/v1/leads/{lead.id}/convert", headers=h)
    assert again.status_code == 409
    assert "already converted" in again.get_json()["message"]
    snap.assert_unchanged()
    # and its status is final
    assert client.put(f"/api/v1/leads/{lead.id}", json={"status": "lost"}, headers=h).status_code == 409
    snap.assert_unchanged()


@pytest.mark.parametrize("status", ["new", "contacted", "lost"])
def test_api_converting_a_lead_that_is_not_qualified_is_409(client, org, staff, status):
    lead = f.make_lead(org, staff, status=status)
    snap = Snapshot(Lead, lead.id, org)
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", headers=f.auth(staff))
    assert resp.status_code == 409
    assert f"this one is {status}" in resp.get_json()["message"]
    snap.assert_unchanged()


def test_api_convert_needs_write_permission(client, org):
    viewer = f.make_user(org, "Viewer")
    lead = f.make_lead(org, viewer, status="qualified")
    assert client.post(f"/api/v1/leads/{lead.id}/convert", headers=f.auth(viewer)).status_code == 403
    assert client.post(f"/api/v1/leads/{lead.id}/convert").status_code == 401
    assert _fresh(Lead, lead.id).converted_at is None


def test_page_convert_action(client, org, staff):
    lead = f.make_lead(org, staff, name="Cy Page", company="Page Co", status="qualified")
    not_yet = f.make_lead(org, staff, status="contacted")
    _page(client, staff)
    page = client.get(f"/leads/show/{lead.id}").data.decode()
    assert 'id="convert-btn"' in page
    assert 'id="convert-btn"' not in client.get(f"/leads/show/{not_yet.id}").data.decode()
    resp = client.post(f"/leads/do/convert/{lead.id}")
    assert resp.status_code == 302
    match = re.search(r"/deals/show/(\d+)$", resp.headers["Location"])
    assert match, resp.headers["Location"]
    deal = db.session.get(Deal, int(match.group(1)))
    _assert_converted(
        org, lead.id, {"deal_id": deal.id, "client_id": deal.client_id, "contact_id": deal.contact_id}, staff
    )
    assert "Cy Page converted" in client.get(resp.headers["Location"]).data.decode()
    # twice, and not qualified: refused with the reason, nothing written
    for row, message in ((lead, "already converted"), (not_yet, "Only a qualified lead can be converted")):
        snap = Snapshot(Lead, row.id, org)
        resp = client.post(f"/leads/do/convert/{row.id}", follow_redirects=True)
        assert resp.status_code == 200
        assert message in resp.data.decode()
        snap.assert_unchanged()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deal).where(Deal.organization_id == org.id)) == 1


# ================================================================== open deals block archive/delete
def test_archiving_or_deleting_a_client_with_open_deals_is_409(client, org, staff):
    admin = f.make_user(org, "Admin", admin=True)
    acme = f.make_client(org, staff)
    first, second = _deal(org, staff, client=acme), _deal(org, staff, client=acme, stage="negotiation")
    _deal(org, staff, client=acme, status="won")  # closed deals do not count
    client_versions = f.versions_of(Client, acme.id)
    for method, url, headers in (
        ("POST", f"/api/v1/clients/{acme.id}/archive", f.auth(staff)),
        ("DELETE", f"/api/v1/clients/{acme.id}", f.auth(admin, org)),
    ):
        resp = client.open(url, method=method, headers=headers)
        assert resp.status_code == 409, resp.get_json()
        assert "2 open deal(s)" in resp.get_json()["detail"]
        assert resp.get_json()["message"] == {"open_deals": ["2"]}
    assert f.versions_of(Client, acme.id) == client_versions
    assert _fresh(Client, acme.id).archived_at is None
    h = f.auth(staff)
    assert client.post(f"/api/v1/deals/{first.id}/close", json={"status": "lost"}, headers=h).status_code == 200
    resp = client.post(f"/api/v1/clients/{acme.id}/archive", headers=h)
    assert resp.status_code == 409 and "1 open deal(s)" in resp.get_json()["detail"]
    # an archived open deal does not hold the client either
    assert client.post(f"/api/v1/deals/{second.id}/archive", headers=h).status_code == 200
    assert client.post(f"/api/v1/clients/{acme.id}/archive", headers=h).status_code == 200
    assert _fresh(Client, acme.id).archived_at is not None


def test_archiving_or_deleting_a_contact_with_open_deals_is_409(client, org, staff):
    admin = f.make_user(org, "Admin", admin=True)
    acme = f.make_client(org, staff)
    jane = f.make_contact(acme)
    deal = _deal(org, staff, client=acme, contact_id=jane.id)
    versions = f.versions_of(Contact, jane.id)
    resp = client.post(f"/api/v1/contacts/{jane.id}/archive", headers=f.auth(staff))
    assert resp.status_code == 409 and "This contact has 1 open deal(s)" in resp.get_json()["detail"]
    resp = client.delete(f"/api/v1/contacts/{jane.id}", headers=f.auth(admin, org))
    assert resp.status_code == 409 and "1 open deal(s)" in resp.get_json()["detail"]
    assert f.versions_of(Contact, jane.id) == versions
    assert (
        client.post(f"/api/v1/deals/{deal.id}/close", json={"status": "won"}, headers=f.auth(staff)).status_code == 200
    )
    assert client.post(f"/api/v1/contacts/{jane.id}/archive", headers=f.auth(staff)).status_code == 200


def test_page_archiving_a_client_or_contact_with_open_deals_is_refused(client, org, staff):
    acme = f.make_client(org, staff, name="Busy Page Co")
    jane = f.make_contact(acme)
    deals = [_deal(org, staff, client=acme, contact_id=jane.id) for _ in range(3)]
    versions = f.versions_of(Client, acme.id), f.versions_of(Contact, jane.id)
    _page(client, staff)
    resp = client.post(f"/clients/action/archive/{acme.id}", follow_redirects=True)
    assert "This client has 3 open deal(s)" in resp.data.decode()
    resp = client.post(f"/contacts/action/archive/{jane.id}", follow_redirects=True)
    assert "This contact has 3 open deal(s)" in resp.data.decode()
    resp = client.post(
        "/clients/action_post", data={"action": "archive", "rowid": [str(acme.id)]}, follow_redirects=True
    )
    assert "This client has 3 open deal(s)" in resp.data.decode()
    assert (f.versions_of(Client, acme.id), f.versions_of(Contact, jane.id)) == versions
    assert _fresh(Client, acme.id).archived_at is None and _fresh(Contact, jane.id).archived_at is None
    for deal in deals:
        client.post(f"/deals/do/close/{deal.id}", data={"status": "lost"})
    assert [_state(d.id) for d in deals] == [("closed", "lost")] * 3
    client.post(f"/clients/action/archive/{acme.id}")
    assert _fresh(Client, acme.id).archived_at is not None


def test_page_deleting_a_client_with_open_deals_is_refused(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    acme = f.make_client(org, admin)
    _deal(org, admin, client=acme)
    _page(client, admin)
    resp = client.post(f"/clients/delete/{acme.id}", follow_redirects=True)
    assert "1 open deal(s)" in resp.data.decode()
    assert _fresh(Client, acme.id) is not None


def test_archiving_through_a_service_call_is_refused_too(org, staff):
    acme = f.make_client(org, staff)
    _deal(org, staff, client=acme)
    with context.acting_as(staff.id, org.id), pytest.raises(Conflict, match="1 open deal"):
        core_services.archive(db.session.get(Client, acme.id))
    assert _fresh(Client, acme.id).archived_at is None


# ================================================================== analytics
def _at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day) + timedelta(hours=hour)


@pytest.fixture
def fixture_deals(org, other_org):
    """Seven live deals in `org` (owners a and b), one archived, one in another organization:

    d1 a open qualification   100  2024-01-10
    d2 a open proposal        200  2024-02-29 23:59
    d3 b open negotiation     300  2024-03-10
    d4 a won  from negotiation 1000 2024-03-15
    d5 b won  from qualification 500 2024-04-01 23:30
    d6 b lost in proposal      400  2024-04-15
    d7 a lost in qualification  50  2024-05-01
    archived: a open proposal 9999 2024-03-20; other org: won 7777 2024-03-20
    """
    a, b = f.make_user(org, "Staff"), f.make_user(org, "Staff")
    acme = f.make_client(org, a)
    rows = [
        (a, "qualification", "open", 100, _at("2024-01-10")),
        (a, "proposal", "open", 200, datetime(2024, 2, 29, 23, 59, 59)),
        (b, "negotiation", "open", 300, _at("2024-03-10")),
        (a, "negotiation", "won", 1000, _at("2024-03-15")),
        (b, "qualification", "won", 500, datetime(2024, 4, 1, 23, 30)),
        (b, "proposal", "lost", 400, _at("2024-04-15")),
        (a, "qualification", "lost", 50, _at("2024-05-01")),
    ]
    for owner, stage, status, amount, created in rows:
        _deal(org, owner, client=acme, stage=stage, status=status, amount=amount, created_at=created)
    archived = _deal(org, a, client=acme, stage="proposal", amount=9999, created_at=_at("2024-03-20"))
    with context.acting_as(None, org.id, system=True):
        core_services.archive(db.session.get(Deal, archived.id))
    _deal(other_org, None, stage="proposal", status="won", amount=7777, created_at=_at("2024-03-20"))
    return {"a": a, "b": b}


def _get(client, path, user, **args):
    resp = client.get(f"/api/v1/analytics/deals/{path}", query_string=args, headers=f.auth(user))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["result"]


def _eur(amount: str | None) -> dict[str, str]:
    """The fixture's amounts are all EUR; amounts are per currency, an empty sum is no entry."""
    return {} if amount in (None, "0.00") else {"EUR": amount}


def _summary(by_status, total, win_rate, avg_won, avg_size, pipeline):
    return {
        "by_status": [
            {"status": s, "count": c, "amounts": _eur(a)}
            for s, (c, a) in zip(("open", "won", "lost"), by_status, strict=True)
        ],
        "total": {"count": total[0], "amounts": _eur(total[1])},
        "win_rate": win_rate,
        "average_won_amount": _eur(avg_won),
        "average_deal_size": _eur(avg_size),
        "pipeline_value": _eur(pipeline),
    }


def _funnel(now, reached, conversions):
    stages = ("qualification", "proposal", "negotiation", "closed")
    return [
        {"stage": s, "count": n[0], "amounts": _eur(n[1]), "reached": r, "conversion_to_next": c}
        for s, n, r, c in zip(stages, now, reached, [*conversions, None], strict=True)
    ]


def _without_filters(result):
    return {k: v for k, v in result.items() if k != "filters"}


def test_summary_of_the_whole_organization(client, org, fixture_deals):
    viewer = f.make_user(org, "Viewer")
    result = _get(client, "summary", viewer)
    assert result["filters"] == {"owner_id": None, "date_from": None, "date_to": None}
    assert _without_filters(result) == _summary(
        [(3, "600.00"), (2, "1500.00"), (2, "450.00")], (7, "2550.00"), 0.5, "750.00", "364.29", "600.00"
    )


def test_funnel_of_the_whole_organization(client, org, fixture_deals):
    viewer = f.make_user(org, "Viewer")
    result = _get(client, "funnel", viewer)
    assert result["stages"] == _funnel(
        [(1, "100.00"), (1, "200.00"), (1, "300.00"), (4, "1950.00")], [7, 5, 3, 2], [0.7143, 0.6, 0.6667]
    )
    assert result["conversions"] == [
        {"from": "qualification", "to": "proposal", "rate": 0.7143},
        {"from": "proposal", "to": "negotiation", "rate": 0.6},
        {"from": "negotiation", "to": "closed", "rate": 0.6667},
    ]


def test_analytics_filtered_by_owner(client, org, fixture_deals):
    a, b = fixture_deals["a"], fixture_deals["b"]
    viewer = f.make_user(org, "Viewer")
    result = _get(client, "summary", viewer, owner=str(a.id))
    assert result["filters"]["owner_id"] == a.id
    assert _without_filters(result) == _summary(
        [(2, "300.00"), (1, "1000.00"), (1, "50.00")], (4, "1350.00"), 0.5, "1000.00", "337.50", "300.00"
    )
    funnel = _get(client, "funnel", viewer, owner=str(a.id))
    assert funnel["stages"] == _funnel(
        [(1, "100.00"), (1, "200.00"), (0, "0.00"), (2, "1050.00")], [4, 2, 1, 1], [0.5, 0.5, 1.0]
    )
    # owner=me is the caller
    mine = _get(client, "summary", b, owner="me")
    assert mine["filters"]["owner_id"] == b.id
    assert _without_filters(mine) == _summary(
        [(1, "300.00"), (1, "500.00"), (1, "400.00")], (3, "1200.00"), 0.5, "500.00", "400.00", "300.00"
    )
    # someone who owns nothing: zeros, no ratios
    nobody = _get(client, "summary", viewer, owner="me")
    assert _without_filters(nobody) == _summary(
        [(0, "0.00"), (0, "0.00"), (0, "0.00")], (0, "0.00"), None, None, None, "0.00"
    )
    empty_funnel = _get(client, "funnel", viewer, owner="me")
    assert empty_funnel["stages"] == _funnel([(0, "0.00")] * 4, [0, 0, 0, 0], [None, None, None])


def test_analytics_filtered_by_creation_date(client, org, fixture_deals):
    viewer = f.make_user(org, "Viewer")
    # 2024-03-01..2024-04-01 inclusive: d3, d4 and d5 (created late on the last day); not d2 (Feb 29)
    result = _get(client, "summary", viewer, date_from="2024-03-01", date_to="2024-04-01")
    assert result["filters"] == {"owner_id": None, "date_from": "2024-03-01", "date_to": "2024-04-01"}
    assert _without_filters(result) == _summary(
        [(1, "300.00"), (2, "1500.00"), (0, "0.00")], (3, "1800.00"), 1.0, "750.00", "600.00", "300.00"
    )
    funnel = _get(client, "funnel", viewer, date_from="2024-03-01", date_to="2024-04-01")
    assert funnel["stages"] == _funnel(
        [(0, "0.00"), (0, "0.00"), (1, "300.00"), (2, "1500.00")], [3, 3, 3, 2], [1.0, 1.0, 0.6667]
    )
    # open-ended ranges
    since = _get(client, "summary", viewer, date_from="2024-04-02")
    assert [r["count"] for r in since["by_status"]] == [0, 0, 2] and since["win_rate"] == 0.0
    until = _get(client, "summary", viewer, date_to="2024-02-29")
    assert [r["count"] for r in until["by_status"]] == [2, 0, 0] and until["total"]["amounts"] == {"EUR": "300.00"}
    # owner and dates together
    both = _get(client, "summary", viewer, owner=str(fixture_deals["a"].id), date_from="2024-03-01")
    assert [r["count"] for r in both["by_status"]] == [0, 1, 1]


@pytest.mark.parametrize(
    "args, field",
    [
        ({"owner": "abc"}, "owner"),
        ({"owner": "0"}, "owner"),
        ({"owner": "-3"}, "owner"),
        ({"owner": "1.5"}, "owner"),
        ({"owner": "99999999999"}, "owner"),
        ({"owner": "ME"}, "owner"),
        ({"date_from": "2024-13-01"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "2024/01/01"}, "date_to"),
        ({"date_from": "2024-05-01", "date_to": "2024-04-01"}, "date_to"),
    ],
)
@pytest.mark.parametrize("path", ["summary", "funnel"])
def test_bad_analytics_filters_are_422(client, org, path, args, field):
    viewer = f.make_user(org, "Viewer")
    resp = client.get(f"/api/v1/analytics/deals/{path}", query_string=args, headers=f.auth(viewer))
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["message"]


@pytest.mark.parametrize("path", ["summary", "funnel"])
def test_analytics_need_a_token_and_deal_read(client, org, path):
    assert client.get(f"/api/v1/analytics/deals/{path}").status_code == 401
    for role in ("NoAccess", "HR", "Support"):  # none of them reads deals
        user = f.make_user(org, role)
        assert client.get(f"/api/v1/analytics/deals/{path}", headers=f.auth(user)).status_code == 403, role
    finance = f.make_user(org, "Finance")  # reads deals, writes nothing
    assert client.get(f"/api/v1/analytics/deals/{path}", headers=f.auth(finance)).status_code == 200
    # a browser session is not enough for the API
    _page(client, finance)
    assert client.get(f"/api/v1/analytics/deals/{path}").status_code == 401


def test_analytics_follow_the_active_organization(client, org, other_org):
    user = f.make_user(org, "Viewer")
    f.add_membership(user, other_org, "Viewer")
    _deal(org, None, status="won", amount=10)
    _deal(other_org, None, status="won", amount=20)
    _deal(other_org, None, amount=5)
    here = client.get("/api/v1/analytics/deals/summary", headers=f.auth(user, org)).get_json()["result"]
    there = client.get("/api/v1/analytics/deals/summary", headers=f.auth(user, other_org)).get_json()["result"]
    assert here["total"] == {"count": 1, "amounts": {"EUR": "10.00"}}
    assert there["total"] == {"count": 2, "amounts": {"EUR": "25.00"}}


def test_amounts_of_different_currencies_are_never_added(client, org):
    viewer = f.make_user(org, "Viewer")
    _deal(org, None, amount=100, currency="EUR")
    _deal(org, None, amount=50, currency="USD", stage="proposal")
    _deal(org, None, amount=7, currency="USD", stage="proposal")
    _deal(org, None, amount=1000, currency="JPY", status="won")
    summary = _get(client, "summary", viewer)
    assert summary["pipeline_value"] == {"EUR": "100.00", "USD": "57.00"}
    assert summary["total"] == {"count": 4, "amounts": {"EUR": "100.00", "JPY": "1000", "USD": "57.00"}}
    assert summary["average_deal_size"] == {"EUR": "100.00", "JPY": "1000", "USD": "28.50"}
    proposal = next(s for s in _get(client, "funnel", viewer)["stages"] if s["stage"] == "proposal")
    assert (proposal["count"], proposal["amounts"]) == (2, {"USD": "57.00"})
    # the board and the dashboard show each currency's own total
    _page(client, viewer)
    board = client.get("/pipeline/").data.decode()
    assert "57.00 USD" in _column(board, "deal", "proposal")
    dashboard = client.get("/").data.decode()
    assert "100.00 EUR · 57.00 USD" in dashboard and "157" not in dashboard


# ================================================================== pages
def _column(page: str, kind: str, key: str) -> str:
    start = page.index(f'data-column="{key}" data-kind="{kind}"')
    return page[start : page.index("</section>", start)]


def test_pipeline_board_columns_counts_totals_and_more(client, org, staff):
    acme = f.make_client(org, staff)
    for _ in range(22):
        _deal(org, staff, client=acme, amount=10)
    _deal(org, staff, client=acme, stage="proposal", amount="1234.50", title="Lone Proposal")
    _deal(org, staff, client=acme, status="won", amount=100)
    _deal(org, staff, client=acme, status="lost", amount=50)
    archived = _deal(org, staff, client=acme, stage="negotiation", amount=5000, title="Archived Board Deal")
    with context.acting_as(None, org.id, system=True):
        core_services.archive(db.session.get(Deal, archived.id))
    for status in ("new", "new", "contacted", "lost"):
        f.make_lead(org, staff, status=status)
    _page(client, staff)
    page = client.get("/pipeline/").data.decode()
    qual = _column(page, "deal", "qualification")
    assert '<span class="badge board-count">22</span>' in qual
    assert "220.00" in qual
    assert qual.count('class="board-card deal-card"') == 20
    assert 'href="/deals/list/?_flt_0_stage=qualification">2 more' in qual
    proposal = _column(page, "deal", "proposal")
    assert '<span class="badge board-count">1</span>' in proposal and "1,234.50" in proposal
    assert "Lone Proposal" in proposal and "more" not in proposal
    negotiation = _column(page, "deal", "negotiation")
    assert '<span class="badge board-count">0</span>' in negotiation and "No deals here." in negotiation
    assert "Archived Board Deal" not in page
    closed = _column(page, "deal", "closed")
    assert '<span class="badge board-count">2</span>' in closed and "150.00" in closed
    assert '<span class="badge board-count">2</span>' in _column(page, "lead", "new")
    assert '<span class="badge board-count">1</span>' in _column(page, "lead", "lost")
    assert '<span class="badge board-count">0</span>' in _column(page, "lead", "qualified")


def test_pipeline_board_mine_filter(client, org, staff):
    other = f.make_user(org, "Staff")
    _deal(org, staff, title="My Board Deal")
    _deal(org, other, title="Their Board Deal")
    _page(client, staff)
    everyone = client.get("/pipeline/").data.decode()
    assert "My Board Deal" in everyone and "Their Board Deal" in everyone
    mine = client.get("/pipeline/?mine=1").data.decode()
    assert "My Board Deal" in mine and "Their Board Deal" not in mine
    assert '<span class="badge board-count">1</span>' in _column(mine, "deal", "qualification")


def test_staff_sees_the_refused_backwards_move_on_the_board(client, org, staff):
    deal = _deal(org, staff, stage="negotiation", title="Board Back Deal")
    _page(client, staff)
    snap = Snapshot(Deal, deal.id, org)
    resp = client.post(f"/deals/do/move/{deal.id}", data={"stage": "proposal", "next": "/pipeline/"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/pipeline/")
    page = client.get("/pipeline/").data.decode()
    assert "Board Back Deal: Your role may not move a deal back from negotiation to proposal; a manager can." in page
    assert "Board Back Deal" in _column(page, "deal", "negotiation")
    snap.assert_unchanged()
    # an off-site `next` is ignored
    resp = client.post(f"/deals/do/move/{deal.id}", data={"stage": "negotiation", "next": "//evil.example/"})
    assert resp.headers["Location"].endswith(f"/deals/show/{deal.id}")


def test_the_board_needs_deal_read(client, org):
    hr = f.make_user(org, "HR")
    _page(client, hr)
    resp = client.get("/pipeline/")
    assert resp.status_code in (302, 403)
    assert "deal-board" not in resp.data.decode()


def test_deal_show_page_timeline(client, org, manager):
    deal = _deal(org, manager, title="Timeline Deal")
    f.make_task(org, manager, title="Send the contract", deal_id=deal.id, client_id=deal.client_id)
    h = f.auth(manager)
    client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal"}, headers=h)
    client.post(f"/api/v1/deals/{deal.id}/activities", json={"body": "Buyer wants a discount"}, headers=h)
    client.post(f"/api/v1/deals/{deal.id}/close", json={"status": "won"}, headers=h)
    _page(client, manager)
    page = client.get(f"/deals/show/{deal.id}").data.decode()
    assert 'id="timeline-tab"' in page
    timeline = page[page.index('id="timeline"') :]
    entries = re.findall(r'data-kind="([a-z_]+)">\s*<span[^>]*></span>\s*<strong>([^<]*)</strong>', timeline)
    texts = [t for _, t in entries]
    # newest first; each move once (its activity: the version that wrote it adds nothing more)
    assert texts == [
        "Closed as won from proposal",
        "Buyer wants a discount",
        "Stage qualification → proposal",
        "create · task Send the contract",
        "create · deal Timeline Deal",
    ]
    assert dict(entries)["comment"] == "Buyer wants a discount"
    assert [k for k, _ in entries].count("version") == 2
    assert 'id="comment-form"' in page


def test_deal_show_page_for_a_viewer_has_no_actions(client, org):
    viewer = f.make_user(org, "Viewer")
    deal = _deal(org, viewer)
    _page(client, viewer)
    page = client.get(f"/deals/show/{deal.id}").data.decode()
    assert 'id="timeline-tab"' in page
    assert 'id="comment-form"' not in page and 'id="deal-actions"' not in page
    snap = Snapshot(Deal, deal.id, org)
    client.post(f"/deals/do/move/{deal.id}", data={"stage": "proposal"})
    client.post(f"/deals/do/comment/{deal.id}", data={"body": "hi"})
    snap.assert_unchanged()


def test_client_show_page_timeline_gathers_deals_leads_and_tasks(client, org, manager):
    h = f.auth(manager)
    lead = f.make_lead(org, manager, name="Gathered Lead", company="Gather Co", status="qualified")
    converted = client.post(f"/api/v1/leads/{lead.id}/convert", headers=h).get_json()["result"]
    acme_id, first_deal = converted["client_id"], converted["deal_id"]
    second = _deal(org, manager, client=db.session.get(Client, acme_id), title="Second Gathered Deal")
    f.make_task(org, manager, title="Gathered Task", client_id=acme_id)
    client.post(f"/api/v1/deals/{first_deal}/activities", json={"body": "Comment on the first"}, headers=h)
    client.post(f"/api/v1/deals/{second.id}/move", json={"stage": "negotiation"}, headers=h)
    elsewhere = _deal(org, manager, title="Unrelated Deal")
    client.post(f"/api/v1/deals/{elsewhere.id}/activities", json={"body": "Not for this client"}, headers=h)
    _page(client, manager)
    page = client.get(f"/clients/show/{acme_id}").data.decode()
    assert 'id="timeline-tab"' in page
    for text in (
        "Comment on the first",
        "Stage qualification → negotiation",
        "Converted from lead Gathered Lead",
        "create · task Gathered Task",
        "create · deal Second Gathered Deal",
        "update · lead Gathered Lead",
        "create · client Gather Co",
    ):
        assert text in page, text
    assert "Not for this client" not in page and "Unrelated Deal" not in page
    # each stage change once: its activity, not also the version that wrote it
    assert page.count("Stage qualification → negotiation") == 1
    assert "status change · deal Second Gathered Deal" not in page
    timeline = page[page.index('id="timeline"') :]
    assert timeline.index("Stage qualification → negotiation") < timeline.index("Comment on the first")


def test_the_dashboard_draws_the_charts_locally(client, org, staff):
    _deal(org, staff, status="won", amount=400)
    _deal(org, staff, stage="proposal")
    _deal(org, staff, status="lost", stage="proposal")
    f.make_lead(org, staff, status="contacted")
    _page(client, staff)
    page = client.get("/").data.decode()
    for chart in ("chart-status", "chart-funnel", "chart-leads"):
        assert f'id="{chart}"' in page, chart
    status_chart = page[page.index('id="chart-status"') : page.index('id="chart-funnel"')]
    assert 'data-label="open" data-value="1"' in status_chart
    assert 'data-label="won" data-value="1"' in status_chart
    assert 'data-label="lost" data-value="1"' in status_chart
    funnel_chart = page[page.index('id="chart-funnel"') :]
    assert 'data-label="qualification" data-value="3"' in funnel_chart
    assert 'data-label="proposal" data-value="3"' in funnel_chart
    assert 'data-label="won" data-value="1"' in funnel_chart
    assert "win rate 50%" in page
    external = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["\']?(?:https?:)?//', page, re.I)
    assert external == []
    assert "@import" not in page and "fonts.googleapis" not in page


def test_the_dashboard_without_deal_read_has_no_pipeline(client, org):
    hr = f.make_user(org, "HR")
    _page(client, hr)
    page = client.get("/").data.decode()
    assert 'id="chart-status"' not in page and 'id="chart-funnel"' not in page


def test_my_tasks_lists_only_my_open_tasks_and_marks_overdue_ones(client, org, staff):
    other = f.make_user(org, "Staff")
    today = date.today()
    f.make_task(org, staff, title="Mine Overdue", due_date=today - timedelta(days=3))
    f.make_task(org, staff, title="Mine Later", due_date=today + timedelta(days=5))
    f.make_task(org, staff, title="Mine Undated")
    f.make_task(org, staff, title="Mine Done", due_date=today - timedelta(days=1), done=True)
    f.make_task(org, other, title="Theirs Open", due_date=today - timedelta(days=1))
    f.make_task(org, None, title="Nobodys Task")
    _page(client, staff)
    page = client.get("/tasks/my/list/").data.decode()
    for title in ("Mine Overdue", "Mine Later", "Mine Undated"):
        assert title in page, title
    for title in ("Mine Done", "Theirs Open", "Nobodys Task"):
        assert title not in page, title
    rows = {title: row for row in page.split("<tr")[1:] for title in ("Mine Overdue", "Mine Later") if title in row}
    assert 'class="label label-danger overdue"' in rows["Mine Overdue"]
    assert "overdue" not in rows["Mine Later"]
    # the whole task list has them all; the dashboard panel shows mine, overdue in red
    assert "Theirs Open" in client.get("/tasks/list/").data.decode()
    dash = client.get("/").data.decode()
    panel = dash[dash.index('id="my-tasks"') :]
    assert "Mine Overdue" in panel and "Theirs Open" not in panel and "Mine Done" not in panel
    assert re.search(r'<li class="text-danger overdue">\s*<a href="/tasks/show/\d+">Mine Overdue</a>', panel)


def test_tasks_link_only_to_this_organizations_clients_and_deals(client, org, other_org, staff):
    theirs = _deal(other_org, None)
    h = f.auth(staff)
    resp = client.post("/api/v1/tasks/", json={"title": "X", "deal": theirs.id}, headers=h)
    assert resp.status_code == 422 and "deal" in resp.get_json()["message"]
    resp = client.post("/api/v1/tasks/", json={"title": "X", "client": theirs.client_id}, headers=h)
    assert resp.status_code == 422 and "client" in resp.get_json()["message"]
    mine = _deal(org, staff)
    resp = client.post(
        "/api/v1/tasks/",
        json={"title": "Call back", "deal": mine.id, "assignee": staff.id, "due_date": "2030-01-02"},
        headers=h,
    )
    assert resp.status_code == 201
    shown = client.get(f"/api/v1/tasks/{resp.get_json()['id']}", headers=h).get_json()["result"]
    assert (shown["deal"]["id"], shown["assignee"]["id"], shown["done"]) == (mine.id, staff.id, False)
    resp = client.get("/api/v1/tasks/?q=(filters:!((col:assignee,opr:mine,value:1)))", headers=h)
    assert resp.get_json()["count"] == 1


def test_a_role_without_task_or_lead_read_sees_no_trace_of_them_on_a_client_page(client, org):
    """Related tabs and the timeline obey the matrix: Finance reads clients and deals, not tasks
    or leads — no Tasks tab, no task titles, no lead in the client's timeline."""
    manager = f.make_user(org, "Manager")
    finance = f.make_user(org, "Finance")
    customer = f.make_client(org, manager)
    deal = f.make_deal(org, manager, client=customer, title="Visible deal")
    f.make_task(org, manager, title="Secret follow-up", client_id=customer.id, deal_id=deal.id)
    f.page_login(client, finance)
    html = client.get(f"/clients/show/{customer.id}").get_data(as_text=True)
    assert "Visible deal" in html
    assert "Secret follow-up" not in html
    assert 'href="#TaskView"' not in html and 'href="#DealView"' in html
    other = client.application.test_client()
    f.page_login(other, manager)
    assert "Secret follow-up" in other.get(f"/clients/show/{customer.id}").get_data(as_text=True)


def test_deleting_a_deal_takes_its_activities_with_it_versioned_and_refuses_while_it_has_tasks(client, org):
    admin = f.make_user(org, "Admin", admin=True)
    manager = f.make_user(org, "Manager")
    deal = f.make_deal(org, manager)
    h = f.auth(manager)
    assert client.post(f"/api/v1/deals/{deal.id}/move", json={"stage": "proposal"}, headers=h).status_code == 200
    assert client.post(f"/api/v1/deals/{deal.id}/activities", json={"body": "note"}, headers=h).status_code == 201
    activity_ids = [a["id"] for a in client.get(f"/api/v1/deals/{deal.id}/activities", headers=h).get_json()["result"]]
    assert len(activity_ids) == 2
    task = f.make_task(org, manager, deal_id=deal.id)

    resp = client.delete(f"/api/v1/deals/{deal.id}", headers=f.auth(admin, org))
    assert resp.status_code == 409 and "1 task(s)" in resp.get_json()["message"]
    assert db.session.get(Deal, deal.id) is not None

    assert client.delete(f"/api/v1/tasks/{task.id}", headers=f.auth(admin, org)).status_code == 200
    assert client.delete(f"/api/v1/deals/{deal.id}", headers=f.auth(admin, org)).status_code == 200
    db.session.expire_all()
    assert db.session.scalars(sa.select(Activity).where(Activity.id.in_(activity_ids))).all() == []
    for activity_id in activity_ids:  # removed through the ORM: each removal is a version
        assert [op for op, _ in f.versions_of(Activity, activity_id)][-1] == 2


# ================================================================== found in review: each closed
def _role_with(name: str, grants: list[tuple[str, str]]):
    from flask import current_app

    sm = current_app.appbuilder.sm
    role = sm.find_role(name) or sm.add_role(name)
    for perm, resource in grants:
        sm.add_permission_role(role, sm.add_permission_view_menu(perm, resource))
    db.session.commit()
    return name


def test_a_picker_needs_read_on_the_rows_it_lists(client, org, manager):
    _deal(org, manager, title="Hidden pipeline deal")
    role = _role_with("TasksOnly", [("can_read", "Task"), ("can_write", "Task")])
    user = f.make_user(org, role)
    _page(client, user)
    assert client.get("/tasks/lookup/deal?term=Hidden").status_code == 403
    other = client.application.test_client()
    _page(other, manager)
    found = other.get("/tasks/lookup/deal?term=Hidden").get_json()["results"]
    assert [r["text"] for r in found] == ["Hidden pipeline deal"]


def test_reverting_a_converted_lead_does_not_undo_the_conversion(client, org, manager):
    lead = f.make_lead(org, manager, status="qualified", company="RevCo")
    h = f.auth(manager)
    first_tx = _tx_ids(Lead, lead.id)[0]
    assert client.post(f"/api/v1/leads/{lead.id}/convert", headers=h).status_code == 201
    assert (
        client.post(f"/api/v1/leads/{lead.id}/revert", json={"transaction_id": first_tx}, headers=h).status_code == 200
    )
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", headers=h)
    assert resp.status_code == 409, resp.get_json()
    assert db.session.scalar(sa.select(sa.func.count(Client.id)).where(Client.name == "RevCo")) == 1


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1e400", "10000000000000", "-5"])
def test_amounts_that_are_not_finite_or_too_large_are_422_everywhere(client, org, manager, amount):
    h = f.auth(manager)
    customer = f.make_client(org, manager)
    resp = client.post("/api/v1/deals/", json={"title": "Big", "client": customer.id, "amount": amount}, headers=h)
    assert resp.status_code in (400, 422), resp.get_json()
    deal = _deal(org, manager)
    resp = client.put(f"/api/v1/deals/{deal.id}", json={"amount": amount}, headers=h)
    assert resp.status_code in (400, 422), resp.get_json()
    lead = f.make_lead(org, manager, status="qualified")
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", json={"amount": amount}, headers=h)
    assert resp.status_code == 422, resp.get_json()
    assert _fresh(Lead, lead.id).converted_at is None
    _page(client, manager)
    resp = client.post(
        f"/deals/edit/{deal.id}",
        data={
            "title": deal.title,
            "client": customer.id,
            "amount": amount,
            "currency": "EUR",
            "stage": "qualification",
            "status": "open",
            "version": _fresh(Deal, deal.id).version,
        },
    )
    assert resp.status_code == 200  # the form again, with its error; nothing saved
    assert _fresh(Deal, deal.id).amount == Decimal(100)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/analytics/deals/summary", headers=h).status_code == 200


def test_text_longer_than_its_column_is_422_not_a_500(client, org, manager):
    h = f.auth(manager)
    lead = f.make_lead(org, manager, status="qualified")
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", json={"deal_title": "t" * 300}, headers=h)
    assert resp.status_code == 422 and "deal_title" in resp.get_json()["message"]
    assert _fresh(Lead, lead.id).converted_at is None
    lead = f.make_lead(org, manager, status="qualified", name="x" * 150)  # one word: the contact's first name
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", headers=h)
    assert resp.status_code == 422 and "first_name" in resp.get_json()["message"]
    assert _fresh(Lead, lead.id).converted_at is None


def test_an_open_ended_date_range_is_fine(client, org, manager):
    for path in ("summary", "funnel"):
        resp = client.get(
            f"/api/v1/analytics/deals/{path}?date_to=9999-12-31&date_from=0001-01-01", headers=f.auth(manager)
        )
        assert resp.status_code == 200, resp.get_json()


def test_the_list_action_converts_several_leads(client, org, manager):
    leads = [f.make_lead(org, manager, status="qualified", company=f.unique("Multi ")) for _ in range(2)]
    new = f.make_lead(org, manager)
    _page(client, manager)
    resp = client.post(
        "/leads/action_post", data={"action": "convert", "rowid": [lead.id for lead in leads] + [new.id]}
    )
    assert resp.status_code == 302
    assert [_fresh(Lead, lead.id).converted_at is not None for lead in leads] == [True, True]
    assert _fresh(Lead, new.id).converted_at is None  # not qualified: refused, the others went through


def test_an_open_deal_cannot_sit_on_an_archived_client_or_contact(client, org, manager):
    h = f.auth(manager)
    customer = f.make_client(org, manager)
    jane = f.make_contact(customer)
    deal = _deal(org, manager, client=customer, contact_id=jane.id)
    assert client.post(f"/api/v1/deals/{deal.id}/archive", headers=h).status_code == 200
    assert client.post(f"/api/v1/contacts/{jane.id}/archive", headers=h).status_code == 200
    assert client.post(f"/api/v1/clients/{customer.id}/archive", headers=h).status_code == 200
    resp = client.post(f"/api/v1/deals/{deal.id}/restore", headers=h)
    assert resp.status_code == 409 and "archived" in resp.get_json()["detail"]
    resp = client.post("/api/v1/deals/", json={"title": "On archived", "client": customer.id}, headers=h)
    assert resp.status_code == 409
    other = f.make_client(org, manager)
    resp = client.post(
        "/api/v1/deals/",
        json={"title": "Wrong contact", "client": other.id, "contact": f.make_contact(customer).id},
        headers=h,
    )
    assert resp.status_code == 422 and "contact" in resp.get_json()["message"]


def test_a_new_lead_starts_as_new(client, org, staff):
    h = f.auth(staff)
    resp = client.post("/api/v1/leads/", json={"name": "Skipper", "status": "qualified", "owner": staff.id}, headers=h)
    assert resp.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Lead.id)).where(Lead.name == "Skipper")) == 0


def test_converting_needs_write_on_what_it_creates(client, org):
    role = _role_with("LeadsOnly", [("can_read", "Lead"), ("can_write", "Lead")])
    user = f.make_user(org, role)
    lead = f.make_lead(org, user, status="qualified")
    resp = client.post(f"/api/v1/leads/{lead.id}/convert", headers=f.auth(user))
    assert resp.status_code == 403 and "may not create clients, contacts, deals" in resp.get_json()["message"]
    assert _fresh(Lead, lead.id).converted_at is None


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "https://evil.example/", "/\\evil.example"])
def test_the_next_field_never_leaves_the_site(client, org, manager, target):
    deal = _deal(org, manager)
    _page(client, manager)
    resp = client.post(f"/deals/do/move/{deal.id}", data={"stage": "proposal", "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/deals/show/{deal.id}"), resp.headers["Location"]
