"""Units of work nest: one business action is one transaction (and one Continuum transaction),
however many services it calls; a failure anywhere undoes all of it; the outermost action name
is the one audited; an explicit actor is the one the version and audit rows name; a dry run
tries every step and keeps nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy_continuum import version_class

from app.core import context
from app.core.audit import AuditRecord
from app.core.errors import Conflict, Invalid
from app.core.uow import attempt, dry_run, unit_of_work
from app.core.versioning import transaction_model
from app.crm import services as crm
from app.crm.models import Activity, Client, Deal
from app.extensions import db
from tests import factories as f


def _versions(model, pk) -> list[int]:
    V = version_class(model)
    return list(db.session.scalars(sa.select(V.transaction_id).where(V.id == pk).order_by(V.transaction_id)))


def _audit(resource: str, pk: int) -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(AuditRecord.transaction_id, AuditRecord.action)
        .where(AuditRecord.resource == resource, AuditRecord.record_id == pk)
        .order_by(AuditRecord.id)
    )
    return [tuple(r) for r in rows]


def _activity_count(deal_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Activity).where(Activity.deal_id == deal_id))


@pytest.fixture
def manager(org):
    return f.make_user(org, "Manager")


def test_nested_services_make_one_transaction_and_one_audit_row_per_record(org, manager):
    deal = f.make_deal(org, manager)
    client = f.make_client(org, manager)
    before = _versions(Deal, deal.id)
    with context.acting_as(manager.id, org.id), unit_of_work("bulk_update"):
        crm.move_deal(deal, "proposal")  # a service with a unit of its own
        crm.move_deal(deal, "negotiation")
        client.phone = "+1 555 0100"
    deal_txs = _versions(Deal, deal.id)[len(before) :]
    assert len(deal_txs) == 1
    (tx_id,) = deal_txs
    assert _versions(Client, client.id)[-1] == tx_id
    # the outermost action is the one audited, once per record
    assert [a for a in _audit("Deal", deal.id) if a[0] == tx_id] == [(tx_id, "bulk_update")]
    assert [a for a in _audit("Client", client.id) if a[0] == tx_id] == [(tx_id, "bulk_update")]
    assert db.session.get(transaction_model(), tx_id).action == "bulk_update"


def test_a_failure_in_the_outer_action_after_an_inner_service_leaves_nothing(org, manager):
    deal = f.make_deal(org, manager)
    versions, audit, activities = _versions(Deal, deal.id), _audit("Deal", deal.id), _activity_count(deal.id)
    with pytest.raises(Invalid), context.acting_as(manager.id, org.id), unit_of_work():
        crm.move_deal(deal, "proposal")
        raise Invalid("later step refused")
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage == "qualification"
    assert _versions(Deal, deal.id) == versions
    assert _audit("Deal", deal.id) == audit
    assert _activity_count(deal.id) == activities


def test_an_inner_failure_swallowed_by_the_caller_still_undoes_the_action(org, manager):
    deal = f.make_deal(org, manager)
    other = f.make_deal(org, manager, amount=0)
    versions = _versions(Deal, deal.id)
    with pytest.raises(RuntimeError, match="rolled back as a whole"), context.acting_as(manager.id, org.id):
        with unit_of_work():
            crm.move_deal(deal, "proposal")
            try:
                crm.close_deal(other, "won")  # amount 0: refused by the model rule
            except Invalid:
                pass
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).stage == "qualification"
    assert _versions(Deal, deal.id) == versions


def test_the_inner_units_action_name_does_not_replace_the_outer_one(org, manager):
    client = f.make_client(org, manager)
    with context.acting_as(manager.id, org.id), unit_of_work("import"):
        with unit_of_work("revert"):
            client.tags = "x"
    assert _audit("Client", client.id)[-1][1] == "import"


def test_an_explicit_actor_is_named_by_the_version_and_the_audit(org, manager):
    requester = f.make_user(org, "Staff")
    deal = f.make_deal(org, requester)
    with context.acting_as(manager.id, org.id):
        with unit_of_work(actor=requester):
            crm.move_deal(deal, "proposal")
        tx_id = _versions(Deal, deal.id)[-1]
        assert db.session.get(transaction_model(), tx_id).user_id == requester.id
        assert context.current_user_id() == manager.id  # restored after the action
        # an inner unit may not switch actors within one transaction
        with pytest.raises(RuntimeError), unit_of_work(actor=requester):
            with unit_of_work(actor=manager):
                pass


def test_a_refused_action_is_mapped_and_rolled_back_at_the_outermost_unit(org, manager):
    deal = f.make_deal(org, manager)
    with pytest.raises(Conflict), context.acting_as(manager.id, org.id), unit_of_work():
        with unit_of_work():
            sa.orm.attributes.set_committed_value(deal, "version", 99)  # as if loaded before another write
            deal.title = "changed"
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).title != "changed"


def test_a_dry_run_tries_each_step_in_a_savepoint_and_keeps_nothing(org, manager):
    names = ["Dry One", "  ", "Dry Three"]
    outcome = []
    with context.acting_as(manager.id, org.id), dry_run("import") as session:
        for name in names:
            try:
                with attempt():
                    session.add(Client(name=name))
                outcome.append("ok")
            except Invalid as exc:
                outcome.append(next(iter(exc.fields)))
        # the rows tried so far exist inside the dry run
        assert session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.name.like("Dry %"))) == 2
    assert outcome == ["ok", "name", "ok"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client).where(Client.name.like("Dry %"))) == 0


def test_attempt_is_only_for_dry_runs(org):
    with pytest.raises(RuntimeError), attempt():
        pass
    with pytest.raises(RuntimeError), unit_of_work(), dry_run():
        pass


class _Orig(Exception):
    def __init__(self, text: str, constraint: str | None = None):
        super().__init__(text)
        if constraint is not None:
            self.diag = type("Diag", (), {"constraint_name": constraint})()


def _integrity(text: str, constraint: str | None = None):
    from sqlalchemy.exc import IntegrityError

    return IntegrityError("INSERT ...", {}, _Orig(text, constraint))


def test_a_constraint_message_answers_only_its_own_constraint():
    from app.core.uow import integrity_message
    from app.projects.services import ONE_PRODUCTION_MESSAGE

    # declared by the projects domain, registered when the registry installed it
    assert integrity_message(_integrity("UNIQUE constraint failed: instance.project_id")) == ONE_PRODUCTION_MESSAGE
    assert integrity_message(_integrity("duplicate key", "uq_instance_one_active_production")) == ONE_PRODUCTION_MESSAGE
    # the same column in another constraint is not the one-PRODUCTION rule, and no database text leaks
    for text, constraint in [
        ("NOT NULL constraint failed: instance.project_id", None),
        ("FOREIGN KEY constraint failed", None),
        ('insert or update on table "instance" violates foreign key constraint', "fk_instance_project_id_project"),
        ("UNIQUE constraint failed: instance.project_id, instance.name", None),
    ]:
        message = integrity_message(_integrity(text, constraint))
        assert message != ONE_PRODUCTION_MESSAGE and "instance" not in message and "constraint" not in message
