"""Every dependency on Flask-AppBuilder's and SQLAlchemy-Continuum's private internals, in one
place: the overrides of their private methods, the FAB view names we rely on, and Continuum's
unit-of-work attributes. `PRIVATE_SYMBOLS` lists each with the signature we rely on;
tests/core/test_compat.py checks them all, so an upgrade that removes one or changes its
signature fails loudly, naming it.

The overrides here only adapt FAB's flow; what they do is decided by our public hooks on the
base classes (`request_filters`, `request_base_filters`, `save_new`, `save_edit`, `form_error`,
`hidden_related`, ...).
"""

from __future__ import annotations

import copy
import inspect
import itertools

import sqlalchemy as sa
from flask import flash, request
from flask_appbuilder import ModelView
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.fieldwidgets import DatePickerWidget, DateTimePickerWidget
from flask_appbuilder.models.filters import Filters
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.manager import BaseSecurityManager
from flask_appbuilder.urltools import get_filter_args, get_order_args, get_page_args, get_page_size_args
from markupsafe import Markup
from sqlalchemy.orm import Session
from sqlalchemy_continuum import versioning_manager
from sqlalchemy_continuum.unit_of_work import UnitOfWork
from sqlalchemy_continuum.utils import end_tx_column_name, get_primary_keys, tx_column_name
from wtforms.widgets import html_params

from app.core.errors import DomainError

# ------------------------------------------------------------------ FAB names we rely on
LOGIN_ENDPOINTS = frozenset({"AuthDBView.login", "OpsAuthDBView.login", "SecurityApi.login"})
# FAB's self-service permissions (a user's own profile) and its security views' resource names
SELF_SERVICE = frozenset({("can_userinfo", "UserDBModelView"), ("menu_access", "Security")})
SELF_SERVICE_VIEWS = frozenset({"ResetMyPasswordView", "UserInfoEditView"})
SECURITY_MENUS = frozenset(
    {
        "Security",
        "List Users",
        "List Roles",
        "Permissions",
        "Permission Views",
        "Views/Menus",
        "User's Statistics",
        "List Groups",
        # the list of organizations is global too (app/tenancy OrganizationsView and its menu entry)
        "OrganizationList",
        "Organizations",
    }
)
SECURITY_VIEW_MODULE = "flask_appbuilder.security"


def fab_security_resources(baseviews) -> frozenset[str]:
    """The resource names of FAB's own security views and menus (users, roles, permissions)."""
    names = {
        v.class_permission_name
        for v in baseviews
        if any(c.__module__.startswith(SECURITY_VIEW_MODULE) for c in type(v).__mro__)  # ours subclass theirs
        and type(v).__name__ not in SELF_SERVICE_VIEWS
    }
    return frozenset(names | SECURITY_MENUS)


def request_local_filters(shared):
    """A copy of a view's shared FAB `Filters` for this request alone: FAB fills the shared
    object from each request's arguments, which mixes up concurrent requests. Copying (rather
    than constructing) avoids re-converting every search column."""
    filters = copy.copy(shared)
    filters.filters, filters.values = [], []
    return filters


# ------------------------------------------------------------------ FAB's date widgets
def _date_input_keeping_what_was_typed(self, field, **kwargs):
    """FAB's date pickers render `field.data`, which is None after a value that does not parse:
    the form came back with its error and the typed "2026-13-45" silently gone. Render what was
    typed (`_value()`), as every WTForms widget does."""
    kwargs.setdefault("id", field.id)
    kwargs.setdefault("name", field.name)
    return Markup(self.data_template % {"text": html_params(type="text", value=field._value() or "", **kwargs)})


DatePickerWidget.__call__ = _date_input_keeping_what_was_typed
DateTimePickerWidget.__call__ = _date_input_keeping_what_was_typed


