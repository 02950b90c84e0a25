"""The audit log: GET /api/v1/audit/ and the Audit log page (permission can_view_audit on Audit)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, request
from flask_appbuilder import BaseView
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import has_access, permission_name, protect

from app.core import context
from app.core.api import OpsBaseApi, domain_errors
from app.core.audit import ACTIONS, AuditRecord, audit_query, changes_for
from app.core.errors import Invalid
from app.extensions import db

MAX_PAGE_SIZE = 100


def _parse_date(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{name}: not an ISO date", {name: ["Use YYYY-MM-DD or an ISO datetime."]}) from None


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return max(low, min(int(raw), high))
    except ValueError:
        raise Invalid(f"{name}: not an integer", {name: ["Must be an integer."]}) from None


def audit_page(*, with_count: bool = False) -> tuple[int, int, list[dict], bool, int | None]:
    """Read filters from the query string; return (page, page size used, entries, has_more and,
    `with_count`, the capped count of every matching entry)."""
    action = request.args.get("action") or None
    if action and action not in ACTIONS:
        raise Invalid("action: unknown", {"action": [f"One of: {', '.join(ACTIONS)}."]})
    page = _int_arg("page", 0, 0, 10_000_000)
    page_size = _int_arg("page_size", 25, 1, MAX_PAGE_SIZE)
    sm = current_app.appbuilder.sm
    user = context.request_user()
    stmt = audit_query(
        context.current_org_id(),
        include_global=user is not None and sm.is_global_admin(user),
        user=request.args.get("user") or None,
        action=action,
        resource=request.args.get("resource") or None,
        date_from=_parse_date("date_from"),
        date_to=_parse_date("date_to"),
    )
    count = capped_count(stmt) if with_count else None
    rows = db.session.execute(stmt.offset(page * page_size).limit(page_size + 1)).all()
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    changes = changes_for(db.session, [r[0] for r in rows])
    entries = [
        {
            "transaction_id": rec.transaction_id,
            "issued_at": issued_at.isoformat() if issued_at else None,
            "user": username,
            "token": token_name,  # the API token the write was made with, if any
            "organization": rec.organization_id,
            "action": rec.action,
            "resource": rec.resource,
            "record_id": rec.record_id,
            "changes": changes.get(rec.id, {}),
        }
        for rec, issued_at, username, token_name in rows
    ]
    return page, page_size, entries, has_more, count


def capped_count(stmt) -> int:
    """Exact up to OPSHUB_COUNT_CAP entries, then the cap (as every list counts)."""
    cap = current_app.config["OPSHUB_COUNT_CAP"]
    limited = stmt.with_only_columns(AuditRecord.id).order_by(None).limit(cap + 1).subquery()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(limited))
    g._opshub_count_exact = count <= cap
    return min(count, cap)


class AuditApi(OpsBaseApi):
    resource_name = "audit"
    class_permission_name = "Audit"
    method_permission_name = {"get_list": "view_audit"}
    base_permissions = ["can_view_audit"]
    openapi_spec_tag = "Audit"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get_list")
    @domain_errors
    def get_list(self):
        """Audit log of the active organization, newest first.
        Filters: user, action, resource, date_from, date_to; paging: page, page_size.
        ---
        get:
          responses:
            200:
              description: Audit entries
            403:
              $ref: '#/components/responses/403'
        """
        page, page_size, entries, has_more, count = audit_page(with_count=True)
        resp = self.response(200, count=count, has_more=has_more, result=entries)
        resp.headers["X-Page"] = str(page)
        resp.headers["X-Page-Size"] = str(page_size)
        resp.headers["X-Total-Count"] = str(count)
        resp.headers["X-Total-Count-Exact"] = "true" if g.get("_opshub_count_exact", True) else "false"
        return resp


def readable_entries(entries: list[dict]) -> list[dict]:
    """The page's entries with readable changes and a link to each record."""
    from flask import url_for

    from app.core.history import model_for_resource
    from app.core.readable import Readable
    from app.core.registry import registry

    readable = Readable(db.session)
    models = {e["resource"]: model_for_resource(e["resource"]) for e in entries}
    for e in entries:
        if models[e["resource"]] is not None:
            readable.collect(models[e["resource"]], e["changes"])
    readable.resolve()
    out = []
    for e in entries:
        model = models[e["resource"]]
        resource = registry.resource_for_model(model) if model is not None else None
        link = None
        if resource is not None and resource.view is not None and e["record_id"] and e["action"] != "delete":
            link = url_for(f"{resource.view.__name__}.show", pk=e["record_id"])
        changes = readable.render(model, e["changes"]) if model is not None else []
        out.append({**e, "link": link, "readable": changes})
    return out


class AuditView(BaseView):
    route_base = "/audit"
    class_permission_name = "Audit"
    method_permission_name = {"list": "view_audit"}
    base_permissions = ["can_view_audit"]
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        from app.core.errors import DomainError

        error = None
        try:
            page, _, entries, has_more, _ = audit_page()
        except DomainError as exc:
            page, entries, has_more, error = 0, [], False, exc.message
        entries = readable_entries(entries)
        return self.render_template(
            "opshub/audit.html",
            entries=entries,
            page=page,
            has_more=has_more,
            actions=ACTIONS,
            args=request.args,
            error=error,
        )
