"""The import cycle: upload → dry run (preview) → commit → revert. Export is app/core/exchange/export.py.

* `upload()` reads the file (app/core/exchange/reader.py), refuses what is not a table of this
  resource's columns, and stores its rows in a new change set (state `analyzing`) — all or
  nothing: a refused file leaves nothing stored.
* `analyze()` is the dry run: chunk after chunk of rows, each tried through the resource API's
  schemas and every model rule inside a dry run (`uow.dry_run()`, batches in savepoints, a batch
  that fails retried row by row with `uow.attempt()`), rolled back; what each row would do is
  stored on the row, the progress reported between chunks. Then state `preview`.
  Rules that read other rows see the file's earlier rows of the same chunk; the commit checks
  every row again in one transaction anyway.
* `commit()` applies the valid rows in **one** unit of work (one Continuum transaction, audited
  `import` with one more entry naming the change set and its counts), once: the change set's
  state moves `preview → committed` in that same transaction with a conditional UPDATE, so of
  two concurrent commits exactly one wins. A row that would now fail, or whose record changed
  since the preview, fails the whole commit: nothing is written and the 409 lists the rows.
* `revert()` undoes a committed change set in one new transaction: created records archived (or
  deleted where the model has no archive), updated ones reverted to their version before the
  import (`history.revert`, the rules of any revert); a record changed since is left as it is and
  reported — a 409 unless `force`. `dry_run=True` only tells what it would do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy_continuum import version_class, versioning_manager

from app.core import compat, context
from app.core import services as record_services
from app.core.audit import AuditRecord
from app.core.errors import Conflict, DomainError, Invalid, NotFound
from app.core.exchange import progress
from app.core.exchange.models import ChangeSet, ChangeSetRow
from app.core.exchange.reader import FileRefused, FileTooLarge, RowProblem, open_table, spool
from app.core.exchange.rows import ROW, Applied, Applier, RowError, error_fields
from app.core.exchange.spec import Plan, plan_for
from app.core.history import revert as revert_record
from app.core.models import ArchiveMixin, utcnow
from app.core.registry import Resource, registry
from app.core.uow import attempt, dry_run, unit_of_work
from app.extensions import db

ROWS = ChangeSetRow.__table__
SETS = ChangeSet.__table__
REFUSALS = (RowError, ValidationError, DomainError, IntegrityError, StaleDataError)
LEASE = timedelta(minutes=5)
ROW_ACTIONS_SHOWN = ("create", "update", "unchanged", "error")


def setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def resource_of(name: str) -> Resource:
    resource = registry.resource(name)
    if resource is None or resource.api is None:
        raise NotFound(f"No resource {name!r}.")
    return resource


def api_of(resource: Resource):
    return next(v for v in current_app.appbuilder.baseviews if type(v) is resource.api)


def applier_for(change_set: ChangeSet) -> Applier:
    resource = resource_of(change_set.resource)
    return Applier(plan_for(resource), api_of(resource), change_set.key_column, list(change_set.columns))


# ------------------------------------------------------------------ upload
def check_header(plan: Plan, raw: list[str], key: str, *, key_required: bool = True) -> list[str]:
    """The header as the resource's column names; 422 naming what is wrong."""
    headers: list[str] = []
    unknown: list[str] = []
    for n, name in enumerate(raw, 1):
        if not name:
            raise FileRefused(f"Column {n} of the header has no name.")
        column = plan.header_for(name)
        if column is None:
            unknown.append(name)
        elif column in headers:
            raise FileRefused(f"The column {name!r} appears twice in the header.")
        headers.append(column or name)
    if unknown:
        raise FileRefused(
            f"Unknown column(s): {', '.join(repr(u) for u in unknown)}. "
            f"A {plan.resource} import takes: {', '.join(plan.export_headers)}."
        )
    if key not in headers and key_required:
        raise FileRefused(f"The match column {key!r} is not in the file's header.")
    return headers


