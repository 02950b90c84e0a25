"""The limits and the session revocation hold across processes: the app served by gunicorn with
two workers (as `make run` does), on the suite's own database (SQLite file or PostgreSQL), over
loopback. A stalled connection holds one worker while the other answers, so each test runs its
two halves on different workers (the access log says which process answered)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import factories as f

requests = pytest.importorskip("requests")
ROOT = Path(__file__).resolve().parents[2]
USER_LIMIT = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(app, tmp_path_factory):
    from app.core.login_limits import DatabaseStore

    with app.app_context():
        DatabaseStore().clear()
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "access.log"
    env = {
        **os.environ,
        "OPSHUB_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": "",
        "OPSHUB_LOGIN_FAILURE_LIMIT": f"{USER_LIMIT} per 15 minutes",
        "OPSHUB_LOGIN_ADDRESS_LIMIT": "1000 per minute",
        "OPSHUB_LOGIN_GLOBAL_LIMIT": "1000 per minute",
    }
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--access-logfile",
        str(log),
        "--access-logformat",
        "%(p)s %(m)s %(U)s %(s)s",
        "run:app",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/health", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still importing the app
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        _both_workers_up(base, log)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        with app.app_context():
            DatabaseStore().clear()


def _pids(log: Path, path: str = "", at_least: int = 0) -> list[str]:
    """The worker pid of each logged request (to `path` only, if given), oldest first. A worker
    writes its access line after the response: wait for `at_least` lines."""
    deadline = time.monotonic() + 5
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        pids = [line.split()[0] for line in lines if not path or f" {path} " in line]
        if len(pids) >= at_least or time.monotonic() > deadline:
            return pids
        time.sleep(0.02)


def _both_workers_up(base: str, log: Path) -> None:
    """Both workers have booted and answered (sync workers share one listening socket)."""
    port = int(base.rsplit(":", 1)[1])
    on_each_worker(port, lambda: _health(base), lambda: _health(base))
    assert len(set(_pids(log, "/health", at_least=4))) >= 2, "both gunicorn workers should answer"


def _health(base: str) -> None:
    assert requests.get(f"{base}/health", headers={"Connection": "close"}, timeout=10).status_code == 200


def _stall(port: int) -> socket.socket:
    """A request whose headers never end: the sync worker that accepts it waits on it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.3)  # accepted by a free worker
    return sock


def _finish(sock: socket.socket) -> None:
    sock.sendall(b"Connection: close\r\n\r\n")
    assert b" 200 " in sock.recv(4096).split(b"\r\n", 1)[0] + b" "
    sock.close()


def on_each_worker(port: int, first, second) -> None:
    """Run `first` on one worker and `second` on the other: while a stalled request holds one
    worker, the other takes every connection."""
    held = _stall(port)  # worker X
    first()  # worker Y
    other = _stall(port)  # Y, the only free worker
    _finish(held)  # X is free again
    second()  # worker X
    _finish(other)


def _csrf_token(html: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def _post(url, **kwargs):
    return requests.post(url, headers={"Connection": "close", **kwargs.pop("headers", {})}, timeout=10, **kwargs)


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def test_the_username_limit_holds_across_two_workers(served, org):
    base, log = served
    user = f.make_user(org, "Staff")
    body = {"username": user.username, "password": "wrong", "provider": "db"}
    statuses: list[int] = []

    def fail(times: int):
        return lambda: statuses.extend(
            _post(f"{base}/api/v1/security/login", json=body).status_code for _ in range(times)
        )

    on_each_worker(_port(base), fail(USER_LIMIT // 2), fail(2 * USER_LIMIT))
    # with a store per worker each would allow USER_LIMIT failures: 2 * USER_LIMIT in all
    assert statuses == [401] * USER_LIMIT + [429] * (USER_LIMIT + USER_LIMIT // 2), statuses
    assert len(set(_pids(log, "/api/v1/security/login", at_least=len(statuses)))) == 2
    right = {**body, "password": f.PASSWORD}
    assert _post(f"{base}/api/v1/security/login", json=right).status_code == 429  # from this (failing) address


def test_an_api_logout_on_one_worker_holds_on_the_other(served, org):
    base, log = served
    user = f.make_user(org, "Staff")
    tokens: dict = {}

    def log_in_and_out():
        login = {"username": user.username, "password": f.PASSWORD, "provider": "db", "refresh": True}
        tokens.update(_post(f"{base}/api/v1/security/login", json=login).json())
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert _post(f"{base}/api/v1/security/logout", headers=bearer).status_code == 200

    def use_the_tokens():
        auth = {"Authorization": f"Bearer {tokens['access_token']}", "Connection": "close"}
        assert requests.get(f"{base}/api/v1/me/", headers=auth, timeout=10).status_code == 401
        refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
        assert _post(f"{base}/api/v1/security/refresh", headers=refresh).status_code == 401

    logged_before = len(_pids(log, "/api/v1/me/"))
    on_each_worker(_port(base), log_in_and_out, use_the_tokens)
    assert _pids(log, "/api/v1/security/logout")[-1] != _pids(log, "/api/v1/me/", at_least=logged_before + 1)[-1]


def test_a_page_logout_on_one_worker_kills_copies_of_the_cookie_on_the_other(served, org):
    base, log = served
    user = f.make_user(org, "Staff")
    copy: dict = {}

    def log_in_copy_and_log_out():
        browser = requests.Session()
        browser.headers["Connection"] = "close"
        form = browser.get(f"{base}/login/", timeout=10).text  # CSRF is on, as in production
        data = {"username": user.username, "password": f.PASSWORD, "csrf_token": _csrf_token(form)}
        assert "/login" not in browser.post(f"{base}/login/", data=data, timeout=10).url
        copy.update({"Cookie": f"session={browser.cookies.get('session')}", "Connection": "close"})
        page = browser.get(f"{base}/clients/list/", allow_redirects=False, timeout=10)
        assert page.status_code == 200
        assert browser.post(f"{base}/logout/", data={"csrf_token": _csrf_token(page.text)}, timeout=10).ok

    def use_the_copy():
        resp = requests.get(f"{base}/clients/list/", headers=copy, allow_redirects=False, timeout=10)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]

    logged_before = len(_pids(log, "/clients/list/"))
    on_each_worker(_port(base), log_in_copy_and_log_out, use_the_copy)
    assert _pids(log, "/logout/")[-1] != _pids(log, "/clients/list/", at_least=logged_before + 2)[-1]
