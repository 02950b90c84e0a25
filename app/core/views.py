"""Base page view for every business resource (FAB ModelView).

Adds: archived rows hidden from lists (a "Show archived" toggle), archive/restore actions
(single and bulk), a History tab with field diffs and Revert buttons on show pages, domain
errors shown on the form (the typed input is kept), and optimistic locking on edit.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.actions import action
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args, get_page_args, get_page_size_args
from markupsafe import Markup
from wtforms import HiddenField
from wtforms.validators import DataRequired

from app.core import history as history_service
from app.core import services
from app.core.errors import DomainError
from app.core.fields import RemoteSelectField
from app.core.filters import NotArchived, member_pickers
from app.core.list_limits import capped_page_size
from app.core.models import TenantMixin, require_declared_columns
from app.core.request_guard import local_target
from app.extensions import db

VIEW_METHODS = {
    "list": "read",
    "show": "read",
    "download": "read",
    "add": "write",
    "edit": "write",
    "delete": "delete",
    "archive": "archive",
    "restore": "archive",
    "revert": "revert",
    "lookup": "read",
    "action": "read",
    "action_post": "read",
}
# What a resource's generated views register. FAB deletes the permissions of a resource that the
# last view registered on it does not list, so a custom view sharing the resource (the pipeline
# board, the analytics API on "Deal") declares this whole set as its base_permissions.
RESOURCE_PERMISSIONS = sorted({f"can_{p}" for p in VIEW_METHODS.values()})


EMPTY = Markup('<span class="text-muted">—</span>')


def _readable_value(formatter=None):
    """Lists and detail pages show an empty value as a dash (FAB prints "None") and a timestamp
    to the minute (FAB prints microseconds); a column's own formatter sees the rest."""

    def render(value):
        if value is None:
            return EMPTY
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        return formatter(value) if formatter is not None else value

    return render


