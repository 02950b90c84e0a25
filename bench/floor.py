"""The benchmark's floor routes, registered on the real app (in-process and under gunicorn).

- `/_bench_plain`: a trivial route; the round trip of a request and response alone (floor a).
- `/_bench_auth_floor`: the least an authenticated list page can do on this stack. It verifies
  the bearer token with flask-jwt-extended (signature, expiry, and the revoked-token check and
  user load that our loaders run), then runs the raw page query and the raw capped count that the
  API's `count` needs, and returns them as JSON. No FAB, no ORM, no permission check: any real
  list endpoint does at least this work (floor c).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, jsonify
from flask_jwt_extended import verify_jwt_in_request

RAW_PAGE_SQL = (
    "SELECT c.id, c.name, c.email, c.phone, c.website, c.owner_id, u.username, c.tags,"
    " c.archived_at, c.version, c.updated_at"
    " FROM client c LEFT OUTER JOIN ab_user u ON u.id = c.owner_id"
    " WHERE c.organization_id = :org AND c.archived_at IS NULL"
    " ORDER BY c.name, c.id LIMIT 25"
)
RAW_COUNT_SQL = (
    "SELECT count(*) FROM (SELECT c.id FROM client c"
    " WHERE c.organization_id = :org AND c.archived_at IS NULL LIMIT :cap) AS capped"
)


def add_floor_routes(app: Flask) -> None:
    from app.extensions import db

    page, count = sa.text(RAW_PAGE_SQL), sa.text(RAW_COUNT_SQL)
    org_of: dict[str, int] = {}  # looked up once: the floor leaves out even the membership lookup

    def auth_floor():
        verify_jwt_in_request()
        conn = db.session.connection()
        if "demo" not in org_of:
            org_of["demo"] = conn.execute(sa.text("SELECT id FROM organization WHERE slug = 'demo'")).scalar_one()
        org = org_of["demo"]
        rows = conn.execute(page, {"org": org}).all()
        total = conn.execute(count, {"org": org, "cap": app.config["OPSHUB_COUNT_CAP"] + 1}).scalar_one()
        return jsonify(count=min(total, app.config["OPSHUB_COUNT_CAP"]), result=[dict(r._mapping) for r in rows])

    app.add_url_rule("/_bench_plain", "bench_plain", lambda: {"ok": True})
    app.add_url_rule("/_bench_auth_floor", "bench_auth_floor", auth_floor)
