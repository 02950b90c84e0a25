"""What each domain adds to OpsHub, declared once (NetBox's `netbox/registry.py` and its apps'
`PluginConfig` are the model). Core reads the declarations; it imports no domain.

A domain is one package under `app/` with
    models.py   its models (imported first, before any view, so that Continuum and the mappers
                see every model at once), optional;
    domain.py   `DOMAIN = Domain(...)`: its resources (model, page, API, menu place, named
                permissions, record actions), extra pages and APIs, default role grants,
                dashboard widgets, related tabs on other domains' pages, seed data, scale
                loaders for benchmarks, and constraint messages.
Installing it is one entry in `OPSHUB_DOMAINS` (config.py).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy.orm

from app.core.uow import ConstraintMessage, register_constraint_messages

if TYPE_CHECKING:
    from app.core.actions import RecordAction


BASE_PERMISSIONS = ("can_read", "can_write", "can_delete")
# every resource exports its lists and imports change sets (app/core/exchange)
EXCHANGE_PERMISSIONS = ("can_export", "can_import")


@dataclass(frozen=True)
class Menu:
    label: str
    category: str
    icon: str = ""
    position: int = 0  # order within the domain's menu entries (then declaration order)


@dataclass(frozen=True)
class Resource:
    """A business resource: one model, its generated page and API, one FAB permission name
    (`name`) shared by both, and what may be done to its records."""

    name: str
    model: type
    view: type | None = None
    api: type | None = None
    menu: Menu | None = None
    # named permissions that exist on the resource beyond its views' own (can_edit_all, ...)
    permissions: tuple[str, ...] = ()
    # record actions beyond the generic ones every archivable resource has (archive, restore, revert)
    actions: tuple[RecordAction, ...] = ()
    # export/import (app/core/exchange/spec.py `Exchange`): import columns, match keys, how related
    # records are named; None = defaults read from the resource's column spec
    exchange: Any = None

    @property
    def label(self) -> str:
        return self.menu.label if self.menu else self.name


@dataclass(frozen=True)
class Page:
    """A page that is not a resource's generated one (a board, "my tasks"). `resource` names the
    resource whose `can_read` shows its menu entry in the default roles."""

    view: type
    menu: Menu | None = None
    resource: str | None = None


@dataclass(frozen=True)
class RelatedTab:
    """Show `view`'s rows (related by foreign key) as a tab on `parent`'s record page."""

    parent: str
    view: type


@dataclass(frozen=True)
class Widget:
    """A dashboard panel: `context()` returns the template's variables (or None to skip it);
    shown to roles holding `permission` = (permission, resource)."""

    name: str
    template: str
    context: Callable[[], dict | None]
    permission: tuple[str, str] | None = None
    order: int = 100
    kind: str = "panel"  # "card": a figure in the top row; "panel": a chart or a list below


@dataclass(frozen=True)
class Badge:
    """A navbar entry with a count (the approvals waiting for me): shown to users for whom
    `count()` is not None."""

    label: str
    icon: str
    endpoint: str
    count: Callable[[], int | None]


@dataclass(frozen=True)
class Domain:
    name: str
    label: str = ""
    resources: tuple[Resource, ...] = ()
    pages: tuple[Page, ...] = ()
    apis: tuple[type, ...] = ()
    related_tabs: tuple[RelatedTab, ...] = ()
    # role name -> resource -> permissions granted by default (`flask opshub seed` applies them
    # once; admins edit them afterwards in Security → List Roles)
    grants: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    widgets: tuple[Widget, ...] = ()
    seed: Callable[[Any], None] | None = None
    # `flask opshub seed --scale <name>=N`: bulk loaders for benchmarks (name -> loader(N) -> rows)
    scale: Mapping[str, Callable[[int], int]] = field(default_factory=dict)
    constraint_messages: tuple[ConstraintMessage, ...] = ()
    # policies consulted by app.core.actions.run() before any record action (approvals)
    interceptors: tuple[Callable[..., Any], ...] = ()
    # named permissions this domain adds to every resource (approvals: can_approve)
    resource_permissions: tuple[str, ...] = ()
    # notices on any record's page: notices(item) -> [{"level", "text", "url"}]
    record_notices: tuple[Callable[[Any], list[dict]], ...] = ()
    badges: tuple[Badge, ...] = ()
    # entries this domain adds to records' timelines: entries({resource: [ids]}) -> [{"when",
    # "kind", "text", "user", "resource", "record_id"}] (approvals: requests and decisions)
    timeline: tuple[Callable[[Mapping[str, list[int]]], list[dict]], ...] = ()
    # GET /api/v1/me: key -> value() added to the answer
    me: Mapping[str, Callable[[], Any]] = field(default_factory=dict)


# a grant on "*" is a grant on every installed resource
EVERY_RESOURCE = "*"


class Registry:
    def __init__(self) -> None:
        self.domains: dict[str, Domain] = {}
        self.resources: dict[str, Resource] = {}

    def install(self, domain: Domain) -> None:
        if domain.name in self.domains:
            return
        self.domains[domain.name] = domain
        for resource in domain.resources:
            if resource.name in self.resources:
                raise ValueError(f"Resource {resource.name!r} is declared twice")
            self.resources[resource.name] = resource
        register_constraint_messages(list(domain.constraint_messages))
        from app.core.actions import add_interceptor

        for interceptor in domain.interceptors:
            add_interceptor(interceptor)

    # ---------------------------------------------------------------- lookups
    def resource(self, name: str) -> Resource | None:
        return self.resources.get(name)

    def resource_for_model(self, model: type) -> Resource | None:
        return next((r for r in self.resources.values() if r.model is model), None)

    def model(self, name: str) -> type | None:
        resource = self.resources.get(name)
        return resource.model if resource else None

    def actions_of(self, name: str) -> list[RecordAction]:
        from app.core.actions import generic_actions

        resource = self.resources[name]
        return [*generic_actions(resource.model), *resource.actions]

    def action(self, resource: str, name: str) -> RecordAction | None:
        if resource not in self.resources:
            return None
        return next((a for a in self.actions_of(resource) if a.name == name), None)

    def widgets(self) -> list[Widget]:
        return sorted((w for d in self.domains.values() for w in d.widgets), key=lambda w: w.order)

    # ---------------------------------------------------------------- the default role matrix
    def grants(self) -> dict[str, dict[str, list[str]]]:
        merged: dict[str, dict[str, list[str]]] = {}
        for domain in self.domains.values():
            for role, by_resource in domain.grants.items():
                for resource, perms in by_resource.items():
                    for name in self.resources if resource == EVERY_RESOURCE else [resource]:
                        have = merged.setdefault(role, {}).setdefault(name, [])
                        have.extend(p for p in perms if p not in have)
        return merged

    def notices(self, item) -> list[dict]:
        return [n for d in self.domains.values() for notice in d.record_notices for n in notice(item)]

    def timeline_entries(self, records: Mapping[str, list[int]]) -> list[dict]:
        return [e for d in self.domains.values() for entries in d.timeline for e in entries(records)]

    def badges(self) -> list[Badge]:
        return [b for d in self.domains.values() for b in d.badges]

    def me(self) -> dict[str, Any]:
        return {key: value() for d in self.domains.values() for key, value in d.me.items()}

    def named_permissions(self) -> dict[str, list[str]]:
        """resource -> the permissions that exist on it beyond its views' own: its declared ones
        and those of its record actions."""
        out: dict[str, list[str]] = {}
        for resource in self.resources.values():
            perms = out.setdefault(resource.name, [])
            everywhere = [p for d in self.domains.values() for p in d.resource_permissions]
            for perm in [
                *resource.permissions,
                *(a.permission for a in self.actions_of(resource.name)),
                *everywhere,
            ]:
                if perm not in perms:
                    perms.append(perm)
        return out

    def permission_set(self, name: str) -> list[str]:
        """Every permission of a resource: its pages' and API's own and its named ones. Each view
        sharing the resource declares all of them — FAB deletes a resource's permissions that the
        last view registered on it does not list (and logs "Refused to delete" for those in use)."""
        return sorted({*BASE_PERMISSIONS, *EXCHANGE_PERMISSIONS, *self.named_permissions().get(name, [])})

    def menus(self) -> dict[str, list[tuple[str, str]]]:
        """resource -> the menu entries (label, category) its `can_read` shows."""
        out: dict[str, list[tuple[str, str]]] = {}
        for domain in self.domains.values():
            for resource in domain.resources:
                if resource.menu:
                    out.setdefault(resource.name, []).append((resource.menu.label, resource.menu.category))
            for page in domain.pages:
                if page.menu and page.resource:
                    out.setdefault(page.resource, []).append((page.menu.label, page.menu.category))
        return out


registry = Registry()


def _import_optional(module: str):
    return importlib.import_module(module) if importlib.util.find_spec(module) is not None else None


def load_domains(packages: Sequence[str]) -> Registry:
    """Import every installed domain's models first, configure the mappers (Continuum builds
    its version classes), then read each domain's declaration."""
    for package in packages:
        _import_optional(f"{package}.models")
    sqlalchemy.orm.configure_mappers()
    for package in packages:
        module = importlib.import_module(f"{package}.domain")
        registry.install(module.DOMAIN)
    return registry


