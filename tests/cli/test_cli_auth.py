"""`opshub auth`: login with a hidden password, the session file (0600, in a 0700 directory),
whoami, logout revoking the session on the server, the 30-minute idle end, refresh, API tokens
from OPSHUB_TOKEN, an unreachable server, exit codes."""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from datetime import timedelta

import requests

from opshub_cli import exits
from tests import factories as f


def _session(opshub) -> dict:
    return json.loads((opshub.config_dir / "session.json").read_text())


def test_login_asks_for_the_password_without_showing_it_and_keeps_a_private_session(opshub):
    result = opshub("auth", "login", input=f"{opshub.username('Staff')}\n{f.PASSWORD}\n")
    assert result.exit_code == 0, result.stderr
    assert "Password:" in result.stderr and f.PASSWORD not in result.stderr + result.stdout
    assert "Logged in" in result.stderr
    path = opshub.config_dir / "session.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(opshub.config_dir).st_mode) == 0o700
    session = _session(opshub)
    assert session["username"] == opshub.username("Staff") and session["refresh_token"]
    me = opshub("auth", "whoami", "--json").json()
    assert me["username"] == opshub.username("Staff") and me["roles"] == ["Staff"]
    assert me["organization"]["id"] == opshub.epic["org_id"]
    table = opshub("--output", "table", "auth", "whoami")
    assert "Organization" in table.stdout and "Staff" in table.stdout


def test_a_wrong_password_is_refused_with_exit_4(opshub):
    result = opshub("auth", "login", "-u", opshub.username("Staff"), "--password-stdin", input="nope\n")
    assert result.exit_code == exits.FORBIDDEN
    assert result.stderr.strip().splitlines()[-1] == "Error: Wrong username or password."
    assert not (opshub.config_dir / "session.json").exists()


def test_commands_need_a_login(opshub):
    result = opshub("customer", "list")
    assert result.exit_code == exits.FORBIDDEN and "opshub auth login" in result.stderr
    assert "Log in (opshub auth login)" in opshub("--help").stdout


def test_logout_revokes_the_session_on_the_server(opshub):
    opshub.login("Staff")
    access = _session(opshub)["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert requests.get(f"{opshub.server}/api/v1/me/", headers=headers, timeout=10).status_code == 200
    result = opshub("auth", "logout")
    assert result.exit_code == 0 and "Logged out" in result.stderr
    assert not (opshub.config_dir / "session.json").exists()
    assert requests.get(f"{opshub.server}/api/v1/me/", headers=headers, timeout=10).status_code == 401
    assert opshub("auth", "whoami").exit_code == exits.FORBIDDEN


def test_the_session_ends_after_30_idle_minutes(opshub):
    opshub.login("Staff")
    session = _session(opshub)
    session["last_used"] = time.time() - 31 * 60
    (opshub.config_dir / "session.json").write_text(json.dumps(session))
    result = opshub("auth", "whoami")
    assert result.exit_code == exits.FORBIDDEN and "30 minutes without use" in result.stderr
    assert not (opshub.config_dir / "session.json").exists()
    refresh = {"Authorization": f"Bearer {session['refresh_token']}"}
    assert requests.post(f"{opshub.server}/api/v1/security/refresh", headers=refresh, timeout=10).status_code == 401


def test_each_command_keeps_the_session_alive_and_refreshes_its_token(opshub):
    from flask_jwt_extended import create_access_token

    from app.core import sessions

    opshub.login("Staff")
    session = _session(opshub)
    session["last_used"] = time.time() - 29 * 60
    sid = json.loads(_b64(session["refresh_token"].split(".")[1]))["sid"]
    user = opshub.user("Staff")
    with sessions.without_session():  # an access token of this login that has just ended
        session["access_token"] = create_access_token(
            identity=str(user.id), additional_claims={"sid": sid}, expires_delta=timedelta(seconds=-5)
        )
    (opshub.config_dir / "session.json").write_text(json.dumps(session))
    assert opshub("auth", "whoami", "--json").exit_code == 0
    renewed = _session(opshub)
    assert renewed["access_token"] != session["access_token"]  # refreshed before use
    assert time.time() - renewed["last_used"] < 60  # and the idle clock restarted
    renewed["access_token"] = "broken"  # refused by the server: refreshed and retried once
    (opshub.config_dir / "session.json").write_text(json.dumps(renewed))
    assert opshub("auth", "whoami", "--json").json()["username"] == user.username


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_an_unreachable_server_is_one_line_and_exit_1(opshub):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = opshub("--server", f"http://127.0.0.1:{port}", "auth", "login", "-u", "x", "--password-stdin",
                    input="y\n")  # fmt: skip
    assert result.exit_code == exits.ERROR
    assert result.stderr.strip().splitlines() == [
        f"Error: Cannot reach the OpsHub server at http://127.0.0.1:{port} (connection refused, or no such host)."
    ]


def test_scripts_use_an_api_token_from_the_environment(opshub, client):
    user = opshub.user("Manager")
    secret = client.post(
        "/api/v1/tokens/", json={"name": "nightly", "read_only": True}, headers=f.auth(user, opshub.org)
    ).get_json()["token"]
    env = {"OPSHUB_TOKEN": secret}
    me = opshub("auth", "whoami", "--json", env=env).json()
    assert me["token"]["name"] == "nightly" and me["token"]["read_only"] is True
    assert opshub("customer", "list", "--json", env=env).exit_code == 0
    refused = opshub("customer", "add", "--name", "Nope", env=env)
    assert refused.exit_code == exits.FORBIDDEN and "read-only" in refused.stderr
    stored = opshub("auth", "login", "--token", secret)  # or kept as the session
    assert stored.exit_code == 0 and opshub("auth", "whoami", "--json").json()["token"]["name"] == "nightly"
    assert opshub("auth", "logout").exit_code == 0  # forgets it, does not revoke it
    assert opshub("auth", "whoami", "--json", env=env).exit_code == 0