def upload(resource: Resource, stream: IO[bytes], filename: str, key: str | None) -> ChangeSet:
    plan = plan_for(resource)
    key_required = bool(key and key.strip())  # without one: `id`, and a file without ids creates
    key = (key or "id").strip()
    if key not in plan.keys:
        raise Invalid("key: not a match column", {"key": [f"Match rows on one of: {', '.join(plan.keys)}."]})
    max_rows = setting("OPSHUB_IMPORT_MAX_ROWS", 200_000)
    fileobj = spool(stream, setting("OPSHUB_IMPORT_MAX_BYTES", 32 * 1024 * 1024))
    session = db.session
    try:
        table = open_table(fileobj, filename)
        headers = check_header(plan, table.header, key, key_required=key_required)
        change_set = ChangeSet(
            resource=resource.name,
            file_name=(filename or "upload")[-255:],
            file_format=table.format,
            key_column=key,
            columns=headers,
            state="analyzing",
            created_by_id=context.current_user_id(),
            expires_at=utcnow() + timedelta(hours=setting("OPSHUB_IMPORT_PREVIEW_HOURS", 24)),
        )
        session.add(change_set)
        session.flush()
        total = errors = 0
        batch: list[dict[str, Any]] = []
        for line, cells in table.rows:
            row = _stored_row(change_set.id, line, headers, cells, table.format)
            if row is None:
                continue
            total += 1
            if total > max_rows:
                raise FileTooLarge(f"The file has more than {max_rows:,} rows, the most an import takes.")
            errors += row["action"] == "error"
            batch.append(row)
            if len(batch) >= 1000:
                session.execute(ROWS.insert(), batch)
                batch = []
        if batch:
            session.execute(ROWS.insert(), batch)
        if total == 0:
            raise FileRefused("The file has a header but no rows.")
        session.execute(SETS.update().where(SETS.c.id == change_set.id).values(total_rows=total, count_error=errors))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        fileobj.close()
    session.refresh(change_set)
    return change_set


def _stored_row(set_id: int, line: int, headers: list[str], cells, fmt: str) -> dict[str, Any] | None:
    problem = None
    if isinstance(cells, RowProblem):
        problem, cells = cells.message, cells.cells
    if not any(c.strip() for c in cells):
        return None  # a blank line
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
        problem = problem or f"This row has {len(cells)} cells; the header has {len(headers)}."
    elif len(cells) < len(headers) and fmt == "csv":
        problem = problem or f"This row has {len(cells)} cells; the header has {len(headers)}."
    data = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)}
    return {
        "change_set_id": set_id,
        "row_no": line,
        "key": None,
        "action": "error" if problem else "pending",
        "data": data,
        "errors": {ROW: [problem]} if problem else None,
    }


# ------------------------------------------------------------------ the dry run
def analyze(change_set: ChangeSet) -> ChangeSet:
    """Dry-run every pending row; resumable (a second call carries on where one stopped)."""
    session = db.session
    set_id = change_set.id
    now = utcnow()
    claimed = session.execute(
        SETS.update()
        .where(
            SETS.c.id == set_id,
            SETS.c.state == "analyzing",
            sa.or_(SETS.c.lease_until.is_(None), SETS.c.lease_until < now),
        )
        .values(lease_until=now + LEASE)
    ).rowcount
    session.commit()
    if not claimed:
        session.refresh(change_set)
        if change_set.state == "analyzing":
            raise Conflict("This import is being analysed already; its progress shows on its page.")
        return change_set
    applier = applier_for(change_set)
    chunk = setting("OPSHUB_IMPORT_CHUNK_ROWS", 1000)
    total = change_set.total_rows
    seen = dict(
        session.execute(
            sa.select(ROWS.c.key, ROWS.c.row_no).where(ROWS.c.change_set_id == set_id, ROWS.c.key.is_not(None))
        ).all()
    )
    done = total - (
        session.scalar(sa.select(sa.func.count()).where(ROWS.c.change_set_id == set_id, ROWS.c.action == "pending"))
        or 0
    )
    progress.report(set_id, "analyzing", done, total)
    try:
        while True:
            rows = session.execute(
                sa.select(ROWS.c.id, ROWS.c.row_no, ROWS.c.data)
                .where(ROWS.c.change_set_id == set_id, ROWS.c.action == "pending")
                .order_by(ROWS.c.row_no)
                .limit(chunk)
            ).all()
            if not rows:
                break
            results = _dry_run_chunk(applier, rows, seen)
            session.execute(
                ROWS.update()
                .where(ROWS.c.id == sa.bindparam("row_id"))
                .values(
                    action=sa.bindparam("action"),
                    key=sa.bindparam("key_"),
                    changes=sa.bindparam("changes"),
                    errors=sa.bindparam("errors"),
                    record_id=sa.bindparam("record_id"),
                    seen_version=sa.bindparam("seen_version"),
                ),
                results,
            )
            counts = {
                a: sum(1 for r in results if r["action"] == a) for a in ("create", "update", "unchanged", "error")
            }
            session.execute(
                SETS.update()
                .where(SETS.c.id == set_id)
                .values(
                    count_create=SETS.c.count_create + counts["create"],
                    count_update=SETS.c.count_update + counts["update"],
                    count_unchanged=SETS.c.count_unchanged + counts["unchanged"],
                    count_error=SETS.c.count_error + counts["error"],
                    lease_until=utcnow() + LEASE,
                )
            )
            session.commit()
            done += len(rows)
            progress.report(set_id, "analyzing", done, total)
        session.execute(SETS.update().where(SETS.c.id == set_id).values(state="preview", lease_until=None))
        session.commit()
    except BaseException:
        session.rollback()
        session.execute(SETS.update().where(SETS.c.id == set_id).values(lease_until=None))
        session.commit()
        raise
    progress.report(set_id, "preview", total, total)
    session.refresh(change_set)
    return change_set