# ------------------------------------------------------------------ ModelView (pages)
class ModelViewInternals(ModelView):
    """FAB's list/add/edit/delete flow with request-local filters and our save hooks."""

    def _list(self, **kwargs):
        name = self.__class__.__name__
        order_column, order_direction = get_order_args().get(name) or ("", "")
        filters = self.request_filters()
        widgets = self._get_list_widget(
            filters=filters,
            order_column=order_column,
            order_direction=order_direction,
            page=get_page_args().get(name),
            page_size=get_page_size_args().get(name),
            **kwargs,
        )
        form = self.search_form.refresh()
        self.update_redirect()
        return self._get_search_widget(form=form, widgets=widgets, filters=filters)

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None, filters=None):
        widgets = widgets or {}
        widgets["search"] = self.search_widget(
            route_base=self.route_base,
            form=form,
            include_cols=self.search_columns,
            exclude_cols=exclude_cols or [],
            filters=filters if filters is not None else request_local_filters(self._filters),
        )
        return widgets

    def _get_list_widget(
        self, filters, actions=None, order_column="", order_direction="", page=None, page_size=None, widgets=None, **kw
    ):
        widgets = widgets or {}
        actions = actions or self.actions
        page_size = self.bounded_page_size(page_size)
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        order_column = self.sort_key(order_column)
        joined_filters = filters.get_joined_filters(self.request_base_filters())
        count, rows = self.datamodel.query(
            joined_filters, order_column, order_direction, page=page, page_size=page_size
        )
        pks = [self._serialize_pk_if_composite(pk) for pk in self.datamodel.get_keys(rows)]
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns,
            include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(rows, self.list_columns),
            order_columns=self.order_columns,
            formatters_columns=self.formatters_columns,
            page=page,
            page_size=page_size,
            count=count,
            pks=pks,
            actions=actions,
            filters=filters,
            modelview_name=self.__class__.__name__,
            **self.list_extras(rows, filters),
            **kw,
        )
        return widgets

    def _fill_form_exclude_cols(self, exclude_cols, form, filters=None):
        filters = filters if filters is not None else request_local_filters(self._filters)
        for key in exclude_cols:
            related = self.datamodel.get_related_obj(key, filters.get_filter_value(key))
            if hasattr(form, key):
                getattr(form, key).data = related

    def _add(self):
        filters = self.request_filters(disallow_if_not_in_search=False)
        exclude_cols = filters.get_relation_cols()
        form = self.add_form.refresh()
        self.decorate_form(form)
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form, filters)
            if form.validate():
                self.process_form(form, True)
                try:
                    self.save_new(form)
                    return None
                except DomainError as exc:
                    self.form_error(form, exc)
        else:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        filters = self.request_filters(disallow_if_not_in_search=False)
        exclude_cols = filters.get_relation_cols()
        item = self.record_or_404(pk)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form, filters)
            form._id = pk
            if form.validate():
                self.process_form(form, False)
                try:
                    self.save_edit(item, form)
                    return None
                except DomainError as exc:
                    if "version" not in form._fields:
                        form = self.edit_form.refresh(request.form)
                    self.form_error(form, exc)
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)
            self.update_redirect()
        self.decorate_form(form, pk)
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        return self._get_related_views_widgets(
            item, orders=get_order_args(), pages=get_page_args(), page_sizes=get_page_size_args(), widgets=widgets
        )

    def _delete(self, pk):
        item = self.record_or_404(pk)
        try:
            self.delete_record(item)
        except DomainError as exc:
            flash(exc.message, "danger")
        self.update_redirect()

    def _get_related_views_widgets(self, item, orders=None, pages=None, page_sizes=None, widgets=None, **args):
        """FAB's, minus the related lists the user may not read (a placeholder keeps the widgets
        aligned with `related_views`, which FAB's edit template indexes)."""
        hidden = self.hidden_related()
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


def fill_filters_from_request(filters, disallow_if_not_in_search: bool = True):
    get_filter_args(filters, disallow_if_not_in_search=disallow_if_not_in_search)
    return filters


