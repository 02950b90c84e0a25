"""`export` and `import` of any resource: the list as CSV/XLSX (same filters, search and sort as
`list`), and a file imported as a change set — the dry run's summary and its rows in error first,
a confirmation, then the commit with a progress bar (POST /api/v1/<resource>/import,
/api/v1/changesets/<id>/commit)."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import click

from opshub_cli import exits, rison
from opshub_cli.exits import CliError
from opshub_cli.state import confirm_or_stop, state

JSON_OPTION = click.Option(["--json", "as_json"], is_flag=True, help="Print one JSON document.")


def _json(kwargs: dict) -> None:
    if kwargs.pop("as_json", False):
        state().out.mode = "json"


def export_command(res: dict, filter_options, query_args) -> click.Command:
    pairs = filter_options(res)
    builders = [b for _, b in pairs]

    def callback(fmt: str, output: str | None, **kwargs):
        _json(kwargs)
        st = state()
        filters, sort, direction = query_args(res, kwargs, builders)
        q: dict[str, Any] = {}
        if filters:
            q["filters"] = filters
        if sort:
            q.update(order_column=sort, order_direction=direction)
        params = {"format": fmt}
        if q:
            params["q"] = rison.dumps(q)
        search = kwargs.pop("search", None)
        if search:
            params["search"] = search
        if kwargs.pop("archived", False):
            params["include_archived"] = "1"
        resp = st.api.request("GET", f"{res['path']}/export", params=params, stream=True)
        to_stdout = output == "-" or (output is None and not sys.stdout.isatty() and fmt == "csv" and not st.out.json)
        target = None if to_stdout else (output or f"{res['name'].lower()}-export.{fmt}")
        written = 0
        sink = click.get_binary_stream("stdout") if to_stdout else open(target, "wb")
        try:
            with st.out.progress(f"Exporting {res['label'].lower()}", None) as update:
                for chunk in resp.iter_content(64 * 1024):
                    sink.write(chunk)
                    written += len(chunk)
                    update(written)
        finally:
            if not to_stdout:
                sink.close()
        if target is not None:
            st.out.message(f"Exported {res['label'].lower()} to {target} ({written} bytes).")
            if st.out.json:
                st.out.document({"file": os.path.abspath(target), "bytes": written, "format": fmt})

    params = [
        click.Option(["--format", "fmt"], type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True),
        click.Option(
            ["--output", "-o"],
            metavar="FILE",
            help="The file to write (- for stdout); default <resource>-export.<format>.",
        ),
        click.Option(["--search", "-s"], help="The search box: text contained in the main columns."),
        click.Option(["--sort"], help="A column to sort by; -COLUMN for descending."),
        click.Option(["--archived"], is_flag=True, help="Archived rows too."),
        click.Option(["--filter", "filter"], multiple=True, metavar="COL:OP:VALUE", help="Any filter of the API."),
        *[o for o, _ in pairs],
        JSON_OPTION,
    ]
    return click.Command(
        "export",
        params=params,
        callback=callback,
        help=f"Export {res['label'].lower()} as CSV or XLSX (the list's filters apply).",
    )


def _summary_line(summary: dict) -> str:
    return ", ".join(f"{summary.get(k, 0)} {k}" for k in ("create", "update", "unchanged", "error"))


def import_command(res: dict) -> click.Command:
    def callback(file: str, key: str | None, dry_run: bool, yes: bool, **kwargs):
        _json(kwargs)
        st = state()
        try:
            handle = open(file, "rb")
        except OSError as exc:
            raise CliError(f"Cannot read {file}: {exc.strerror}.", exits.ERROR) from None
        with handle:
            data = {"key": key} if key else {}
            preview = st.api.request(
                "POST", f"{res['path']}/import", files={"file": (os.path.basename(file), handle)}, data=data
            ).json()
        cs_id, summary = preview["id"], preview.get("summary", {})
        errors = [r for r in preview.get("rows", []) if r.get("action") == "error"]
        if summary.get("error", 0) > len(errors):
            errors = st.api.get(f"/api/v1/changesets/{cs_id}", params={"action": "error", "page_size": 500})["rows"]
        st.out.message(f"Change set #{cs_id} from {os.path.basename(file)}: {_summary_line(summary)}.")
        if not st.out.json:
            if errors:
                st.out.table(
                    "Rows in error (not imported)",
                    ["Row", "Key", "Problems"],
                    (
                        [
                            r["row"],
                            r.get("key") or "",
                            "; ".join(
                                f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                                for k, v in (r.get("errors") or {}).items()
                            ),
                        ]
                        for r in errors
                    ),
                )
        valid = summary.get("create", 0) + summary.get("update", 0)
        document: dict[str, Any] = {"change_set": preview, "errors": errors, "committed": False}
        code = exits.INVALID if errors else exits.OK
        if dry_run or valid == 0:
            st.out.message("Dry run: nothing was imported." if dry_run else "Nothing to import.")
            st.out.emit(document, lambda: None)
            click.get_current_context().exit(code)
        confirm_or_stop(
            f"Import {valid} rows ({summary.get('create', 0)} new, {summary.get('update', 0)} changed)?", yes
        )
        committed = _commit_with_progress(st, cs_id, valid)
        document.update(change_set=committed, committed=True)
        st.out.message(
            f"Imported {valid} rows as change set #{cs_id} (transaction #{committed.get('transaction_id')}); "
            f"undo it all with the change set's revert."
        )
        st.out.emit(document, lambda: None)
        if code:
            click.get_current_context().exit(code)

    params = [
        click.Argument(["file"], type=click.Path(dir_okay=False)),
        click.Option(["--key"], help="The column that matches existing records (default id)."),
        click.Option(["--dry-run"], is_flag=True, help="Show what would change; import nothing."),
        click.Option(["--yes", "-y"], is_flag=True, help="Import without asking."),
        JSON_OPTION,
    ]
    return click.Command(
        "import",
        params=params,
        callback=callback,
        help=f"Import {res['label'].lower()} from CSV or XLSX: a dry run first (its summary and rows in error), then, "
        "once confirmed, every valid row in one transaction. Exit 6 when rows were in error.",
    )


def _commit_with_progress(st, cs_id: int, total: int) -> dict:
    outcome: dict[str, Any] = {}

    def commit():
        try:
            outcome["result"] = st.api.request("POST", f"/api/v1/changesets/{cs_id}/commit").json()
        except BaseException as exc:  # handed back to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=commit, daemon=True)
    worker.start()
    with st.out.progress("Importing", total) as update:
        while worker.is_alive():
            worker.join(0.5)
            if worker.is_alive() and st.out.err.is_terminal:
                progress = st.api.get(f"/api/v1/changesets/{cs_id}", params={"page_size": 1}).get("progress") or {}
                if progress.get("total"):
                    update(progress.get("done", 0), progress["total"])
        update(total, total)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