class OpsModelView(ModelView):
    method_permission_name = VIEW_METHODS
    show_template = "opshub/show.html"
    list_template = "opshub/list.html"
    page_size = 25
    edit_form_extra_fields = {"version": HiddenField()}
    related_inline = False  # related lists under the detail instead of in tabs

    def __init__(self, **kwargs):
        require_declared_columns(self)
        columns = {*self.add_columns, *self.edit_columns, *self.search_columns}
        rels = member_pickers(self.datamodel, columns)
        remote = {}
        for col in columns:
            if not self.datamodel.is_relation(col):
                continue
            target = self.datamodel.get_related_model(col)
            if issubclass(target, TenantMixin) and self.datamodel.is_relation_many_to_one(col):
                # a tenant table may hold a million rows: search it as the user types
                remote[col] = RemoteSelectField(
                    (self.label_columns or {}).get(col) or col.replace("_", " ").title(),
                    model=target,
                    endpoint=f"{self.route_base}/lookup/{col}",
                    validators=[] if self.datamodel.is_nullable(col) else [DataRequired()],
                )
        self.add_form_query_rel_fields = {**rels, **(self.add_form_query_rel_fields or {})}
        self.edit_form_query_rel_fields = {**rels, **(self.edit_form_query_rel_fields or {})}
        self.search_form_query_rel_fields = {**rels, **(self.search_form_query_rel_fields or {})}
        self._remote_columns = remote
        self.add_form_extra_fields = {**remote, **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {**remote, **(self.edit_form_extra_fields or {})}
        # FAB's search widget would load the whole related table into a dropdown
        if self.search_columns:
            self.search_columns = [c for c in self.search_columns if c not in remote]
        if self.edit_columns and "version" not in self.edit_columns:
            self.edit_columns = [*self.edit_columns, "version"]
        own = dict(self.formatters_columns or {})
        self.formatters_columns = {
            col: _readable_value(own.get(col)) for col in {*self.list_columns, *self.show_columns}
        }
        super().__init__(**kwargs)

    def _item_or_404(self, pk):
        """Archived rows too: they are shown, edited, restored and reverted by pk."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return item

    # ------------------------------------------------------------ remote selects
    @expose("/lookup/<col>", methods=["GET"])
    @has_access
    def lookup(self, col):
        """Up to 20 rows of a related tenant table matching `term` (select2's format)."""
        field = self._remote_columns.get(col)
        if field is None:
            abort(404)
        model = field.kwargs["model"]
        if not self.appbuilder.sm.has_access("can_read", model.resource_name()):
            abort(403)  # a picker lists the target's rows: it needs the target's read permission
        term = (request.args.get("term") or "").strip()[:100]
        try:
            page = max(1, min(int(request.args.get("page", 1)), 1000))
        except ValueError:
            page = 1
        stmt = model.lookup_query(term).limit(21).offset((page - 1) * 20)
        rows = list(db.session.scalars(stmt).unique())
        return jsonify(
            results=[{"id": r.id, "text": str(r)} for r in rows[:20]],
            pagination={"more": len(rows) > 20},
        )

    # ------------------------------------------------------------ lists
    def _show_archived(self) -> bool:
        return request.args.get("include_archived") in ("1", "true", "yes")

    def _get_list_widget(self, filters, *args, **kwargs):
        kwargs["page_size"] = capped_page_size(kwargs.get("page_size"))  # psize_<View> capped like the API
        base = self._base_filters
        if not self._show_archived():
            self._base_filters = base.copy().add_filter_list([["id", NotArchived, None]])
        try:
            return super()._get_list_widget(filters, *args, **kwargs)
        finally:
            self._base_filters = base

    def render_template(self, template, **kwargs):
        kwargs.setdefault("show_archived", self._show_archived() if request else False)
        return super().render_template(template, **kwargs)

    # ------------------------------------------------------------ forms
    def _form_error(self, form, exc: DomainError) -> None:
        db.session.rollback()
        placed = False
        for field, messages in exc.fields.items():
            target = getattr(form, field, None) or getattr(form, f"{field}_id", None)
            if target is not None:
                target.errors = list(target.errors or []) + list(messages)
                placed = True
        if not placed or exc.status == 409:
            flash(exc.message, "danger")

    def _add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                try:
                    with db.session.no_autoflush:
                        form.populate_obj(item)
                    self.pre_add(item)
                    with services.unit_of_work() as session:
                        session.add(item)
                    self.post_add(item)
                    flash(self.add_row_message, "success")
                    return None
                except DomainError as exc:
                    self._form_error(form, exc)
        else:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        item = self._item_or_404(pk)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk
            if form.validate():
                self.process_form(form, False)
                try:
                    services.check_version(item, form.version.data)
                    del form.version
                    with db.session.no_autoflush:
                        form.populate_obj(item)
                    self.pre_update(item)
                    with services.unit_of_work():
                        pass
                    self.post_update(item)
                    flash(self.edit_row_message, "success")
                    return None
                except DomainError as exc:
                    if "version" not in form._fields:
                        form = self.edit_form.refresh(request.form)
                    self._form_error(form, exc)
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
            self.update_redirect()
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        return self._get_related_views_widgets(
            item,
            filters={},
            orders=get_order_args(),
            pages=get_page_args(),
            page_sizes=get_page_size_args(),
            widgets=widgets,
        )

    def _delete(self, pk):
        item = self._item_or_404(pk)
        try:
            self.pre_delete(item)
            services.delete(item)
            self.post_delete(item)
            flash(self.delete_row_message, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        self.update_redirect()

    # ------------------------------------------------------------ show + history
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self._item_or_404(pk)
        widgets = self._show(pk)
        sm = self.appbuilder.sm
        return self.render_template(
            self.show_template,
            pk=pk,
            item=item,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            history=history_service.humanize(db.session, type(item), history_service.history_for(db.session, item)),
            can_revert=sm.has_access("can_revert", self.class_permission_name),
            can_archive=sm.has_access("can_archive", self.class_permission_name),
            view_name=self.__class__.__name__,
            related_inline=self.related_inline,
            hidden_related=self._hidden_related(),
            **self.show_context(item),
        )

    def _hidden_related(self) -> set[str]:
        """Related views the user may not read: their tab is left out, their rows never queried."""
        sm = self.appbuilder.sm
        return {type(v).__name__ for v in self._related_views if not sm.has_access("can_read", v.class_permission_name)}

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        """FAB's, minus the related lists the user may not read (a placeholder keeps the widgets
        aligned with `related_views`, which FAB's edit template indexes)."""
        hidden = self._hidden_related()
        widgets = widgets or {}
        widgets["related_views"] = []
        for view in self._related_views:
            name = type(view).__name__
            if name in hidden:
                widgets["related_views"].append(lambda **_: Markup('<p class="text-muted">Not available.</p>'))
                continue
            order_column, order_direction = (orders or {}).get(name) or ("", "")
            widgets["related_views"].append(
                self._get_related_view_widget(
                    item,
                    view,
                    order_column,
                    order_direction,
                    page=(pages or {}).get(name),
                    page_size=(page_sizes or {}).get(name),
                )
            )
        return widgets

    def show_context(self, item) -> dict:
        """Extra template variables for a resource's own show template."""
        return {}

    @expose("/revert/<int:pk>", methods=["POST"])
    @has_access
    def revert(self, pk):
        item = self._item_or_404(pk)
        try:
            tx = int(request.form.get("transaction_id", ""))
            history_service.revert(db.session, item, tx)
            flash(f"Reverted to the state of transaction {tx}.", "success")
        except ValueError:
            flash("Choose a version to revert to.", "danger")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        return redirect(url_for(f"{self.__class__.__name__}.show", pk=pk))

    # ------------------------------------------------------------ archive / restore
    def _attempt(self, label: str, change, done=None) -> bool:
        """A domain action from a page: a refusal flashes the rule's message (the session rolled
        back, nothing written); success flashes `done()` when given."""
        try:
            change()
        except DomainError as exc:
            db.session.rollback()
            flash(f"{label}: {exc.message}", "danger")
            return False
        if done is not None:
            flash(done(), "success")
        return True

    def _bulk(self, items, fn, verb: str):
        items = items if isinstance(items, list) else [items]
        done = 0
        for item in items:
            if item is not None:
                done += self._attempt(str(item), lambda item=item: fn(item))
        if done:
            flash(f"{verb} {done} record(s).", "success")
        return redirect(local_target(request.referrer) or url_for(f"{self.__class__.__name__}.list"))

    @action(
        "archive", "Archive", "Archive the selected records? They leave the list and can be restored.", "fa-archive"
    )
    def archive(self, items):
        return self._bulk(items, services.archive, "Archived")

    @action("restore", "Restore", "Restore the selected records?", "fa-undo")
    def restore(self, items):
        return self._bulk(items, services.restore, "Restored")
