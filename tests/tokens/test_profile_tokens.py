"""API tokens on the profile page: created with a name, an organization, an access and an end
date; the secret shown once; listed with their last use; revoked after a confirmation."""

from __future__ import annotations

import re

from app.core.tokens import ApiToken
from app.extensions import db
from tests import factories as f


def test_a_user_creates_lists_and_revokes_a_token_on_their_profile(client, org):
    user = f.make_user(org)
    f.page_login(client, user)
    page = client.get("/profile/").get_data(as_text=True)
    assert 'id="api-tokens"' in page and "No API tokens yet." in page
    resp = client.post(
        "/profile/tokens", data={"name": "backup job", "organization_id": str(org.id), "access": "write"}
    )
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    secret = re.search(r'id="new-token-secret">([^<]+)<', html).group(1)
    token = db.session.query(ApiToken).filter_by(user_id=user.id).one()
    assert (token.name, token.read_only, token.organization_id) == ("backup job", False, org.id)
    assert client.get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    again = client.get("/profile/").get_data(as_text=True)
    assert "backup job" in again and secret not in again and "read and write" in again
    assert "data-confirm=" in again  # revoking asks first
    resp = client.post(f"/profile/tokens/{token.id}/revoke")
    assert resp.status_code == 302
    assert client.get("/api/v1/me/", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_the_profile_form_refuses_bad_tokens_and_others_tokens(client, org, other_org):
    user = f.make_user(org)
    other = f.make_user(org)
    f.page_login(client, other)
    client.post("/profile/tokens", data={"name": "theirs", "organization_id": str(org.id)})
    theirs = db.session.query(ApiToken).filter_by(user_id=other.id).one()
    client.post("/logout/")
    f.page_login(client, user)
    resp = client.post("/profile/tokens", data={"name": "", "organization_id": str(org.id)})
    assert resp.status_code == 422
    resp = client.post("/profile/tokens", data={"name": "x", "organization_id": str(other_org.id)})
    assert resp.status_code == 422 and "An organization you belong to." in resp.get_data(as_text=True)
    resp = client.post(
        "/profile/tokens", data={"name": "x", "organization_id": str(org.id), "expires_at": "2000-01-01"}
    )
    assert resp.status_code == 422 and "future" in resp.get_data(as_text=True)
    assert db.session.query(ApiToken).filter_by(user_id=user.id).count() == 0
    assert client.post(f"/profile/tokens/{theirs.id}/revoke").status_code == 404
    db.session.refresh(theirs)
    assert theirs.revoked_at is None
