"""Every resource's commands, generated from the server's description of it (GET /api/v1/_resources/):
list, show, add, update, delete, history, export, import, each declared record action (archive,
restore, revert and the domain's own: sign, add-payment, set-support, move, close...), the
record's extra routes (pdf...) and the vocabulary's shortcuts (customer set-commercial). A
resource or action added on the server appears here without a change to the client."""

from __future__ import annotations

from typing import Any

import click

from opshub_cli import rison
from opshub_cli.exchange import export_command, import_command
from opshub_cli.output import HIDDEN_COLUMNS
from opshub_cli.state import confirm_or_stop, state
from opshub_cli.values import click_type, convert, metavar, resolve
from opshub_cli.vocabulary import SHORTCUTS, kebab

JSON_OPTION = click.Option(["--json", "as_json"], is_flag=True, help="Print one JSON document.")
YES_OPTION = click.Option(["--yes", "-y"], is_flag=True, help="Do not ask for confirmation.")
LIST_OPTIONS = {"search", "sort", "page", "limit", "all", "archived", "filter", "json"}


def _json(kwargs: dict) -> None:
    if kwargs.pop("as_json", False):
        state().out.mode = "json"


def singular(res: dict) -> str:
    label = res["label"]
    return label[:-1] if label.endswith("s") and not label.endswith("ss") else label


# ------------------------------------------------------------------ columns and rows
def list_columns(res: dict) -> list[str]:
    cols = [c for c in res["list_columns"] if c not in HIDDEN_COLUMNS]
    roots = {c.split(".")[0] for c in cols if "." in c and not c.endswith(".id")}
    return [c for c in cols if not (c.endswith(".id") and c.split(".")[0] in roots)]


def header(res: dict, column: str) -> str:
    root = column.split(".")[0]
    return res["labels"].get(root) or root.replace("_", " ").capitalize()


def cell(row: dict, column: str) -> Any:
    if "." in column:
        root, attr = column.split(".", 1)
        value = row.get(root)
        return value.get(attr) if isinstance(value, dict) else value
    return row.get(column)


def show_pairs(res: dict, record: dict) -> list[tuple[str, Any]]:
    seen, pairs = set(), []
    for column in res["show_columns"]:
        root = column.split(".")[0]
        if root in seen or column in ("version",):
            continue
        seen.add(root)
        value = record.get(root)
        pairs.append((header(res, column), value))
    return pairs


# ------------------------------------------------------------------ filters
def filter_options(res: dict) -> list[tuple[click.Option, Any]]:
    """(option, builder) pairs: a switch for each filter that takes no value (`--not-signed`,
    `--no-support`, `--mine`), an equality option per column (`--status signed`, `--owner alice`)."""
    out: list[tuple[click.Option, Any]] = []
    used = set(LIST_OPTIONS)
    mine = [f for f in res["filters"] if f["flag"] and f["operator"] == "mine"]

    def add(name: str, make_option, builder):
        if name in used:
            return
        used.add(name)
        out.append((make_option(f"--{name}", f"f{len(out)}"), builder))

    for flt in res["filters"]:
        col, op = flt["column"], flt["operator"]
        if col == "archived_at":
            continue
        if flt["flag"]:
            if op == "empty":
                name = f"no-{kebab(col)}"
            elif op == "mine":
                name = "mine" if len(mine) == 1 else f"mine-{kebab(col)}"
            else:
                name = kebab(op)
            add(
                name,
                lambda opt, dest, flt=flt: click.Option(
                    [opt, dest], is_flag=True, help=f"{flt['label']} ({flt['column']})."
                ),
                lambda value, col=col, op=op: {"col": col, "opr": op, "value": 1} if value else None,
            )
        elif op in ("eq", "rel_o_m"):
            relation = flt.get("relation")
            add(
                kebab(col),
                lambda opt, dest, col=col, relation=relation: click.Option(
                    [opt, dest],
                    metavar="USER" if (relation or {}).get("resource") == "User" else "VALUE",
                    help=f"Only rows whose {header(res, col).lower()} is this"
                    + (" (an id or a name)." if relation else "."),
                ),
                lambda value, col=col, op=op, relation=relation: (
                    None
                    if value is None
                    else {"col": col, "opr": op, "value": resolve(state(), relation, value) if relation else value}
                ),
            )
    return out


