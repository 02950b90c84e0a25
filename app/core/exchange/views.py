"""The export/import pages.

Every resource page gets `GET <route_base>/export/?format=csv|xlsx&<the list's own arguments>`
(`can_export`): the list's filters, search, archived toggle and sort carried over by the Export
button. The change set pages live under /changesets/: the upload form per resource, the preview
(errors highlighted, old → new per field, a progress bar while the dry run or the commit runs),
commit, revert (its dry run shown first), and the list of change sets.
"""

from __future__ import annotations

import functools

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_order_args

from app.core import context
from app.core.errors import DomainError
from app.core.exchange import progress, services
from app.core.exchange.api import IMPORT_LIMIT, TRUE, change_set_or_404, importable_resources, int_arg, may_import
from app.core.exchange.export import export_query, stream_response
from app.core.exchange.presenter import change_set_dict, change_set_list
from app.core.exchange.spec import plan_for
from app.core.registry import registry
from app.core.request_guard import upload_limit
from app.extensions import db

PAGE_SIZE = 50


# ------------------------------------------------------------------ the Export button's route
def _export_view():
    def export(self):
        resource = registry.resource(self.class_permission_name)
        plan = plan_for(resource)
        filters = self.request_filters().get_joined_filters(self.request_base_filters())
        order_column, order_direction = get_order_args().get(self.__class__.__name__) or ("", "")
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        try:
            query = export_query(plan, filters, order_column, order_direction, set(self.order_columns or []))
            return stream_response(plan, query, (request.args.get("format") or "csv").lower())
        except DomainError as exc:
            flash(f"Export: {exc.message}", "danger")
            return redirect(url_for(f"{self.__class__.__name__}.list"))

    return expose("/export/", methods=["GET"])(has_access(export))


def attach_view(view_cls: type) -> None:
    """The export route and what the list template needs to show Export and Import buttons."""
    if "export" in view_cls.__dict__:
        return
    view_cls.export = _export_view()
    view_cls.method_permission_name = {**view_cls.method_permission_name, "export": "export"}
    view_cls.extra_args = {
        **(getattr(view_cls, "extra_args", None) or {}),
        "exchange_resource": view_cls.class_permission_name,
        "exchange_export_url": f"{view_cls.route_base}/export/",
        "exchange_import_url": f"/changesets/import/{view_cls.class_permission_name}",
    }


# ------------------------------------------------------------------ change set pages
def signed_in(f):
    @functools.wraps(f)
    def wraps(self, *args, **kwargs):
        if context.request_user() is None:
            return redirect(self.appbuilder.get_url_for_login_with(request.full_path))
        try:
            return f(self, *args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            if request.accept_mimetypes.best == "application/json" or request.path.startswith("/changesets/analyze"):
                return jsonify(exc.to_dict()), exc.status
            if exc.status == 404:
                abort(404)
            if exc.status == 403:
                abort(403)
            flash(exc.message, "danger")
            for line in getattr(exc, "rows", [])[:20]:
                flash(f"Line {line['row']}: {services._first_message(line['errors'])}", "warning")
            back = kwargs.get("pk")
            return redirect(url_for("ChangeSetView.show", pk=back) if back else url_for("ChangeSetView.list"))

    return wraps


class ChangeSetView(BaseView):
    route_base = "/changesets"
    default_view = "list"

    def _resource_or_404(self, name: str):
        resource = registry.resource(name)
        if resource is None or resource.api is None or resource.view is None:
            abort(404)
        if not self.appbuilder.sm.has_access("can_read", name):
            abort(403)
        if not may_import(name):
            abort(403)
        return resource

    @expose("/list/")
    @signed_in
    def list(self):
        services.expire_stale()
        page = int_arg("page", 0, 1_000_000)
        resources = importable_resources()
        sets, count = change_set_list(resources, request.args.get("resource"), None, page, 25)
        sm = self.appbuilder.sm
        user = context.request_user()
        return self.render_template(
            "opshub/exchange/list.html",
            sets=sets,
            count=count,
            page=page,
            resources=resources,
            may_revert={r for r in resources if sm.view_access(user, "can_revert", r)},
        )

    @expose("/import/<name>", methods=["GET", "POST"])
    @signed_in
    @upload_limit(*IMPORT_LIMIT)
    def upload(self, name):
        resource = self._resource_or_404(name)
        plan = plan_for(resource)
        if request.method == "POST":
            file = request.files.get("file")
            if file is None or not file.filename:
                flash("Choose a CSV or XLSX file to import.", "danger")
            else:
                try:
                    change_set = services.upload(resource, file.stream, file.filename, request.form.get("key"))
                    return redirect(url_for("ChangeSetView.show", pk=change_set.id))
                except DomainError as exc:
                    db.session.rollback()
                    flash(exc.message, "danger")
        return self.render_template(
            "opshub/exchange/upload.html",
            resource=resource,
            plan=plan,
            list_url=url_for(f"{resource.view.__name__}.list"),
            max_mb=int(current_app.config.get("OPSHUB_IMPORT_MAX_BYTES", 32 * 1024 * 1024)) // (1024 * 1024),
        )

    @expose("/show/<int:pk>")
    @signed_in
    def show(self, pk):
        services.expire_stale()
        change_set = change_set_or_404(pk)
        action = request.args.get("action") if request.args.get("action") in services.ROW_ACTIONS_SHOWN else None
        page = int_arg("page", 0, 1_000_000)
        data = change_set_dict(change_set, page=page, page_size=PAGE_SIZE, action=action)
        resource = registry.resource(change_set.resource)
        sm = self.appbuilder.sm
        return self.render_template(
            "opshub/exchange/show.html",
            cs=data,
            action=action,
            page=page,
            page_size=PAGE_SIZE,
            list_url=url_for(f"{resource.view.__name__}.list") if resource and resource.view else None,
            may_revert=sm.view_access(context.request_user(), "can_revert", change_set.resource),
        )

    @expose("/analyze/<int:pk>", methods=["POST"])
    @signed_in
    def analyze(self, pk):
        change_set = services.analyze(change_set_or_404(pk))
        return jsonify(state=change_set.state, summary=change_set.summary())

    @expose("/progress/<int:pk>")
    @signed_in
    def progress(self, pk):
        change_set = change_set_or_404(pk)
        return jsonify(state=change_set.state, progress=progress.read(change_set.id))

    @expose("/commit/<int:pk>", methods=["POST"])
    @signed_in
    def commit(self, pk):
        change_set = services.commit(change_set_or_404(pk))
        s = change_set.summary()
        flash(f"Imported: {s['create']} created, {s['update']} updated, in one transaction.", "success")
        return redirect(url_for("ChangeSetView.show", pk=pk))

    @expose("/revert/<int:pk>", methods=["GET", "POST"])
    @signed_in
    def revert(self, pk):
        change_set = change_set_or_404(pk, permission="can_revert")
        if request.method == "POST":
            force = request.form.get("force", "").lower() in TRUE
            outcome = services.revert(change_set, force=force)
            left = len(outcome["changed_since"])
            flash(
                f"Reverted: {outcome['revert']} record(s) back as before the import"
                + (f"; {left} changed since were left as they are." if left else "."),
                "success",
            )
            return redirect(url_for("ChangeSetView.show", pk=pk))
        outcome = services.revert(change_set, dry=True)
        return self.render_template(
            "opshub/exchange/revert.html", cs=change_set_dict(change_set, page=0, page_size=0), outcome=outcome
        )