# ------------------------------------------------------------------ ModelRestApi / BaseApi
def wrap_fab_api_500(wrapper) -> None:
    """FAB's `@safe` answers any exception with `BaseApi.response_500`: wrap it once so that an
    outage is a 503 and a refused value a 400 (app/core/request_guard.py)."""
    from flask_appbuilder.api import BaseApi

    if not hasattr(BaseApi.response_500, "__wrapped__"):
        BaseApi.response_500 = wrapper(BaseApi.response_500)


def fab_all_filters(filters) -> dict:
    """Every column's filter classes in the order FAB indexes `_flt_<n>_<col>` by."""
    return filters._all_filters


class RestApiInternals(ModelRestApi):
    def _handle_filters_args(self, rison_args):
        return self.request_filters(rison_args)


# ------------------------------------------------------------------ SQLAInterface
class InterfaceInternals(SQLAInterface):
    def query_count(self, query, filters=None, select_columns=None) -> int:
        return self.query_count_of(
            self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        )


# ------------------------------------------------------------------ SecurityManager
class SecurityManagerInternals(BaseSecurityManager):
    """FAB's access checks, answered from the request's permission set (one query)."""

    def _has_view_access(self, user, permission_name: str, view_name: str) -> bool:
        return self.view_access(user, permission_name, view_name)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        if user is None:
            return set()
        return {
            v
            for (p, v) in self.user_permissions(user)
            if p == permission_name
            and (view_menus_name is None or v in view_menus_name)
            and self.view_access(user, p, v)
        }


# ------------------------------------------------------------------ SQLAlchemy-Continuum
def continuum_join_outer_transaction(session: Session) -> None:
    """Give Continuum's unit of work its version session now, outside any savepoint. Created
    lazily at the first flush inside a savepoint, it would own a savepoint of its own that the
    outer one's release leaves dangling ("nested transaction already deassociated")."""
    uow = versioning_manager.unit_of_work(session)
    if uow.version_session is None:
        uow.version_session = sa.orm.Session(bind=session.connection())
        uow.version_session.connection()  # begin now: it joins the outer transaction


# session.info key: this session's flushes write no versions (a dry run, which keeps nothing anyway)
UNVERSIONED_KEY = "opshub_unversioned"


class BatchedValidityUnitOfWork(UnitOfWork):
    """Continuum's unit of work, with the validity strategy's bookkeeping (the previous version's
    `end_transaction_id`) done in one UPDATE per version table and flush instead of a SELECT and an
    autoflush of the version session per row — per row that is 5 ms and grows with the session:
    2,000 rows in one transaction took 10 s of 14. Same rows, same values: the previous version of
    each record is the one with the greatest transaction id below the current one (Continuum's own
    subquery, `fetcher._transaction_id_subquery`)."""

    def process_before_flush(self, session):
        if session.info.get(UNVERSIONED_KEY):
            return
        super().process_before_flush(session)

    def is_modified(self, session):
        """Continuum's test, read from the new, changed and deleted objects only: its own walks every
        object in the session (`utils.versioned_objects`) at every flush, which makes a transaction
        of many flushes quadratic (an import's commit: 100,000 rows, 200 flushes). An object can be
        modified only if it is in one of those three sets."""
        from sqlalchemy_continuum.utils import is_modified_or_deleted

        candidates = itertools.chain(session.new, session.dirty, session.deleted)
        return any(is_modified_or_deleted(obj) for obj in candidates) or any(
            self.manager.plugins.is_session_modified(session)
        )

    def process_after_flush(self, session):
        if session.info.get(UNVERSIONED_KEY):
            return
        super().process_after_flush(session)

    def create_version_objects(self, session):
        if not self.manager.options["versioning"] or self.manager.options["native_versioning"]:
            return
        validity: dict[type, list] = {}
        for _key, operation in copy.copy(self.operations).items():
            if operation.processed:
                continue
            if not self.current_transaction:
                raise Exception("Current transaction not available.")
            target = operation.target
            version_obj = self.get_or_create_version_object(target)
            version_obj.operation_type = operation.type
            self.assign_attributes(target, version_obj)
            self.manager.plugins.after_create_version_object(self, target, version_obj)
            if self.manager.option(target, "strategy") == "validity":
                validity.setdefault(type(version_obj), []).append((target, version_obj))
            operation.processed = True
        self.version_session.flush()
        for version_cls, pairs in validity.items():
            self._end_previous_versions(version_cls, pairs)

    def _end_previous_versions(self, version_cls, pairs) -> None:
        tx_id = self.current_transaction.id
        for class_ in version_cls.__mro__:
            if class_ not in self.manager.parent_class_map:
                continue
            table = class_.__table__
            tx_col, end_col = tx_column_name(class_), end_tx_column_name(class_)
            keys = [pk for pk in get_primary_keys(class_) if pk != tx_col]
            if len(keys) != 1:  # composite keys: Continuum's own way, row by row
                for target, version_obj in pairs:
                    self.update_version_validity(target, version_obj)
                return
            (key,) = keys
            prev = table.alias("prev")
            latest_before = (
                sa.select(sa.func.max(prev.c[tx_col]))
                .where(prev.c[key] == table.c[key], prev.c[tx_col] < tx_id)
                .scalar_subquery()
            )
            ids = sorted({getattr(v, key) for _, v in pairs})
            for start in range(0, len(ids), 500):
                self.version_session.execute(
                    table.update()
                    .where(table.c[key].in_(ids[start : start + 500]), table.c[tx_col] == latest_before)
                    .values({end_col: tx_id}),
                    execution_options={"synchronize_session": False},
                )