def register_views(appbuilder) -> None:
    """Add every declared page and API to FAB, with the record actions attached."""
    from app.core.actions import attach_actions

    for domain in registry.domains.values():
        for tab in domain.related_tabs:
            parent = registry.resources[tab.parent].view
            if tab.view not in parent.related_views:
                parent.related_views = [*parent.related_views, tab.view]
    for domain in registry.domains.values():
        entries: list[tuple[int, int, type, Menu | None]] = []
        for resource in domain.resources:
            actions = registry.actions_of(resource.name)
            for cls in (resource.view, resource.api):
                if cls is not None:
                    attach_actions(cls, resource, actions)
            if resource.view is not None:
                entries.append(
                    (resource.menu.position if resource.menu else 0, len(entries), resource.view, resource.menu)
                )
        for page in domain.pages:
            entries.append((page.menu.position if page.menu else 0, len(entries), page.view, page.menu))
        for _, _, view, menu in sorted(entries, key=lambda e: (e[0], e[1])):
            _share_permissions(view)
            _add_view(appbuilder, view, menu)
        for api in [*(r.api for r in domain.resources if r.api is not None), *domain.apis]:
            _share_permissions(api)
            appbuilder.add_api(api)


def _share_permissions(cls: type) -> None:
    name = getattr(cls, "class_permission_name", None)
    if name in registry.resources:
        cls.base_permissions = registry.permission_set(name)


def _add_view(appbuilder, view, menu: Menu | None) -> None:
    if menu is None:
        appbuilder.add_view_no_menu(view)
    else:
        appbuilder.add_view(view, menu.label, icon=menu.icon, category=menu.category)