def _dry_run_chunk(applier: Applier, rows, seen: dict[str, int]) -> list[dict[str, Any]]:
    results: dict[int, dict[str, Any]] = {}
    todo = []
    for row in rows:
        key = applier.key_of(row.data)
        base = {"row_id": row.id, "key_": key or None, "changes": None, "record_id": None, "seen_version": None}
        if key and key in seen and seen[key] != row.row_no:
            message = f"Also on line {seen[key]} of this file: each row needs a key of its own."
            results[row.id] = {**base, "action": "error", "errors": {applier.key: [message]}}
            continue
        if key:
            seen[key] = row.row_no
        results[row.id] = {**base, "action": "error", "errors": None}
        todo.append(row)
    batch_size = setting("OPSHUB_IMPORT_BATCH_ROWS", 500)
    with dry_run("import", versions=False):
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            if not _try_batch(applier, batch, results):
                for row in batch:
                    _try_row(applier, row, results)
    return [results[row.id] for row in rows]


def _record(results, row_id: int, applier: Applier, applied: Applied) -> None:
    changes = applier.changes(applied)
    action = "unchanged" if applied.action == "update" and not changes else applied.action
    results[row_id].update(
        action=action,
        changes=changes or None,
        errors=None,
        record_id=applied.record.id if applied.action == "update" else None,
        seen_version=applied.version,
    )


def _try_batch(applier: Applier, batch, results) -> bool:
    """The batch in one savepoint and one flush; False (nothing kept) if the flush refused."""
    session = db.session
    savepoint = session.begin_nested()
    applied: list[tuple[int, Applied]] = []
    with session.no_autoflush:
        applier.prefetch([row.data for row in batch])
        for row in batch:
            try:
                applied.append((row.id, applier.apply(row.data, applier.find(row.data))))
            except REFUSALS as exc:
                results[row.id].update(action="error", errors=error_fields(exc))
    applier.forget()
    try:
        session.flush()
    except REFUSALS:
        if savepoint.is_active:
            savepoint.rollback()
        return False
    for row_id, one in applied:
        _record(results, row_id, applier, one)
    savepoint.commit()
    return True


def _try_row(applier: Applier, row, results) -> None:
    session = db.session
    try:
        with attempt():
            with session.no_autoflush:
                one = applier.apply(row.data, applier.find(row.data))
        _record(results, row.id, applier, one)
    except REFUSALS as exc:
        results[row.id].update(action="error", errors=error_fields(exc))


# ------------------------------------------------------------------ commit
def expire_stale() -> None:
    """Previews past their time become `expired` (their rows are dropped: they can no longer be
    committed). Cheap: an indexed UPDATE of what is due."""
    session = db.session
    due = list(
        session.scalars(
            sa.select(SETS.c.id).where(SETS.c.state.in_(("preview", "analyzing")), SETS.c.expires_at < utcnow())
        )
    )
    if due:
        session.execute(
            SETS.update().where(SETS.c.id.in_(due), SETS.c.state.in_(("preview", "analyzing"))).values(state="expired")
        )
        session.execute(ROWS.delete().where(ROWS.c.change_set_id.in_(due)))
        session.commit()


STATE_REFUSALS = {
    "analyzing": "This change set is still being analysed.",
    "committed": "This change set was committed already.",
    "reverted": "This change set was committed and reverted already.",
    "expired": "This preview expired; upload the file again.",
}


def _valid_rows(set_id: int) -> Iterator[Any]:
    """The create and update rows of a change set, in file order, a page at a time."""
    last = 0
    while True:
        page = db.session.execute(
            sa.select(
                ROWS.c.id, ROWS.c.row_no, ROWS.c.key, ROWS.c.action, ROWS.c.data, ROWS.c.record_id, ROWS.c.seen_version
            )
            .where(ROWS.c.change_set_id == set_id, ROWS.c.action.in_(("create", "update")), ROWS.c.row_no > last)
            .order_by(ROWS.c.row_no)
            .limit(1000)
        ).all()
        if not page:
            return
        yield from page
        last = page[-1].row_no


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _stage(applier: Applier, row) -> Applied:
    """Apply a previewed row again, refusing it if its record changed since the preview."""
    record = applier.find(row.data)
    if row.action == "update":
        if record is None or record.id != row.record_id:
            raise RowError({ROW: ["The record this row updates is gone or no longer matches its key."]})
        if record.version != row.seen_version:
            raise RowError({ROW: ["The record was changed by someone else since the preview."]})
    elif record is not None:
        raise RowError({ROW: [f"A record with this {applier.key} was created since the preview."]})
    return applier.apply(row.data, record)