def use_batched_validity() -> None:
    versioning_manager.uow_class = BatchedValidityUnitOfWork


def drop_idle_aggregates_listener() -> None:
    """sqlalchemy-utils (a Continuum dependency) listens to every flush of every session for its
    `@aggregated` attributes and walks every object in the session each time, whether any model
    has such an attribute or not (none here). Without any, the listener only costs: it goes."""
    from sqlalchemy_utils import aggregates

    if not aggregates.aggregated_attrs and sa.event.contains(
        Session, "after_flush", aggregates.manager.construct_aggregate_queries
    ):
        sa.event.remove(Session, "after_flush", aggregates.manager.construct_aggregate_queries)


# ------------------------------------------------------------------ marshmallow-sqlalchemy
def _cast_data(data):
    return data


def skip_marshmallow_version_probe() -> None:
    """marshmallow-sqlalchemy's `load()` reads marshmallow's installed version from the package
    metadata on disk on every call, only to pick a `typing.cast` (a no-op): 1.5 ms of each API
    write and each imported row. The cast, without the probe."""
    from marshmallow_sqlalchemy import load_instance_mixin

    load_instance_mixin._cast_data = _cast_data


def continuum_transaction_id(uow: UnitOfWork) -> int:
    return uow.current_transaction.id


def continuum_version_session(uow: UnitOfWork) -> Session:
    return uow.version_session


def continuum_scratch(uow: UnitOfWork, key: str) -> dict:
    """A dict of ours kept on Continuum's unit of work (reset with it at commit/rollback)."""
    return uow.__dict__.setdefault(key, {})


def _sqlalchemy_utils_aggregates():
    from sqlalchemy_utils import aggregates

    return aggregates


def _marshmallow_sqlalchemy_load_mixin():
    from marshmallow_sqlalchemy import load_instance_mixin

    return load_instance_mixin


