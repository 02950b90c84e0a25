"""OpsHub application factory."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from urllib.parse import urlencode

import jinja2
import sqlalchemy as sa
from flask import Flask, abort, g, jsonify, request, url_for
from flask_appbuilder import AppBuilder
from werkzeug.routing import IntegerConverter

from app.core.errors import MAX_ID, valid_id
from app.core.request_guard import ConfiguredProxyFix
from app.extensions import csrf, db, include_in_autogenerate, migrate
from config import INSECURE_DEFAULT, config_for_env

log = logging.getLogger(__name__)
REQUEST_SCOPED_G = ("_opshub_", "_login_user", "user", "_jwt_extended")
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def _check_secrets(app: Flask) -> None:
    if app.config.get("OPSHUB_ENV") != "production":
        return
    for key in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = app.config.get(key)
        if not value or value == INSECURE_DEFAULT or len(str(value)) < 16:
            raise RuntimeError(f"{key} must be set to a strong secret in production (OPSHUB_ENV=production).")


def _load_domains(app: Flask) -> None:
    """Core's own models, then the installed domains (OPSHUB_DOMAINS): their models, mappers
    configured (Continuum builds its version classes), their declarations; each domain's
    `templates/` folder joins the template search path."""
    from app.core import audit, numbering, security, tenancy, tokens  # noqa: F401  (the platform's own models)
    from app.core.exchange import models as _exchange  # noqa: F401
    from app.core.registry import load_domains

    packages = list(app.config["OPSHUB_DOMAINS"])
    load_domains(packages)
    folders = [Path(importlib.import_module(p).__file__).parent / "templates" for p in packages]
    loaders = [jinja2.FileSystemLoader(str(f)) for f in folders if f.is_dir()]
    if loaders:
        app.jinja_loader = jinja2.ChoiceLoader([app.jinja_loader, *loaders])


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` routes match only ids an INTEGER column can hold: a bigger one is a 404, not
    a database overflow."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: object | None = None) -> Flask:
    app = Flask(__name__, static_folder="static", static_url_path="/static/opshub")
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.from_object(config or config_for_env())
    _check_secrets(app)
    app.wsgi_app = ConfiguredProxyFix(app)  # type: ignore[method-assign]  # PROXY_FIX_HOPS, 0 by default

    _load_domains(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, include_object=include_in_autogenerate)
    csrf.init_app(app)

    with app.app_context():
        appbuilder = AppBuilder(update_perms=False)
        appbuilder.init_app(app, db.session)
        _register(appbuilder)
        appbuilder.post_init()

    _register_hooks(app)
    from app.cli import opshub_cli

    app.cli.add_command(opshub_cli)
    return app


def _register(appbuilder: AppBuilder) -> None:
    from app.core import exchange
    from app.core.accounts import ProfileView
    from app.core.audit_views import AuditApi, AuditView
    from app.core.describe_api import DescribeApi
    from app.core.registry import register_views, registry
    from app.core.token_api import TokenApi

    exchange.attach(registry)
    register_views(appbuilder)
    appbuilder.add_view_no_menu(ProfileView)
    exchange.register(appbuilder)
    appbuilder.add_view(AuditView, "Audit log", icon="fa-history", category="Security")
    appbuilder.add_api(AuditApi)
    appbuilder.add_api(TokenApi)
    appbuilder.add_api(DescribeApi)


def _register_hooks(app: Flask) -> None:
    from app.core import tenancy
    from app.core.error_pages import register_error_pages
    from app.core.errors import DomainError

    @app.get("/health")
    def health():
        try:
            db.session.execute(sa.text("SELECT 1"))
            return jsonify(status="ok", db="ok")
        except Exception:  # any database failure is "unreachable" for a health check
            log.exception("health check failed")
            db.session.rollback()
            return jsonify(status="error", db="unreachable"), 503

    def _fresh_identity():
        """Identity and per-request caches live on `g`, which belongs to the app context. When a
        caller keeps one app context across requests (tests, scripts), drop what the previous
        request left so that nobody inherits another request's user, token or organization."""
        for key in [k for k in g.__dict__ if k.startswith(REQUEST_SCOPED_G)]:
            g.__dict__.pop(key, None)

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_identity)

    views = {type(v).__name__: v for v in app.appbuilder.baseviews}

    @app.before_request
    def _close_fab_gaps():
        """Two generic FAB page routes, on every ModelView (its security pages too):
        `/download/<filename>` serves any file under UPLOAD_FOLDER to anyone who may read the
        view, with no row scope — OpsHub serves files only through scoped routes of their own;
        and an unknown action name is a 500 — here a 404."""
        endpoint = request.endpoint or ""
        if endpoint.endswith(".download"):
            abort(404)
        for key, value in request.args.items():
            view_arg = key.startswith(("psize_", "page_")) and key.split("_", 1)[1] in views  # page_<View>
            if view_arg and not (value.isdigit() and int(value) <= 1_000_000):
                abort(400)  # FAB int()s these: a ValueError, a 500
            if key.startswith("_oc_"):
                view = views.get(key[4:])
                if view is None or value not in (getattr(view, "order_columns", None) or []):
                    abort(400)  # FAB sorts by any name given: an SQL compile error, a 500
        pk = (request.view_args or {}).get("pk")
        if isinstance(pk, str) and not (pk.isdigit() and valid_id(int(pk))):
            abort(404)  # FAB's page routes take `<pk>` as text and hand it to the database
        if endpoint.endswith(".action"):
            name = (request.view_args or {}).get("name")
        elif endpoint.endswith(".action_post") and request.method == "POST":
            name = request.form.get("action")
        else:
            return None
        view = views.get(request.blueprint)
        if view is not None and name not in getattr(view, "actions", {}):
            abort(404)
        return None

    @app.errorhandler(OverflowError)
    @app.errorhandler(sa.exc.DataError)
    @app.errorhandler(sa.exc.CompileError)
    def _garbage_reached_the_database(exc: Exception):
        """Last line: a value the database cannot take (a 30-digit number, an unknown sort
        column in a page's query string) is the client's error, not a 500."""
        log.warning("bad input reached the database: %s", exc)
        db.session.rollback()
        if request.path.startswith("/api/"):
            return jsonify(message="Invalid value in the request."), 400
        return "Bad request: an invalid value in the address or the form.", 400, {"Content-Type": "text/plain"}

    register_error_pages(app)

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        """Domain errors raised outside an API handler's own mapping, e.g. an unknown
        X-Organization-Id met while FAB's @protect resolves the user's roles: 404, not 500."""
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status

    @app.context_processor
    def _org_helpers():
        def opshub_orgs():
            try:
                return tenancy.organizations_for_switcher()
            except DomainError:
                return []

        def opshub_active_org():
            try:
                return tenancy.resolve_active_organization()
            except DomainError:
                return None

        def opshub_badges():
            """The navbar's counted entries the user has (approvals waiting for me)."""
            from app.core.registry import registry

            out = []
            for badge in registry.badges():
                try:
                    count = badge.count()
                except DomainError:
                    count = None
                if count is not None:
                    out.append(
                        {"label": badge.label, "icon": badge.icon, "url": url_for(badge.endpoint), "count": count}
                    )
            return out

        return {"opshub_orgs": opshub_orgs, "opshub_active_org": opshub_active_org, "opshub_badges": opshub_badges}

    app.jinja_env.tests["startingwith"] = lambda value, prefix: str(value).startswith(prefix)

    @app.template_filter("combine_page")
    def _combine_page(args: dict, page: int) -> str:
        return urlencode({**args, "page": page})

    @app.teardown_request
    def _reset_unit_of_work(_exc):
        for key in [k for k in db.session.info if k.startswith("opshub_")]:
            db.session.info.pop(key, None)

    from app.core import headers, openapi, request_guard

    request_guard.install(app)
    headers.install(app)
    openapi.install(app)
