"""The command line against a real server: the suite's app (its database: SQLite or PostgreSQL)
served by werkzeug on a free loopback port, once per test session; `opshub` driven through
click's runner — its HTTP goes over the socket, nothing is mocked. Each test gets its own
config directory (so its own session file) and builds its own records with the factories."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from tests import factories as f

ROLES = ("Admin", "Manager", "Staff", "Commercial", "Support", "Viewer", "Finance")


@pytest.fixture(scope="session")
def cli_server(app) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="cli-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def epic(app):
    """An event company: one member per role (username = role, lower case, plus a suffix)."""
    with app.app_context():
        org = f.make_org(f.unique("Epic Events "))
        users = {role: f.make_user(org, role, username=f.unique(role.lower())) for role in ROLES}
        return {"org_id": org.id, "users": {role: (u.id, u.username) for role, u in users.items()}}


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


class Cli:
    def __init__(self, server: str, config_dir, epic: dict):
        self.server = server
        self.config_dir = config_dir
        self.epic = epic
        self.env: dict[str, str] = {"OPSHUB_URL": server, "OPSHUB_CONFIG_DIR": str(config_dir), "COLUMNS": "200"}

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None) -> Result:
        from app.extensions import db
        from opshub_cli.main import cli

        db.session.rollback()  # the test's own reads hold no transaction while the server writes
        runner = CliRunner()
        merged = {**self.env, **(env or {})}
        result = runner.invoke(cli, list(args), input=input, env=merged, catch_exceptions=False, prog_name="opshub")
        return Result(result.exit_code, result.stdout, result.stderr)

    def username(self, role: str) -> str:
        return self.epic["users"][role][1]

    def user(self, role: str):
        from flask_appbuilder.security.sqla.models import User

        from app.extensions import db

        return db.session.get(User, self.epic["users"][role][0])

    @property
    def org(self):
        from app.core.tenancy import Organization
        from app.extensions import db

        return db.session.get(Organization, self.epic["org_id"])

    def login(self, role: str) -> Result:
        result = self("auth", "login", "--username", self.username(role), "--password-stdin", input=f.PASSWORD + "\n")
        assert result.exit_code == 0, result.stderr
        return result


@pytest.fixture
def opshub(cli_server, epic, tmp_path) -> Cli:
    return Cli(cli_server, tmp_path / "config", epic)
