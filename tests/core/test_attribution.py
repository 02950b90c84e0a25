"""Every write is attributed: user, organization, remote address (behind ProxyFix) and request
id on the transaction row, whatever path made it."""

import sqlalchemy as sa

from app.core.versioning import transaction_model
from app.extensions import db
from tests import factories as f


def _last_tx(user):
    Tx = transaction_model()
    return db.session.scalars(sa.select(Tx).where(Tx.user_id == user.id).order_by(Tx.id.desc())).first()


def test_api_writes_record_user_org_forwarded_address_and_request_id(app, client, org):
    """Behind one proxy (PROXY_FIX_HOPS=1) the forwarded address is the client's."""
    user = f.make_user(org, "Staff")
    headers = {**f.auth(user), "X-Forwarded-For": "203.0.113.7", "X-Request-Id": "req-abc-123"}
    app.config["PROXY_FIX_HOPS"] = 1
    try:
        assert client.post("/api/v1/clients/", json={"name": "Attributed Co"}, headers=headers).status_code == 201
    finally:
        app.config["PROXY_FIX_HOPS"] = 0
    tx = _last_tx(user)
    assert (tx.organization_id, tx.remote_addr, tx.request_id) == (org.id, "203.0.113.7", "req-abc-123")


def test_page_writes_are_attributed_to_the_session_user(client, org):
    user = f.make_user(org, "Staff")
    f.page_login(client, user)
    assert client.post("/clients/add", data={"name": "Page Attributed Co"}).status_code == 302
    tx = _last_tx(user)
    assert tx is not None and tx.organization_id == org.id and tx.request_id


def test_role_permission_edits_are_audited(app, client, org):
    from app.core.audit import AuditRecord

    sm = app.appbuilder.sm
    role = sm.add_role(f.unique("TempRole"))
    before = (
        db.session.query(AuditRecord).filter_by(action="permission_change", resource="Role", record_id=role.id).count()
    )
    role.permissions.append(sm.add_permission_view_menu("can_read", "Client"))
    db.session.commit()
    after = (
        db.session.query(AuditRecord).filter_by(action="permission_change", resource="Role", record_id=role.id).count()
    )
    assert after == before + 1
