"""`opshub auth` (login, logout, whoami, password), `opshub token` (personal API tokens) and
`opshub employee` (the organization's members: list, show, add, set-role, set-password, update,
remove) — the commands that are not a resource of the registry."""

from __future__ import annotations

import os
import sys

import click

from opshub_cli import exits
from opshub_cli.client import Api, api_error, normalize
from opshub_cli.config import DEFAULT_SERVER, DescriptionCache, SessionStore
from opshub_cli.exits import CliError
from opshub_cli.state import confirm_or_stop, state

JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")


def _json(as_json: bool) -> None:
    if as_json:
        state().out.mode = "json"


# ------------------------------------------------------------------ auth
@click.group("auth")
def auth() -> None:
    """Log in and out; who you are."""


@auth.command("login")
@click.option("--username", "-u", help="Your username (asked if not given).")
@click.option("--token", "api_token", help="Log in with a personal API token instead of a password.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (scripts).")
@JSON
def login(username: str | None, api_token: str | None, password_stdin: bool, as_json: bool) -> None:
    """Log in: asks for the server, your username and your password (hidden). The session is kept
    in your config directory (readable by you only), refreshed as you work, and ends after 30
    minutes without a command."""
    _json(as_json)
    st = state()
    server = st.server_option or os.environ.get("OPSHUB_URL")
    if not server:
        previous = (SessionStore().load() or {}).get("server")
        server = (
            click.prompt("Server", default=previous or DEFAULT_SERVER, err=True)
            if sys.stdin.isatty()
            else (previous or DEFAULT_SERVER)
        )
    server = normalize(server)
    probe = Api(server, token="-")
    store = SessionStore()
    if api_token:
        me = probe._send("GET", "/api/v1/me/", bearer=api_token)
        if me.status_code != 200:
            raise api_error(me)
        body = me.json()
        _forget_previous(store)
        store.save(
            {
                "server": server,
                "kind": "token",
                "access_token": api_token,
                "username": body["username"],
                "org": st.org_option,
            }
        )
    else:
        username = username or click.prompt("Username", err=True)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, err=True)
        resp = probe._send(
            "POST",
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
        )
        if resp.status_code != 200:
            if resp.status_code == 401:
                raise CliError("Wrong username or password.", exits.FORBIDDEN)
            raise api_error(resp)
        tokens = resp.json()
        _forget_previous(store)
        store.save(
            {
                "server": server,
                "kind": "password",
                "username": username,
                "org": st.org_option,
                "access_token": tokens["access_token"],
                "refresh_token": tokens.get("refresh_token"),
            }
        )
        body = None
    st.reset()
    me = body or st.api.get("/api/v1/me/")
    org = me.get("organization") or {}
    st.out.message(f"Logged in to {server} as {me['username']}" + (f" in {org['name']}." if org else "."))
    st.out.emit({"server": server, "username": me["username"], "organization": org or None}, lambda: None)


def _forget_previous(store: SessionStore) -> None:
    previous = store.load()
    if previous:
        Api(previous.get("server"), store=store).end_session(previous)
    DescriptionCache().clear()


@auth.command("logout")
def logout() -> None:
    """End your session: revoked on the server, forgotten here. (A stored API token is only
    forgotten: revoke it with `opshub token revoke`.)"""
    store = SessionStore()
    data = store.load()
    if data is None:
        state().out.message("Not logged in.")
        return
    Api(data.get("server"), store=store).end_session(data)
    DescriptionCache().clear()
    state().out.message("Logged out." if data.get("kind") != "token" else "Forgot the API token (still valid).")


@auth.command("whoami")
@JSON
def whoami(as_json: bool) -> None:
    """Who you are: user, organization, roles (and the API token in use)."""
    _json(as_json)
    st = state()
    me = st.api.get("/api/v1/me/")
    org = me.get("organization") or {}
    pairs = [
        ("Server", st.api.server),
        ("User", f"{me['username']} ({me.get('first_name', '')} {me.get('last_name', '')})".replace(" ()", "")),
        ("Organization", f"{org.get('name')} (#{org.get('id')})" if org else "none"),
        ("Roles", ", ".join(me.get("roles", [])) or "none"),
        (
            "Other organizations",
            ", ".join(f"{o['name']} ({o['role']})" for o in me.get("organizations", []) if o["id"] != org.get("id"))
            or "none",
        ),
    ]
    if me.get("token"):
        token = me["token"]
        pairs.append(("API token", f"{token['name']} ({'read-only' if token['read_only'] else 'read and write'})"))
    st.out.emit(me, lambda: st.out.detail("You", pairs))


