"""OpsHub export/import benchmark: a 100k-row client import and a million-row export.

    .venv/bin/python -m bench.exchange [--engines sqlite,pg] [--rows 100000] [--export-rows 1000000]

For each engine, a fresh database (the migrations and `seed_demo()`), then each phase in a child
process of its own, so that its peak RSS is its own (the child's `ru_maxrss`, and its growth over
the process as it stood before the phase):

1. dry run: `POST /api/v1/clients/import` of a CSV of N new clients (name, email, phone, owner by
   username, tags) as `manager` — upload, every row through the API's schema and the model rules
   in savepoints, the preview stored;
2. commit: `POST /api/v1/changesets/<id>/commit` — every row written through the ORM with its
   Continuum version and audit row, one transaction, one `import` audit entry;
3. export: `flask opshub seed --scale clients=M` (the bulk loader), then
   `GET /api/v1/clients/export?format=csv` and `format=xlsx` read to the end in 64 KB pieces,
   with the time to the first piece.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time

from bench.run import ROOT, _log, database

TARGET_DRY, TARGET_COMMIT = 30.0, 60.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _app(uri: str):
    import logging
    import warnings

    logging.disable(logging.INFO)
    warnings.filterwarnings("ignore", message=".*HMAC key.*")
    from app import create_app
    from config import TestConfig

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = uri
        OPSHUB_LOGIN_FAILURE_LIMIT = "1000000 per minute"
        OPSHUB_IMPORT_MAX_BYTES = 256 * 1024 * 1024

    return create_app(BenchConfig)


def _token(client, user: str) -> dict:
    resp = client.post("/api/v1/security/login", json={"username": user, "password": f"{user}123", "provider": "db"})
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def _counts(app) -> dict:
    import sqlalchemy as sa
    from sqlalchemy_continuum import version_class

    from app.core.audit import AuditRecord
    from app.crm.models import Client
    from app.extensions import db

    with app.app_context():
        V = version_class(Client)
        return {
            "clients": db.session.scalar(sa.select(sa.func.count()).select_from(Client.__table__)),
            "versions": db.session.scalar(sa.select(sa.func.count()).select_from(V.__table__)),
            "audit": db.session.scalar(sa.select(sa.func.count()).select_from(AuditRecord.__table__)),
        }


# ====================================================================== children
def phase_setup(spec: dict) -> dict:
    import flask_migrate

    from app.core.seed import seed_demo

    app = _app(spec["uri"])
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
    return {}


def phase_dry_run(spec: dict) -> dict:
    app = _app(spec["uri"])
    client = app.test_client()
    headers = _token(client, "manager")
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["name", "email", "phone", "owner", "tags"])
    for i in range(spec["rows"]):
        writer.writerow([f"Imported {i:06d}", f"imp{i}@bench.example", f"+1 555 {i % 10000:04d}", "staff", "bench"])
    payload = buf.getvalue().encode()
    del buf
    size_mb = len(payload) / 1024 / 1024
    base = _current_rss_mb()
    t = time.perf_counter()
    resp = client.post(
        "/api/v1/clients/import",
        data={"file": (io.BytesIO(payload), "clients.csv"), "key": "email"},
        headers=headers,
        content_type="multipart/form-data",
    )
    seconds = time.perf_counter() - t
    body = resp.get_json()
    assert resp.status_code == 201, body
    return {
        "status": resp.status_code,
        "seconds": seconds,
        "summary": body["summary"],
        "change_set": body["id"],
        "file_mb": size_mb,
        "rss_base_mb": base,
        "rss_peak_mb": _rss_mb(),
    }


def phase_commit(spec: dict) -> dict:
    app = _app(spec["uri"])
    client = app.test_client()
    headers = _token(client, "manager")
    before = _counts(app)
    base = _current_rss_mb()
    t = time.perf_counter()
    resp = client.post(f"/api/v1/changesets/{spec['change_set']}/commit", headers=headers)
    seconds = time.perf_counter() - t
    assert resp.status_code == 200, resp.get_json()
    after = _counts(app)
    return {
        "seconds": seconds,
        "versions_written": after["versions"] - before["versions"],
        "audit_written": after["audit"] - before["audit"],
        "clients_written": after["clients"] - before["clients"],
        "rss_base_mb": base,
        "rss_peak_mb": _rss_mb(),
    }


def phase_seed_export(spec: dict) -> dict:
    from app.core.seed import seed_scale

    app = _app(spec["uri"])
    with app.app_context():
        t = time.perf_counter()
        seed_scale("clients", spec["export_rows"])
    return {"seconds": time.perf_counter() - t}


def phase_export(spec: dict) -> dict:
    app = _app(spec["uri"])
    client = app.test_client()
    headers = _token(client, "manager")
    base = _current_rss_mb()
    t = time.perf_counter()
    resp = client.get(f"/api/v1/clients/export?format={spec['format']}", headers=headers, buffered=False)
    first = None
    size = 0
    for chunk in resp.response:
        if first is None:
            first = time.perf_counter() - t
        size += len(chunk)
    seconds = time.perf_counter() - t
    return {
        "format": spec["format"],
        "seconds": seconds,
        "first_byte_s": first,
        "mb": size / 1024 / 1024,
        "rss_base_mb": base,
        "rss_peak_mb": _rss_mb(),
    }


PHASES = {
    "setup": phase_setup,
    "dry_run": phase_dry_run,
    "commit": phase_commit,
    "seed_export": phase_seed_export,
    "export": phase_export,
}


def run_child(spec: dict) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as f:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.exchange", "--_child", json.dumps({**spec, "out": f.name})], cwd=ROOT
        )
        if proc.returncode != 0:
            raise SystemExit(f"phase {spec['phase']} failed ({proc.returncode})")
        return json.loads(open(f.name).read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,pg")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--_child")
    args = parser.parse_args()
    if args._child:
        spec = json.loads(args._child)
        out = PHASES[spec["phase"]](spec)
        with open(spec["out"], "w") as f:
            json.dump(out, f)
        return
    lines = []
    for engine in args.engines.split(","):
        with database(engine, args.rows) as uri:
            base = {"uri": uri, "rows": args.rows, "export_rows": args.export_rows}
            _log(f"== {engine}: import {args.rows:,} clients")
            run_child({**base, "phase": "setup"})
            dry = run_child({**base, "phase": "dry_run"})
            _log(f"  dry run {dry['seconds']:.1f} s {dry['summary']}")
            com = run_child({**base, "phase": "commit", "change_set": dry["change_set"]})
            _log(f"  commit {com['seconds']:.1f} s")
            seed = run_child({**base, "phase": "seed_export"}) if args.export_rows else None
            exports = [run_child({**base, "phase": "export", "format": fmt}) for fmt in ("csv", "xlsx")]
            lines.append((engine, dry, com, seed, exports))
    n = args.rows
    print(
        f"\n=== import of {n:,} new clients (CSV, key email) — targets: dry run <= {TARGET_DRY:.0f} s, "
        f"commit <= {TARGET_COMMIT:.0f} s"
    )
    print(f"{'engine':8} {'phase':8} {'seconds':>8} {'rows/s':>8} {'peak RSS MB':>12} {'growth MB':>10}  written")
    for engine, dry, com, _seed, _exports in lines:
        print(
            f"{engine:8} {'dry run':8} {dry['seconds']:8.1f} {n / dry['seconds']:8,.0f} {dry['rss_peak_mb']:12.0f} "
            f"{dry['rss_peak_mb'] - dry['rss_base_mb']:10.0f}  file {dry['file_mb']:.1f} MB, {dry['summary']}"
        )
        print(
            f"{engine:8} {'commit':8} {com['seconds']:8.1f} {n / com['seconds']:8,.0f} {com['rss_peak_mb']:12.0f} "
            f"{com['rss_peak_mb'] - com['rss_base_mb']:10.0f}  {com['clients_written']:,} clients, "
            f"{com['versions_written']:,} versions, {com['audit_written']:,} audit rows"
        )
    print(f"\n=== export of {args.export_rows + n:,}+ clients, read to the end")
    print(
        f"{'engine':8} {'format':6} {'seconds':>8} {'rows/s':>9} {'first byte s':>12} {'MB':>7} {'peak RSS MB':>12} "
        f"{'growth MB':>10}"
    )
    for engine, _dry, _com, _seed, exports in lines:
        for e in exports:
            rows = args.export_rows + n
            print(
                f"{engine:8} {e['format']:6} {e['seconds']:8.1f} {rows / e['seconds']:9,.0f} {e['first_byte_s']:12.3f} "
                f"{e['mb']:7.0f} {e['rss_peak_mb']:12.0f} {e['rss_peak_mb'] - e['rss_base_mb']:10.0f}"
            )


if __name__ == "__main__":
    main()
