"""One app and one migrated database per test session; every test builds its own organization,
users and records with the factories, so tests never share state through order.

TEST_DATABASE_URL selects the engine (PostgreSQL in CI); by default a SQLite file in a temp dir.
"""

from __future__ import annotations

import contextvars
import os

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from config import TestConfig


class FreshContextClient(FlaskClient):
    """Each request runs in an application context of its own, as in production — not in the
    test's, which would let a request see another's `g`, identity caches and session state."""

    def open(self, *args, **kwargs):
        from flask.globals import _cv_app

        def run():
            _cv_app.set(None)
            # a streamed body (an export) is read inside the request's own context, as a server would
            kwargs.setdefault("buffered", True)
            return super(FreshContextClient, self).open(*args, **kwargs)

        return contextvars.copy_context().run(run)


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "opshub-test.db")
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # `make test` runs pytest-xdist workers
    if worker and url.startswith("postgresql"):
        return _worker_database(url, worker)
    return url


def _worker_database(url: str, worker: str) -> str:
    """Each xdist worker gets a database of its own beside TEST_DATABASE_URL's (test → test_gw0)."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    from flask_migrate import upgrade

    from app import create_app
    from app.core.seed import sync_permissions
    from app.extensions import db

    url = _database_url(tmp_path_factory)
    if url.startswith("postgresql"):
        _reset_postgres(url)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    application = create_app(Config)
    application.test_client_class = FreshContextClient
    with application.app_context():
        upgrade()
        sync_permissions()
        sm = application.appbuilder.sm
        if sm.find_role("NoAccess") is None:
            sm.add_role("NoAccess")
        db.session.commit()
    return application


@pytest.fixture(autouse=True)
def _app_context(app):
    from app.extensions import db

    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


@pytest.fixture(autouse=True)
def _no_default_approvals(request, monkeypatch):
    """The domains' own tests take their sensitive actions directly (as an organization whose
    policy gates nothing); tests/approvals and tests marked `default_approvals` keep the defaults."""
    if "approvals" in request.node.path.parts or request.node.get_closest_marker("default_approvals"):
        return
    monkeypatch.setattr("app.approvals.policy.DEFAULTS", frozenset())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def org():
    from tests.factories import make_org

    return make_org()


@pytest.fixture
def other_org():
    from tests.factories import make_org

    return make_org()