# ------------------------------------------------------------------ what the test checks
# (owner, attribute, the parameters we rely on, or None for a plain attribute)
PRIVATE_SYMBOLS: list[tuple[object, str, tuple[str, ...] | None]] = [
    (DatePickerWidget, "data_template", None),
    (DateTimePickerWidget, "data_template", None),
    (ModelView, "_list", ("self",)),
    (ModelView, "_get_search_widget", ("self", "form", "exclude_cols", "widgets")),
    (
        ModelView,
        "_get_list_widget",
        ("self", "filters", "actions", "order_column", "order_direction", "page", "page_size", "widgets"),
    ),
    (ModelView, "_fill_form_exclude_cols", ("self", "exclude_cols", "form")),
    (ModelView, "_add", ("self",)),
    (ModelView, "_edit", ("self", "pk")),
    (ModelView, "_delete", ("self", "pk")),
    (ModelView, "_get_related_views_widgets", ("self", "item", "orders", "pages", "page_sizes", "widgets")),
    (ModelView, "_get_related_view_widget", ("self", "item", "related_view", "order_column", "order_direction")),
    (ModelView, "_get_add_widget", ("self", "form", "exclude_cols", "widgets")),
    (ModelView, "_get_edit_widget", ("self", "form", "exclude_cols", "widgets")),
    (ModelView, "_show", ("self", "pk")),
    (ModelView, "_serialize_pk_if_composite", ("self", "pk")),
    (ModelView, "_related_views", None),
    (ModelView, "_base_filters", None),
    (ModelView, "_filters", None),
    (ModelRestApi, "_handle_filters_args", ("self", "rison_args")),
    (ModelRestApi, "_handle_page_args", ("self", "rison_args")),
    (ModelRestApi, "_merge_update_item", ("self", "model_item", "data")),
    (ModelRestApi, "_base_filters", None),
    (ModelRestApi, "response_500", ("self", "message")),
    (ModelRestApi, "_filters", None),
    (Filters, "_all_filters", None),
    (SQLAInterface, "_apply_inner_all", ("self", "query", "filters", "order_column", "order_direction", "page")),
    (BaseSecurityManager, "_has_view_access", ("self", "user", "permission_name", "view_name")),
    (BaseSecurityManager, "_get_user_permission_view_menus", ("self", "user", "permission_name", "view_menus_name")),
    (UnitOfWork, "current_transaction", None),
    (UnitOfWork, "operations", None),
    (UnitOfWork, "process_before_flush", ("self", "session")),
    (UnitOfWork, "is_modified", ("self", "session")),
    (UnitOfWork, "process_after_flush", ("self", "session")),
    (UnitOfWork, "create_version_objects", ("self", "session")),
    (UnitOfWork, "get_or_create_version_object", ("self", "target")),
    (UnitOfWork, "assign_attributes", ("self", "parent_obj", "version_obj")),
    (UnitOfWork, "update_version_validity", ("self", "parent", "version_obj")),
    (type(versioning_manager), "uow_class", None),
    (_marshmallow_sqlalchemy_load_mixin(), "_cast_data", ("data",)),
    (_sqlalchemy_utils_aggregates(), "aggregated_attrs", None),
    (type(_sqlalchemy_utils_aggregates().manager), "construct_aggregate_queries", ("self", "session", "ctx")),
    (UnitOfWork, "version_session", None),
    (UnitOfWork, "reset", ("self", "session")),
    (type(versioning_manager), "unit_of_work", ("self", "session")),
]


def missing_private_symbols() -> list[str]:
    """The private symbols that are gone or whose signature no longer starts as we rely on."""
    problems = []
    for owner, name, params in PRIVATE_SYMBOLS:
        label = f"{getattr(owner, '__module__', '')}.{getattr(owner, '__name__', owner)}.{name}"
        if params is None:
            if not _has_attribute(owner, name):
                problems.append(f"{label}: attribute is gone")
            continue
        member = inspect.getattr_static(owner, name, None)
        if member is None:
            problems.append(f"{label}: method is gone")
            continue
        found = tuple(inspect.signature(member).parameters)
        if found[: len(params)] != params:
            problems.append(f"{label}: signature is now {found}, expected it to start {params}")
    return problems


def _has_attribute(owner, name: str) -> bool:
    """Instance attributes that FAB and Continuum set in __init__/reset: read their source."""
    if inspect.getattr_static(owner, name, None) is not None:
        return True
    for cls in getattr(owner, "__mro__", (owner,)):
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            continue
        if f"self.{name} =" in source or f"self.{name}:" in source:
            return True
    return False
