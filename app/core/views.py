"""Base page view for every business resource (FAB ModelView).

Adds: columns from the resource's one column spec; archived rows hidden from lists (a "Show
archived" toggle) without request state on the shared view; the resource's declared record
actions as buttons on its record page (only those the user may take) and as bulk actions on
its list; a History tab with field diffs and Revert; domain errors shown on the form (the typed
input kept); optimistic locking on edit; pickers that search the server as the user types.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.fields import QuerySelectField
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from wtforms import HiddenField
from wtforms.validators import DataRequired

from app.core import actions as record_actions
from app.core import history as history_service
from app.core import services
from app.core.columns import Columns
from app.core.compat import ModelViewInternals, fill_filters_from_request, request_local_filters
from app.core.errors import DomainError, valid_id
from app.core.fields import RemoteSelectField
from app.core.filters import NotArchived, member_pickers, with_quick_search
from app.core.list_limits import capped_page_size
from app.core.models import TenantMixin, require_declared_columns
from app.core.page_actions import RecordActionPages, flash_pending
from app.core.registry import registry
from app.core.scope import capability, may_change
from app.core.uow import unit_of_work
from app.core.widgets import OpsAddFormWidget, OpsFormWidget, OpsListWidget
from app.extensions import db

VIEW_METHODS = {
    "list": "read",
    "show": "read",
    "download": "read",
    "add": "write",
    "edit": "write",
    "delete": "delete",
    "lookup": "read",
    "action": "read",
    "action_post": "read",
    "do": "read",  # a record action: its own permission is checked against its declaration
    "similar": "read",
}
EMPTY = Markup('<span class="text-muted">—</span>')
YES, NO = Markup('<span class="bool-yes" title="Yes">✓</span>'), Markup('<span class="bool-no" title="No">—</span>')


LONG_TEXT = 120  # characters a list cell shows before it folds (the full text on hover)


def _chips(value) -> Markup:
    tags = [t.strip() for t in str(value).split(",") if t.strip()]
    return Markup("").join(Markup('<span class="tag-chip">{}</span>').format(t) for t in tags) or EMPTY


def _readable_value(formatter=None, chips: bool = False):
    """Lists and detail pages show an empty value as a dash (FAB prints "None"), a timestamp to
    the minute (FAB prints microseconds), a yes/no as ✓/—, tags as chips, and a long text folded
    to its first lines with the whole on hover; a column's own formatter sees the rest."""

    def render(value):
        if value is None or value == "":
            return EMPTY
        if formatter is not None:
            return formatter(value)
        if isinstance(value, bool):
            return Markup(
                '<span class="bool-yes" title="Yes">✓</span>' if value else '<span class="bool-no" title="No">—</span>'
            )
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if chips:
            return _chips(value)
        if isinstance(value, str) and len(value) > LONG_TEXT:
            return Markup('<span class="cell-long" title="{}">{}</span>').format(value, value)
        return value

    return render