@auth.command("password")
def change_password() -> None:
    """Change your own password (asks for the current one and the new one twice). Every session
    of yours ends: log in again afterwards."""
    st = state()
    current = click.prompt("Current password", hide_input=True, err=True)
    new = click.prompt("New password", hide_input=True, confirmation_prompt="New password again", err=True)
    st.api.request("POST", "/api/v1/me/password", json={"current_password": current, "password": new})
    SessionStore().clear()
    st.out.message("Password changed; every session of yours has ended: log in again (`opshub auth login`).")


# ------------------------------------------------------------------ API tokens
@click.group("token")
def token() -> None:
    """Your personal API tokens (for scripts: OPSHUB_TOKEN=<token> opshub ...)."""


def _token_rows(rows: list[dict]):
    for t in rows:
        yield [
            t["id"],
            t["name"],
            (t.get("user") or {}).get("username", ""),
            (t.get("organization") or {}).get("name"),
            "read-only" if t["read_only"] else "read-write",
            t.get("expires_at") or "never",
            t.get("last_used_at") or "never",
            t.get("last_used_addr") or "",
            t["state"],
        ]


@token.command("list")
@click.option("--all", "everyone", is_flag=True, help="Every user's tokens (administrators).")
@JSON
def token_list(everyone: bool, as_json: bool) -> None:
    """Your tokens with their last use (never their secrets)."""
    _json(as_json)
    st = state()
    body = st.api.get("/api/v1/tokens/", params={"all": "1" if everyone else "0", "page_size": 100})
    headers = ["Id", "Name", "User", "Organization", "Access", "Ends", "Last used", "From", "State"]
    st.out.emit(body, lambda: st.out.table("API tokens", headers, _token_rows(body["result"])))


@token.command("create")
@click.argument("name")
@click.option("--write", is_flag=True, help="Read and write (default: read-only).")
@click.option("--expires", metavar="YYYY-MM-DD", help="The last day it works (default: until revoked).")
@click.option("--token-org", "org", metavar="ORG_ID", type=int, help="Its organization (default: the active one).")
@JSON
def token_create(name: str, write: bool, expires: str | None, org: int | None, as_json: bool) -> None:
    """Create a token; its secret is printed once."""
    _json(as_json)
    st = state()
    body = {"name": name, "read_only": not write}
    if expires:
        body["expires_at"] = expires
    if org:
        body["organization_id"] = org
    created = st.api.request("POST", "/api/v1/tokens/", json=body).json()
    result = created["result"]
    if st.out.json:
        st.out.document(created)
        return
    st.out.message(
        f"Token #{created['id']} “{result['name']}” ({'read and write' if write else 'read-only'}) for "
        f"{result['organization']['name']}. Copy it now: it is shown this once."
    )
    click.echo(created["token"])


