"""A person at a terminal (tmux: send-keys, capture-pane): `opshub auth login` asks for the
username and a password that is not shown, then `opshub customer list` draws a table. With
OPSHUB_SCREENSHOTS=1 (`make screenshots`) the screen is saved as docs/screenshots/cli-session.png."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("opshub")
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def _wait_for(session: str, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared on the screen:\n{screen}")
        time.sleep(0.1)


def test_login_with_a_hidden_password_then_a_table_of_customers(opshub, tmp_path):
    org = opshub.org
    for name, email in (("Acme Events", "hello@acme.example"), ("Globex Galas", "party@globex.example")):
        f.make_client(org, opshub.user("Commercial"), name=f.unique(name + " "), email=email)
    from app.extensions import db

    db.session.rollback()
    command = str(SCRIPT) if SCRIPT.exists() else f"{sys.executable} -m opshub_cli"
    session = f"opshub-test-{os.getpid()}"
    env = {
        "OPSHUB_URL": opshub.server,
        "OPSHUB_CONFIG_DIR": str(opshub.config_dir),
        "PS1": "$ ",
        "TERM": "xterm-256color",
    }
    env_args = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
    _tmux("new-session", "-d", "-s", session, "-x", "150", "-y", "40", *env_args, "bash --norc --noprofile")
    try:
        _tmux("send-keys", "-t", session, f"alias opshub='{command}'; clear", "Enter")
        time.sleep(0.3)
        _tmux("send-keys", "-t", session, "opshub auth login", "Enter")
        _wait_for(session, "Username:")
        _tmux("send-keys", "-t", session, opshub.username("Commercial"), "Enter")
        _wait_for(session, "Password:")
        _tmux("send-keys", "-t", session, f.PASSWORD, "Enter")
        screen = _wait_for(session, "Logged in")
        assert f.PASSWORD not in screen  # typed, never shown
        time.sleep(0.5)  # the prompt is back
        _tmux("send-keys", "-t", session, "opshub customer list --search 'a' --limit 5", "Enter")
        screen = _wait_for(session, "in all")
        assert "┏" in screen and "Name" in screen and "Acme Events" in screen and "Owner" in screen
        assert opshub.username("Commercial") in screen
        if os.environ.get("OPSHUB_SCREENSHOTS") == "1":
            _screenshot(_tmux("capture-pane", "-p", "-e", "-t", session), tmp_path)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def _screenshot(ansi: str, tmp_path: Path) -> None:
    """The captured screen (with its colours) as HTML by rich, photographed by headless Chromium."""
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=150, file=open(os.devnull, "w"), force_terminal=True)
    console.print(Text.from_ansi(ansi.rstrip()))
    page_file = tmp_path / "cli.html"
    from rich.terminal_theme import MONOKAI

    page_file.write_text(console.export_html(theme=MONOKAI, inline_styles=True, code_format=_PAGE))
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1180, "height": 560})
        page.goto(page_file.as_uri())
        target = ROOT / "docs" / "screenshots" / "cli-session.png"
        page.locator("pre").screenshot(path=str(target))
        browser.close()


_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; background: {background}; }}
pre {{ margin: 0; padding: 14px 18px; color: {foreground}; background: {background}; display: inline-block;
       font-family: 'DejaVu Sans Mono', monospace; font-size: 13px; line-height: 1.25; }}
{stylesheet}
</style></head><body><pre><code>{code}</code></pre></body></html>"""