class OpsModelView(RecordActionPages, ModelViewInternals):
    method_permission_name = VIEW_METHODS
    show_template = "opshub/show.html"
    list_template = "opshub/list.html"
    list_widget = OpsListWidget
    add_widget = OpsAddFormWidget
    edit_widget = OpsFormWidget
    page_size = 25
    edit_form_extra_fields = {"version": HiddenField()}
    related_inline = False  # related lists under the detail instead of in tabs
    columns: Columns | None = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("columns")
        if spec is not None:
            for name, value in spec.page_attributes().items():
                if name not in cls.__dict__:
                    setattr(cls, name, value)

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
        self._picker_depends = self._dependent_pickers(remote)
        for col, (parent, _fk) in self._picker_depends.items():
            remote[col].kwargs["depends_on"] = parent  # (an unbound field: its kwargs reach the bound one)
        self._remote_columns = remote
        self.add_form_extra_fields = {**remote, **(self.add_form_extra_fields or {})}
        self.edit_form_extra_fields = {**remote, **(self.edit_form_extra_fields or {})}
        # filter by a parent with the same searching picker (FAB's would load the whole table)
        self.search_form_extra_fields = {
            col: RemoteSelectField(field.args[0], model=field.kwargs["model"], endpoint=field.kwargs["endpoint"])
            for col, field in remote.items()
            if col in (self.search_columns or ())
        } | (self.search_form_extra_fields or {})
        if self.edit_columns and "version" not in self.edit_columns:
            self.edit_columns = [*self.edit_columns, "version"]
        own = dict(self.formatters_columns or {})
        chips = set(self.columns.chips) if self.columns else set()
        self.formatters_columns = {
            col: _readable_value(own.get(col), chips=col in chips) for col in {*self.list_columns, *self.show_columns}
        }
        super().__init__(**kwargs)
        for form in (self.add_form, self.edit_form, self.search_form):
            for field in vars(form).values():  # FAB's relation selects show "__None" for no choice
                if isinstance(getattr(field, "field_class", None), type) and issubclass(
                    field.field_class, QuerySelectField
                ):
                    field.kwargs["blank_text"] = "—"
        self._not_archived = self._base_filters.copy().add_filter_list([["id", NotArchived, None]])
        self.quick_search_columns = self.columns.quick_columns(self.datamodel.obj) if self.columns else ()

    def _dependent_pickers(self, remote: dict) -> dict[str, tuple[str, str]]:
        """picker -> (the form's other picker it depends on, its foreign key): a deal's contact
        picker offers only the chosen client's contacts; a task's deal picker, the client's deals."""
        out = {}
        for col, field in remote.items():
            target = field.kwargs["model"]
            for rel in sa.inspect(target).relationships:
                if rel.direction.name != "MANYTOONE":
                    continue
                parent = next(
                    (c for c, f in remote.items() if c != col and f.kwargs["model"] is rel.mapper.class_), None
                )
                if parent is not None:
                    out[col] = (parent, next(iter(rel.local_columns)).key)
                    break
        return out

    # ------------------------------------------------------------ request-local state
    def request_filters(self, disallow_if_not_in_search: bool = True):
        """This request's filters from its arguments, on a copy of the view's shared ones."""
        return fill_filters_from_request(request_local_filters(self._filters), disallow_if_not_in_search)

    def show_archived(self) -> bool:
        return request.args.get("include_archived") in ("1", "true", "yes")

    def sort_key(self, column: str) -> str:
        return self.columns.sort_key(self.datamodel.obj, column) if self.columns and column else column

    def search_term(self) -> str:
        return (request.args.get("search") or "").strip()[:200]

    def request_base_filters(self):
        base = self._base_filters if self.show_archived() else self._not_archived
        return with_quick_search(base, self.datamodel, self.quick_search_columns, self.search_term())

    def list_extras(self, rows, filters) -> dict:
        """What the list widget shows beside FAB's values: archived rows, the rows the user may
        change (the owner rule decides the edit and delete buttons), each row's name."""
        pk = self.datamodel.get_pk_name()
        everything = capability("can_edit_all", self.class_permission_name)
        return {
            "archived_pks": {getattr(r, pk) for r in rows if getattr(r, "archived_at", None) is not None},
            "editable_pks": {getattr(r, pk) for r in rows if everything or may_change(r)},
            "labels": {getattr(r, pk): str(r) for r in rows},
            "active_search": self.search_term(),
            "active_filters": bool(filters.filters),
            "clear_url": request.path + ("?include_archived=1" if self.show_archived() else ""),
        }

    def bounded_page_size(self, page_size) -> int:
        return max(1, capped_page_size(int(page_size or self.page_size)))  # psize_<View> capped like the API

    def record_or_404(self, pk):
        """Archived rows too: they are shown, edited, restored and reverted by pk."""
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        return item

    def render_template(self, template, **kwargs):
        if request:
            kwargs.setdefault("show_archived", self.show_archived())
            kwargs.setdefault("search_term", self.search_term())
            kwargs.setdefault("can_search", bool(self.quick_search_columns))
            kwargs.setdefault(
                "search_hint", ", ".join(str(self.label_columns.get(c, c)).lower() for c in self.quick_search_columns)
            )
        return super().render_template(template, **kwargs)

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
        stmt = model.lookup_query(term)
        depends = self._picker_depends.get(col)
        if depends is not None:
            parent = request.args.get(depends[0], "")
            if parent.isdigit() and valid_id(int(parent)):
                stmt = stmt.where(getattr(model, depends[1]) == int(parent))
        stmt = stmt.limit(21).offset((page - 1) * 20)
        rows = list(db.session.scalars(stmt).unique())
        return jsonify(
            results=[{"id": r.id, "text": str(r)} for r in rows[:20]],
            pagination={"more": len(rows) > 20},
        )

    # ------------------------------------------------------------ likely duplicates
    def decorate_form(self, form, pk=None) -> None:
        """What the form template needs beyond FAB's: where to ask for likely duplicates."""
        columns = self.columns.duplicates if self.columns else ()
        form.opshub_similar = {
            col: url_for(f"{self.__class__.__name__}.similar", col=col, exclude=pk or "") for col in columns
        }

    @expose("/similar/<col>", methods=["GET"])
    @has_access
    def similar(self, col):
        """Records whose `col` equals `value` (ignoring case): a likely duplicate, shown on the
        form before saving (the user may still save)."""
        if not self.columns or col not in self.columns.duplicates:
            abort(404)
        value = (request.args.get("value") or "").strip()[:200]
        if not value:
            return jsonify(matches=[])
        model = self.datamodel.obj
        column = getattr(model, col)
        if db.session.get_bind().dialect.name == "sqlite":
            same = column.collate("NOCASE") == value
        else:
            same = sa.func.lower(column) == value.lower()
        stmt = sa.select(model).where(same, model.archived_at.is_(None)).order_by(model.id).limit(5)
        exclude = request.args.get("exclude", "")
        if exclude.isdigit() and valid_id(int(exclude)):
            stmt = stmt.where(model.id != int(exclude))
        rows = db.session.scalars(stmt).unique()
        show = f"{self.__class__.__name__}.show"
        return jsonify(matches=[{"id": r.id, "label": str(r), "url": url_for(show, pk=r.id)} for r in rows])

    # ------------------------------------------------------------ saving (called by compat's FAB flow)
    def form_error(self, form, exc: DomainError) -> None:
        db.session.rollback()
        placed = False
        for field, messages in exc.fields.items():
            target = getattr(form, field, None) or getattr(form, f"{field}_id", None)
            if target is not None:
                target.errors = list(target.errors or []) + list(messages)
                placed = True
        if not placed or exc.status == 409:
            flash(exc.message, "danger")

    @property
    def noun(self) -> str:
        """What one record is called in messages ("Client")."""
        return self.class_permission_name

    def save_new(self, form) -> None:
        item = self.datamodel.obj()
        with db.session.no_autoflush:
            form.populate_obj(item)
        self.pre_add(item)
        with unit_of_work() as session:
            session.add(item)
        self.post_add(item)
        g._opshub_saved_pk = item.id
        flash(f"{self.noun} “{item}” created.", "success")

    def save_edit(self, item, form) -> None:
        services.check_version(item, form.version.data)
        del form.version
        with db.session.no_autoflush:
            form.populate_obj(item)
        self.pre_update(item)
        with unit_of_work():
            pass
        self.post_update(item)
        g._opshub_saved_pk = item.id
        flash(f"{self.noun} “{item}” saved.", "success")

    def delete_record(self, item) -> None:
        label = str(item)
        declared = self._record_actions.get("delete")
        try:
            if declared is not None:
                # a declared delete (a policy may gate it) runs through actions.run() here too
                outcome = record_actions.run(self.class_permission_name, declared, item, {})
                if outcome.pending is not None:
                    flash_pending(outcome.pending)
                    return
            else:
                self.pre_delete(item)
                services.delete(item)
                self.post_delete(item)
            flash(f"{self.noun} “{label}” deleted.", "success")
        except DomainError:
            db.session.rollback()
            raise

    # after a save: to the saved record (or a new form with "Save and add another"); after a
    # delete: to the list
    def post_add_redirect(self):
        if request.form.get("_save_and_add"):
            return redirect(url_for(f"{self.__class__.__name__}.add"))
        return self._to_saved()

    def post_edit_redirect(self):
        return self._to_saved()

    def post_delete_redirect(self):
        return redirect(url_for(f"{self.__class__.__name__}.list"))

    def _to_saved(self):
        pk = g.get("_opshub_saved_pk")
        if pk is None:
            return redirect(self.get_redirect())
        return redirect(url_for(f"{self.__class__.__name__}.show", pk=pk))

    # ------------------------------------------------------------ show + history
    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self.record_or_404(pk)
        widgets = self._show(pk)
        sm = self.appbuilder.sm
        changeable = may_change(item)
        return self.render_template(
            self.show_template,
            pk=pk,
            item=item,
            title=str(item),
            resource_label=self.show_title,
            can_edit_record=changeable
            and self._routed("edit")
            and sm.has_access("can_write", self.class_permission_name),
            can_delete_record=changeable
            and self._routed("delete")
            and sm.has_access("can_delete", self.class_permission_name),
            widgets=widgets,
            related_views=self._related_views,
            history=history_service.humanize(db.session, type(item), history_service.history_for(db.session, item)),
            can_revert=sm.has_access("can_revert", self.class_permission_name),
            record_buttons=self.record_buttons(item),
            view_name=self.__class__.__name__,
            related_inline=self.related_inline,
            hidden_related=self.hidden_related(),
            record_notices=registry.notices(item),
            **self.show_context(item),
        )

    def _routed(self, method: str) -> bool:
        """Does this page have the route (a resource without forms leaves out add/edit/delete)?"""
        return self.include_route_methods is None or method in self.include_route_methods

    def hidden_related(self) -> set[str]:
        """Related views the user may not read: their tab is left out, their rows never queried."""
        sm = self.appbuilder.sm
        return {type(v).__name__ for v in self._related_views if not sm.has_access("can_read", v.class_permission_name)}

    def show_context(self, item) -> dict:
        """Extra template variables for a resource's own show template."""
        return {}