@token.command("revoke")
@click.argument("token_id", type=int, metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@JSON
def token_revoke(token_id: int, yes: bool, as_json: bool) -> None:
    """Revoke a token: it stops working at once."""
    _json(as_json)
    confirm_or_stop(f"Revoke API token #{token_id}? Scripts using it stop working.", yes)
    st = state()
    body = st.api.request("DELETE", f"/api/v1/tokens/{token_id}").json()
    st.out.message(f"Token #{token_id} revoked.")
    st.out.emit(body, lambda: None)


# ------------------------------------------------------------------ employees
def _org_id() -> int:
    st = state()
    me = st.api.get("/api/v1/me/")
    if not me.get("organization"):
        raise CliError("You are in no organization.", exits.NOT_FOUND)
    return me["organization"]["id"]


def _user_id(value: str) -> int:
    if value.isdigit():
        return int(value)
    found = state().api.get("/api/v1/_resources/users", params={"username": value})["result"]
    if not found:
        raise CliError(f"Nobody called {value!r} in this organization.", exits.NOT_FOUND)
    return found[0]["id"]


MEMBER_HEADERS = ["Id", "Username", "Name", "Email", "Role", "Active"]


def _member_row(m: dict) -> list:
    return [
        m["user_id"],
        m["username"],
        f"{m.get('first_name') or ''} {m.get('last_name') or ''}".strip(),
        m.get("email"),
        m["role"],
        m.get("active", True),
    ]


@click.group("employee")
def employee() -> None:
    """The organization's members (employees) and their roles."""


@employee.command("list")
@click.option("--role", help="Only members with this role (Admin, Commercial, Support...).")
@JSON
def employee_list(role: str | None, as_json: bool) -> None:
    """List the organization's members."""
    _json(as_json)
    st = state()
    body = st.api.get(f"/api/v1/organizations/{_org_id()}/members", params={"role": role} if role else None)
    st.out.emit(
        body,
        lambda: st.out.table(
            "Employees",
            MEMBER_HEADERS,
            (_member_row(m) for m in body["result"]),
            caption=f"{len(body['result'])} in all",
        ),
    )


@employee.command("show")
@click.argument("user", metavar="USER")
@JSON
def employee_show(user: str, as_json: bool) -> None:
    """One member: USER is a username or id."""
    _json(as_json)
    st = state()
    body = st.api.get(f"/api/v1/organizations/{_org_id()}/members/{_user_id(user)}")
    m = body["result"]
    st.out.emit(
        body,
        lambda: st.out.detail(
            f"Employee {m['username']}",
            [*list(zip(MEMBER_HEADERS, _member_row(m), strict=False)), ("Last login", m.get("last_login"))],
        ),
    )


@employee.command("add")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--role", required=True, help="Their role here: Admin, Manager, Staff, Commercial, Support...")
@JSON
def employee_add(username: str, email: str, first_name: str, last_name: str, role: str, as_json: bool) -> None:
    """Create an account and add it to the organization; prints a temporary password, once."""
    _json(as_json)
    st = state()
    body = st.api.request(
        "POST",
        f"/api/v1/organizations/{_org_id()}/members/invite",
        json={"username": username, "email": email, "first_name": first_name, "last_name": last_name, "role": role},
    ).json()
    st.out.message(
        f"Employee {body['username']} (#{body['user_id']}) added as {body['role']}. Temporary password "
        "(hand it over; they change it with `opshub auth password`):"
    )
    st.out.emit(body, lambda: click.echo(body["temporary_password"]))


@employee.command("set-role")
@click.argument("user", metavar="USER")
@click.argument("role")
@JSON
def employee_set_role(user: str, role: str, as_json: bool) -> None:
    """Give a member another role in this organization."""
    _json(as_json)
    st = state()
    body = st.api.request(
        "PUT", f"/api/v1/organizations/{_org_id()}/members/{_user_id(user)}", json={"role": role}
    ).json()
    st.out.message(f"{user} is now {body['role']}.")
    st.out.emit(body, lambda: None)


@employee.command("set-password")
@click.argument("user", metavar="USER")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def employee_set_password(user: str, password_stdin: bool) -> None:
    """Set a member's password (asked twice, hidden); their sessions end."""
    st = state()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt="Again", err=True)
    st.api.request(
        "PUT", f"/api/v1/organizations/{_org_id()}/members/{_user_id(user)}/password", json={"password": password}
    )
    st.out.message(f"Password of {user} changed; their sessions have ended.")


@employee.command("update")
@click.argument("user", metavar="USER")
@click.option("--username", "new_username")
@click.option("--email")
@click.option("--first-name")
@click.option("--last-name")
@JSON
def employee_update(user: str, new_username, email, first_name, last_name, as_json: bool) -> None:
    """Change a member's username, email or name."""
    _json(as_json)
    st = state()
    changes = {
        k: v
        for k, v in {"username": new_username, "email": email, "first_name": first_name, "last_name": last_name}.items()
        if v is not None
    }
    if not changes:
        raise click.UsageError("Nothing to change: give --username, --email, --first-name or --last-name.")
    body = st.api.request(
        "PUT", f"/api/v1/organizations/{_org_id()}/members/{_user_id(user)}/profile", json=changes
    ).json()
    st.out.message(f"Employee {body['result']['username']} updated.")
    st.out.emit(
        body, lambda: st.out.detail("Employee", list(zip(MEMBER_HEADERS, _member_row(body["result"]), strict=False)))
    )


@employee.command("remove")
@click.argument("user", metavar="USER")
@click.option("--yes", "-y", is_flag=True)
def employee_remove(user: str, yes: bool) -> None:
    """Remove a member from the organization (their account stays)."""
    confirm_or_stop(f"Remove {user} from the organization?", yes)
    st = state()
    st.api.request("DELETE", f"/api/v1/organizations/{_org_id()}/members/{_user_id(user)}")
    st.out.message(f"{user} removed from the organization.")