class _Refused(Exception):
    pass


class RowsRefused(Conflict):
    """A 409 that lists the rows concerned: `{"message": ..., "rows": [{"row", "key", "errors"}]}`."""

    def __init__(self, message: str, rows: list[dict[str, Any]]):
        super().__init__(message, {ROW: [f"Line {r['row']}: {_first_message(r['errors'])}" for r in rows[:50]]})
        self.rows = rows

    def to_dict(self) -> dict:
        return {"message": self.message, "rows": self.rows[:1000], "count": len(self.rows)}


def commit(change_set: ChangeSet) -> ChangeSet:
    expire_stale()
    db.session.refresh(change_set)
    if change_set.state != "preview":
        raise Conflict(STATE_REFUSALS.get(change_set.state, "This change set cannot be committed."))
    applier = applier_for(change_set)
    set_id = change_set.id
    batch_size = setting("OPSHUB_IMPORT_BATCH_ROWS", 500)
    total = change_set.count_create + change_set.count_update
    progress.report(set_id, "committing", 0, total)
    session = db.session
    try:
        with unit_of_work("import"):
            claimed = session.execute(
                SETS.update()
                .where(SETS.c.id == set_id, SETS.c.state == "preview", SETS.c.expires_at >= utcnow())
                .values(state="committed", committed_at=utcnow(), committed_by_id=context.current_user_id())
            ).rowcount
            if not claimed:
                raise Conflict("This change set was committed already, or its preview expired.")
            written: list[dict[str, Any]] = []
            done = 0
            for batch in _batches(_valid_rows(set_id), batch_size):
                with session.no_autoflush:
                    applier.prefetch([row.data for row in batch])
                    try:
                        pending = [(row.id, _stage(applier, row).record) for row in batch]
                    except REFUSALS as exc:
                        raise _Refused() from exc
                    applier.forget()
                written += _flush(pending)
                done += len(pending)
                progress.report(set_id, "committing", done, total)
            if written:
                session.execute(
                    ROWS.update()
                    .where(ROWS.c.id == sa.bindparam("row_id"))
                    .values(record_id=sa.bindparam("rid"), written_version=sa.bindparam("version")),
                    written,
                )
            tx_id = _transaction_id()
            session.execute(SETS.update().where(SETS.c.id == set_id).values(transaction_id=tx_id))
            if tx_id is not None:
                _audit(tx_id, change_set, "import", _counts_sentence(change_set))
    except _Refused:
        failed = verify(change_set)
        raise RowsRefused(
            "Nothing was imported: some rows would now fail or conflict (the data changed since the preview).",
            failed,
        ) from None
    progress.report(set_id, "committed", total, total)
    session.refresh(change_set)
    return change_set


def _flush(pending: list[tuple[int, Any]]) -> list[dict[str, Any]]:
    try:
        db.session.flush()
    except REFUSALS as exc:
        raise _Refused() from exc
    return [{"row_id": row_id, "rid": record.id, "version": record.version} for row_id, record in pending]


def _transaction_id() -> int | None:
    """The Continuum transaction of this unit of work, None if it versioned nothing."""
    try:
        return compat.continuum_transaction_id(versioning_manager.unit_of_work(db.session))
    except AttributeError:  # no current transaction: nothing was versioned
        return None


def _audit(tx_id: int, change_set: ChangeSet, action: str, detail: str) -> None:
    db.session.execute(
        AuditRecord.__table__.insert().values(
            transaction_id=tx_id,
            organization_id=change_set.organization_id,
            resource="ChangeSet",
            record_id=change_set.id,
            action=action,
            detail=detail[:500],
        )
    )


def _counts_sentence(cs: ChangeSet) -> str:
    return (
        f"Change set {cs.id} ({cs.resource}, {cs.file_name}): {cs.count_create} created, {cs.count_update} updated, "
        f"{cs.count_unchanged} unchanged, {cs.count_error} rows with errors left out"
    )


def _first_message(errors: dict[str, list[str]]) -> str:
    for field, messages in errors.items():
        if messages:
            return messages[0] if field == ROW else f"{field}: {messages[0]}"
    return "refused"


