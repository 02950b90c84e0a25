"""Fixtures for the browser end-to-end tests.

The app runs for real: its own temporary SQLite file (never TEST_DATABASE_URL), the schema built
by the migrations, the demo data seeded, CSRF enabled, served by werkzeug on a free local port.
The browser is Debian's Chromium, driven headless by Playwright.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: browser tests")


@pytest.fixture(autouse=True)
def _app_context():
    """Overrides the suite's autouse fixture of the same name: browser tests talk to their own
    server over HTTP, so they neither build the suite's app nor touch TEST_DATABASE_URL."""
    yield


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory):
    """The real app on a fresh migrated + seeded SQLite file, with CSRF on."""
    import flask_migrate

    from app import create_app
    from app.core.seed import seed_demo
    from app.extensions import db
    from config import TestConfig

    db_file = tmp_path_factory.mktemp("e2e-db") / "opshub-e2e.db"

    class E2EConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_file}"
        WTF_CSRF_ENABLED = True
        UPLOAD_DIR = str(tmp_path_factory.mktemp("e2e-uploads"))
        RATELIMIT_STORAGE_URI = "memory://"

    app = create_app(E2EConfig)
    with app.app_context():
        _skip_fsync(db.engine)
        flask_migrate.upgrade()
        with _cheap_password_hashes():
            seed_demo()
    return app


def _skip_fsync(engine) -> None:
    """A throwaway database needs no durability; saves ~1.5 s of fsyncs over the seed's commits."""
    import sqlalchemy as sa

    @sa.event.listens_for(engine, "connect")
    def _pragma(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@contextlib.contextmanager
def _cheap_password_hashes():
    """Seed the demo accounts with fast pbkdf2 hashes instead of scrypt (~2 s saved). Logging in
    still goes through the app's normal password check, which reads the method from the hash."""
    import app.core.seed

    original = app.core.seed.generate_password_hash
    app.core.seed.generate_password_hash = lambda password: original(password, method="pbkdf2:sha256:1000")
    try:
        yield
    finally:
        app.core.seed.generate_password_hash = original


@pytest.fixture(scope="session")
def live_server(e2e_app) -> Iterator[str]:
    """Serve the app in a background thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run e2e tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class RequestLog:
    """Every URL the page asked for, so a test can prove the app works offline."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def record(self, request) -> None:
        self.urls.append(request.url)

    def external(self) -> list[str]:
        """Requests to anything but the local server (data:/blob: URLs never leave the browser)."""
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out


@pytest.fixture
def requests_made() -> RequestLog:
    return RequestLog()


# Every page reports what its Content-Security-Policy blocked: the event is forwarded to the
# console (it survives navigations there), where the fixture collects it with Chromium's own
# "Refused to ..." messages.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class CspLog:
    def __init__(self) -> None:
        self.violations: list[str] = []
        self.dialogs: list[str] = []

    def record(self, message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            self.violations.append(f"{message.page.url if hasattr(message, 'page') else ''} {text}")


@pytest.fixture
def csp_log() -> CspLog:
    return CspLog()


@pytest.fixture
def page(browser, live_server, requests_made, csp_log):
    """A fresh browser context: 1280x800, confirm() dialogs accepted, every request recorded,
    and no page may report a CSP violation (checked when the test ends)."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server)
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_REPORTER)
    page = context.new_page()
    page.on("request", requests_made.record)
    page.on("console", csp_log.record)

    def accept(dialog):
        csp_log.dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    try:
        yield page
    finally:
        context.close()
    assert csp_log.violations == [], "pages reported CSP violations"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """docs/screenshots/ with OPSHUB_SCREENSHOTS=1 (`make screenshots`), a temp dir otherwise,
    so that a test run leaves the working tree as it found it."""
    if os.environ.get("OPSHUB_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        return SCREENSHOT_DIR
    return tmp_path_factory.mktemp("screenshots")