def query_args(res: dict, kwargs: dict, builders) -> tuple[list[dict], str, str]:
    filters = []
    for index, builder in enumerate(builders):
        built = builder(kwargs.pop(f"f{index}", None))
        if built is not None:
            filters.append(built)
    for raw in kwargs.pop("filter", ()) or ():
        col, sep, rest = raw.partition(":")
        op, sep2, value = rest.partition(":")
        if not sep or not col or not op:
            raise click.UsageError(f"--filter {raw!r}: write COLUMN:OPERATOR:VALUE, e.g. name:ct:acme")
        filters.append({"col": col, "opr": op, "value": value if sep2 else 1})
    sort = kwargs.pop("sort", None) or ""
    direction = "desc" if sort.startswith("-") else "asc"
    sort = sort.lstrip("-+")
    if sort:
        wanted = sort.replace("-", "_")
        order = next((c for c in res["order_columns"] if c == wanted or c.split(".")[0] == wanted), None)
        if order is None:
            shown = ", ".join(sorted({c.split(".")[0] for c in res["order_columns"]}))
            raise click.UsageError(f"--sort {sort!r}: sort by one of {shown} (prefix - for descending).")
        sort = order
    return filters, sort, direction


def list_command(res: dict) -> click.Command:
    pairs = filter_options(res)
    builders = [b for _, b in pairs]

    def run(**kwargs):
        _json(kwargs)
        st = state()
        filters, sort, direction = query_args(res, kwargs, builders)
        page = (kwargs.pop("page") or 1) - 1
        limit = kwargs.pop("limit")
        everything = kwargs.pop("all")
        params: dict[str, Any] = {}
        search = kwargs.pop("search")
        if search:
            params["search"] = search
        if kwargs.pop("archived"):
            params["include_archived"] = "1"

        def fetch(page_no: int, size: int) -> dict:
            q: dict[str, Any] = {"page": page_no, "page_size": size}
            if filters:
                q["filters"] = filters
            if sort:
                q.update(order_column=sort, order_direction=direction)
            return st.api.get(f"{res['path']}/", params={**params, "q": rison.dumps(q)})

        if everything:
            first = fetch(0, 100)
            rows, count = list(first["result"]), first.get("count", 0)
            with st.out.progress(f"{res['label']}", count) as update:
                update(len(rows))
                page_no = 1
                while first["result"] and len(first["result"]) == 100:
                    first = fetch(page_no, 100)
                    rows += first["result"]
                    page_no += 1
                    update(len(rows), max(count, len(rows)))
            document = {"result": rows, "count": max(count, len(rows))}
        else:
            body = fetch(page, limit)
            rows, count = body["result"], body.get("count", 0)
            document = {"result": rows, "count": count, "page": page + 1, "page_size": limit}
        columns = list_columns(res)

        def render():
            pages = max(1, -(-count // limit)) if not everything else 1
            caption = f"{count} in all" + ("" if everything else f" · page {page + 1} of {pages}")
            st.out.table(
                res["label"],
                [header(res, c) for c in columns],
                ([cell(r, c) for c in columns] for r in rows),
                caption=caption,
            )

        st.out.emit(document, render)

    params = [
        click.Option(["--search", "-s"], help="The search box: text contained in the main columns."),
        click.Option(["--sort"], help="A column to sort by; -COLUMN for descending."),
        click.Option(["--page"], type=click.IntRange(1), help="Page number (from 1)."),
        click.Option(["--limit"], type=click.IntRange(1, 100), default=25, show_default=True, help="Rows a page."),
        click.Option(["--all", "all"], is_flag=True, help="Every page (with a progress bar)."),
        click.Option(["--archived"], is_flag=True, help="Archived rows too."),
        click.Option(
            ["--filter", "filter"],
            multiple=True,
            metavar="COL:OP:VALUE",
            help="Any filter of the API, e.g. name:ct:acme (repeatable).",
        ),
        *[o for o, _ in pairs],
        JSON_OPTION,
    ]
    return click.Command("list", params=params, callback=run, help=f"List {res['label'].lower()}.")


# ------------------------------------------------------------------ one record
def _record(res: dict, pk: int) -> dict:
    return state().api.get(f"{res['path']}/{pk}", what=f"{singular(res)} #{pk}")


def show_command(res: dict) -> click.Command:
    def callback(pk: int, **kwargs):
        _json(kwargs)
        st = state()
        body = _record(res, pk)
        record = body.get("result", {})
        document = {"id": pk, "result": record}
        st.out.emit(document, lambda: st.out.detail(f"{singular(res)} #{pk}", show_pairs(res, record)))

    return click.Command(
        "show",
        params=[click.Argument(["pk"], type=int, metavar="ID"), JSON_OPTION],
        callback=callback,
        help=f"Show one {singular(res).lower()}.",
    )


def _field_options(fields: list[dict], *, required_hint: bool) -> list[click.Option]:
    out = []
    for field in fields:
        help_text = field.get("description") or field["label"]
        if required_hint and field.get("required"):
            help_text += " (required)"
        out.append(
            click.Option(
                [f"--{kebab(field['name'])}", f"v_{field['name']}"],
                type=click_type(field),
                metavar=metavar(field),
                help=help_text,
            )
        )
    return out


def _body(fields: list[dict], kwargs: dict) -> dict:
    st = state()
    body = {}
    for field in fields:
        raw = kwargs.pop(f"v_{field['name']}", None)
        if raw is not None:
            body[field["name"]] = convert(st, field, raw)
    return body


def record_pairs(res: dict, record: dict) -> list[tuple[str, Any]]:
    """A record the way `show` shows it when it is one (an action may answer something else)."""
    roots = {c.split(".")[0] for c in res["show_columns"]}
    if roots and roots <= set(record):
        return show_pairs(res, record)
    return [(res["labels"].get(k) or k.replace("_", " ").capitalize(), v) for k, v in record.items()]


def _print_record(res: dict, body: dict, message: str) -> None:
    st = state()
    st.out.message(message)
    record = body.get("result") if isinstance(body.get("result"), dict) else body
    st.out.emit(body, lambda: st.out.detail(f"{singular(res)} #{body.get('id', '')}", record_pairs(res, record)))


def add_command(res: dict) -> click.Command:
    fields = res["add_fields"]

    def callback(**kwargs):
        _json(kwargs)
        body = _body(fields, kwargs)
        created = state().api.request("POST", f"{res['path']}/", json=body).json()
        if created.get("id") is not None:  # the record as `show` has it (relations by name)
            created = {"id": created["id"], "result": _record(res, created["id"]).get("result", created.get("result"))}
        _print_record(res, created, f"{singular(res)} #{created.get('id')} created.")

    return click.Command(
        "add",
        params=[*_field_options(fields, required_hint=True), JSON_OPTION],
        callback=callback,
        help=f"Add a {singular(res).lower()}.",
    )


def update_command(res: dict, *, name: str = "update", only: str | None = None, help_text: str | None = None):
    fields = [f for f in res["edit_fields"] if only is None or f["name"] == only]
    if not fields:
        return None

    def callback(pk: int, **kwargs):
        _json(kwargs)
        st = state()
        if only is not None:
            kwargs[f"v_{only}"] = kwargs.pop("value")
        version = kwargs.pop("if_version", None)
        body = _body(fields, kwargs)
        if not body:
            raise click.UsageError("Nothing to change: give at least one field option (see --help).")
        if version is None:
            version = (
                st.api.request("GET", f"{res['path']}/{pk}", what=f"{singular(res)} #{pk}")
                .headers.get("ETag", "")
                .strip('"')
                or None
            )
        headers = {"If-Match": str(version)} if version is not None else {}
        changed = st.api.request(
            "PUT", f"{res['path']}/{pk}", json=body, headers=headers, what=f"{singular(res)} #{pk}"
        ).json()
        _print_record(res, changed, f"{singular(res)} #{pk} updated.")

    if only is not None:
        params = [click.Argument(["pk"], type=int, metavar="ID"), click.Argument(["value"], metavar=metavar(fields[0]))]
    else:
        params = [click.Argument(["pk"], type=int, metavar="ID"), *_field_options(fields, required_hint=False)]
    params += [
        click.Option(
            ["--if-version"],
            type=int,
            metavar="N",
            help="Refuse (exit 5) unless the record is still at this version (default: the one just read).",
        ),
        JSON_OPTION,
    ]
    return click.Command(
        name,
        params=params,
        callback=callback,
        help=help_text or f"Change fields of a {singular(res).lower()} (a stale version is refused).",
    )


def delete_command(res: dict) -> click.Command:
    def callback(pk: int, yes: bool, **kwargs):
        _json(kwargs)
        confirm_or_stop(f"Delete {singular(res).lower()} #{pk} for good? This cannot be undone.", yes)
        body = state().api.request("DELETE", f"{res['path']}/{pk}", what=f"{singular(res)} #{pk}").json()
        state().out.message(f"{singular(res)} #{pk} deleted.")
        state().out.emit(body, lambda: None)

    return click.Command(
        "delete",
        params=[click.Argument(["pk"], type=int, metavar="ID"), YES_OPTION, JSON_OPTION],
        callback=callback,
        help=f"Delete a {singular(res).lower()} for good (archive is the everyday way).",
    )


def history_command(res: dict) -> click.Command:
    def callback(pk: int, **kwargs):
        _json(kwargs)
        st = state()
        entries = st.api.get(f"{res['path']}/{pk}/history", what=f"{singular(res)} #{pk}")["result"]

        def changes(entry):
            return "; ".join(f"{k}: {_short(v[0])} → {_short(v[1])}" for k, v in (entry.get("changes") or {}).items())

        def who(entry):
            return (entry.get("user") or "system") + (f" (token {entry['token']})" if entry.get("token") else "")

        st.out.emit(
            {"id": pk, "result": entries},
            lambda: st.out.table(
                f"History of {singular(res).lower()} #{pk}",
                ["Transaction", "When", "Who", "What", "Changes"],
                ([e["transaction_id"], e["issued_at"], who(e), e["operation"], changes(e)] for e in entries),
            ),
        )

    return click.Command(
        "history",
        params=[click.Argument(["pk"], type=int, metavar="ID"), JSON_OPTION],
        callback=callback,
        help="Versions of a record, newest first, with what changed.",
    )


def _short(value: Any) -> str:
    text = "∅" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


# ------------------------------------------------------------------ record actions
def action_command(res: dict, act: dict) -> click.Command:
    params_spec = act["params"]
    required = [p for p in params_spec if p["required"]]
    positional = required[0] if len(required) == 1 else None

    def opt_name(p):
        name = p["name"]
        if p["type"] == "relation" and name.endswith("_id"):
            name = name[:-3]
        return f"--{kebab(name)}"

    def callback(pk: int, yes: bool, **kwargs):
        _json(kwargs)
        st = state()
        body = {}
        value = kwargs.pop("value", None)
        for p in params_spec:
            raw = kwargs.pop(f"p_{p['name']}", None)
            if raw is None and positional is p:
                raw = value
            if raw is None:
                if p["required"]:
                    raise click.UsageError(f"Missing {opt_name(p)} (or give it after the id).")
                continue
            body[p["name"]] = convert(st, p, raw)
        if act.get("confirm"):
            confirm_or_stop(act["confirm"], yes)
        resp = st.api.request("POST", f"{res['path']}/{pk}/{act['path']}", json=body, what=f"{singular(res)} #{pk}")
        answer = resp.json() if resp.content else {}
        if resp.status_code == 202 and "approval_request_id" in answer:
            st.out.message(
                f"Approval needed: request #{answer['approval_request_id']} was created; "
                f"“{act['label']}” runs once it is approved."
            )
            st.out.emit(answer, lambda: None)
            return
        st.out.message(f"{act['label']}: done on {singular(res).lower()} #{pk}.")
        record = answer.get("result") if isinstance(answer.get("result"), dict) else answer
        st.out.emit(answer, lambda: st.out.detail(f"{singular(res)} #{pk}", record_pairs(res, record)))

    options = []
    for p in params_spec:
        help_text = p.get("description") or p["label"]
        if p["type"] == "relation":
            help_text += " (an id or a name; none to clear)" if p.get("nullable") else " (an id or a name)"
        options.append(
            click.Option([opt_name(p), f"p_{p['name']}"], type=click_type(p), metavar=metavar(p), help=help_text)
        )
    params = [click.Argument(["pk"], type=int, metavar="ID")]
    if positional is not None:
        params.append(click.Argument(["value"], required=False, metavar=f"[{positional['name'].upper()}]"))
    params += [*options, YES_OPTION, JSON_OPTION]
    help_text = act.get("summary") or act["label"]
    if not act.get("allowed", True):
        help_text += " (your role may not)"
    return click.Command(kebab(act["name"]), params=params, callback=callback, help=help_text)


def route_command(res: dict, route: dict) -> click.Command:
    def callback(pk: int, output: str | None, **kwargs):
        _json(kwargs)
        st = state()
        resp = st.api.request("GET", f"{res['path']}/{pk}/{route['path']}", what=f"{singular(res)} #{pk}")
        kind = resp.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            body = resp.json()
            rows = body.get("result") if isinstance(body, dict) else None
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                columns = list(rows[0])
                st.out.emit(
                    body,
                    lambda: st.out.table(
                        f"{route['name']} of #{pk}", columns, ([r.get(c) for c in columns] for r in rows)
                    ),
                )
            else:
                st.out.document(body)
            return
        target = output or _filename(resp) or f"{kebab(res['name'])}-{pk}-{route['path']}"
        if target == "-":
            click.get_binary_stream("stdout").write(resp.content)
            return
        with open(target, "wb") as fh:
            fh.write(resp.content)
        st.out.message(f"Saved {target} ({len(resp.content)} bytes).")
        if st.out.json:
            st.out.document({"file": target, "bytes": len(resp.content), "content_type": kind})

    return click.Command(
        kebab(route["name"]),
        params=[
            click.Argument(["pk"], type=int, metavar="ID"),
            click.Option(["--output", "-o"], metavar="FILE", help="Where to save a file (- for stdout)."),
            JSON_OPTION,
        ],
        callback=callback,
        help=route.get("summary") or route["name"],
    )


def _filename(resp) -> str | None:
    disposition = resp.headers.get("Content-Disposition", "")
    if "filename=" in disposition:
        name = disposition.split("filename=", 1)[1].split(";")[0].strip().strip('"')
        return name.replace("/", "_").replace("\\", "_") or None
    return None


# ------------------------------------------------------------------ the group
def resource_group(res: dict, name: str, aliases: list[str]) -> click.Group:
    also = [a for a in aliases if a != name]
    group = click.Group(
        name,
        help=f"{res['label']} (the server's {res['name']}" + (f"; also `opshub {also[0]}`" if also else "") + ").",
    )
    group.add_command(list_command(res))
    group.add_command(show_command(res))
    if res["add_fields"]:
        group.add_command(add_command(res))
    update = update_command(res)
    if update is not None:
        group.add_command(update)
    if res.get("versioned"):
        group.add_command(history_command(res))
    group.add_command(delete_command(res))
    group.add_command(export_command(res, filter_options, query_args))
    group.add_command(import_command(res))
    for act in res["actions"]:
        group.add_command(action_command(res, act))
    for route in res.get("record_routes", []):
        if kebab(route["name"]) not in group.commands:
            group.add_command(route_command(res, route))
    for command, (field, help_text) in SHORTCUTS.get(res["name"], {}).items():
        shortcut = update_command(res, name=command, only=field, help_text=help_text)
        if shortcut is not None:
            group.add_command(shortcut)
    return group