def verify(change_set: ChangeSet) -> list[dict[str, Any]]:
    """The rows of a previewed change set that would fail now (a dry run; nothing kept)."""
    applier = applier_for(change_set)
    failed = []
    with dry_run("import", versions=False):
        for row in _valid_rows(change_set.id):
            try:
                with attempt():
                    with db.session.no_autoflush:
                        _stage(applier, row)
            except REFUSALS as exc:
                failed.append({"row": row.row_no, "key": row.key, "errors": error_fields(exc)})
    return failed


# ------------------------------------------------------------------ revert
def revert(change_set: ChangeSet, *, dry: bool = False, force: bool = False) -> dict[str, Any]:
    db.session.refresh(change_set)
    if change_set.state != "committed":
        message = {
            "reverted": "This change set was reverted already.",
            "preview": "This change set was never committed: there is nothing to revert.",
        }.get(change_set.state, "This change set cannot be reverted.")
        raise Conflict(message)
    resource = resource_of(change_set.resource)
    model = resource.model
    targets, changed = _revert_targets(change_set, model)
    outcome: dict[str, Any] = {
        "revert": len(targets),
        "changed_since": changed,
        "dry_run": dry,
    }
    if dry:
        failed = []
        with dry_run("revert"):
            for row, record in targets:
                try:
                    with attempt():
                        _revert_one(change_set, model, row, record)
                except REFUSALS as exc:
                    failed.append({"row": row.row_no, "record_id": row.record_id, "errors": error_fields(exc)})
        outcome["failed"] = failed
        return outcome
    if changed and not force:
        raise RowsRefused(
            f"Nothing was reverted: {len(changed)} record(s) were changed by someone since the import. Revert "
            "with force to leave those as they are and undo the rest.",
            [{"row": c["row"], "record_id": c["record_id"], "errors": {ROW: [c["reason"]]}} for c in changed],
        )
    with unit_of_work("revert"):
        claimed = db.session.execute(
            SETS.update()
            .where(SETS.c.id == change_set.id, SETS.c.state == "committed")
            .values(state="reverted", reverted_at=utcnow(), reverted_by_id=context.current_user_id())
        ).rowcount
        if not claimed:
            raise Conflict("This change set was reverted already.")
        for row, record in targets:
            try:
                _revert_one(change_set, model, row, record)
            except REFUSALS as exc:
                raise RowsRefused(
                    "Nothing was reverted: a record refused to go back (see the rows).",
                    [{"row": row.row_no, "record_id": row.record_id, "errors": error_fields(exc)}],
                ) from exc
        db.session.flush()
        tx_id = _transaction_id()
        db.session.execute(SETS.update().where(SETS.c.id == change_set.id).values(revert_transaction_id=tx_id))
        if tx_id is not None:
            _audit(tx_id, change_set, "revert", f"Revert of change set {change_set.id}: {len(targets)} record(s)")
    db.session.refresh(change_set)
    outcome["state"] = change_set.state
    return outcome


def _revert_targets(change_set: ChangeSet, model) -> tuple[list[tuple[Any, Any]], list[dict[str, Any]]]:
    rows = db.session.execute(
        sa.select(ROWS.c.row_no, ROWS.c.action, ROWS.c.record_id, ROWS.c.written_version)
        .where(ROWS.c.change_set_id == change_set.id, ROWS.c.written_version.is_not(None))
        .order_by(ROWS.c.row_no)
    ).all()
    ids = [r.record_id for r in rows]
    records = {}
    for start in range(0, len(ids), 500):
        for rec in db.session.scalars(sa.select(model).where(model.id.in_(ids[start : start + 500]))):
            records[rec.id] = rec
    targets, changed = [], []
    for row in rows:
        record = records.get(row.record_id)
        if record is None:
            changed.append({"row": row.row_no, "record_id": row.record_id, "reason": "deleted since the import"})
        elif record.version != row.written_version:
            changed.append({"row": row.row_no, "record_id": row.record_id, "reason": "changed since the import"})
        else:
            targets.append((row, record))
    return targets, changed


def _revert_one(change_set: ChangeSet, model, row, record) -> None:
    if row.action == "create":
        if isinstance(record, ArchiveMixin):
            record_services.archive(record)
        else:
            record_services.delete(record)
        return
    V = version_class(model)
    before = db.session.scalar(
        sa.select(V.transaction_id).where(V.id == record.id, V.end_transaction_id == change_set.transaction_id)
    )
    if before is None:
        raise RowError({ROW: ["No version before the import to go back to."]})
    revert_record(db.session, record, before)
