"""Output: rich tables and detail panels for people; exactly one JSON document on stdout with
`--json` or when stdout is not a terminal; messages and errors on stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

HIDDEN_COLUMNS = {"archived_at", "version", "updated_at"}


class Output:
    def __init__(self, mode: str = "auto"):
        self.mode = mode  # auto | json | table

    @property
    def json(self) -> bool:
        if self.mode == "json":
            return True
        if self.mode == "table":
            return False
        return not sys.stdout.isatty()

    @property
    def console(self) -> Console:
        width = int(os.environ.get("COLUMNS", "0") or 0) or None
        return Console(file=click.get_text_stream("stdout"), width=width, soft_wrap=False)

    @property
    def err(self) -> Console:
        return Console(file=click.get_text_stream("stderr"))

    def document(self, data: Any) -> None:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))

    def message(self, text: str) -> None:
        click.echo(text, err=True)

    def emit(self, data: Any, render) -> None:
        """`data` as JSON, or `render()` for a person."""
        if self.json:
            self.document(data)
        else:
            render()

    def table(
        self, title: str | None, headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str | None = None
    ):
        table = Table(title=title, caption=caption, header_style="bold cyan", show_lines=False)
        for h in headers:
            table.add_column(h, overflow="fold")
        for row in rows:
            table.add_row(*[text(v) for v in row])
        self.console.print(table)

    def detail(self, title: str, pairs: Sequence[tuple[str, Any]]):
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for label, value in pairs:
            table.add_row(label, text(value))
        self.console.print(Panel(table, title=title, title_align="left", expand=False))

    @contextmanager
    def progress(self, label: str, total: int | None):
        """A progress bar on stderr for a person; nothing for a script."""
        if not self.err.is_terminal:
            yield lambda done, total=None: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=self.err, transient=True
        ) as bar:
            task = bar.add_task(label, total=total)

            def update(done: int, total: int | None = None) -> None:
                bar.update(task, completed=done, **({"total": total} if total is not None else {}))

            yield update


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        shown = [v for k, v in value.items() if k != "id" and v is not None]
        return str(shown[0]) if shown else str(value.get("id", ""))
    if isinstance(value, list):
        return ", ".join(text(v) for v in value)
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T" and value[4:5] == "-":
        return value[:16].replace("T", " ")  # ISO moments, to the minute
    return str(value)
