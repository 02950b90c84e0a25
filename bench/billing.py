"""OpsHub billing benchmark: the invoice list (with totals) and receivables at 100k invoices /
500k lines.

    .venv/bin/python -m bench.billing [--engines sqlite,pg] [--sizes 10000,100000] [--requests 100]

For each engine and size, a fresh database (the migrations, `seed_demo()`, 1,000 clients and
`seed_scale("invoices", N)`: N invoices with 5 lines each, ~60% paid, 25% sent, 10% drafts, 5% void,
with their version, transaction and audit rows), then, in-process through the Flask test client
as `finance`: p50/p95 and SQL statements per request of the API invoice list (first page and a
sorted later page, totals included), the HTML invoice list, the receivables API and page. The
receivables' floor is its GROUP BY replayed raw. Targets: <= 6 SQL per list page; p50 at the
largest N / p50 at 10k <= 1.2 for the lists; receivables by aggregate SQL. Prints figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import ROOT, _log, database, pct

USER = "finance"
REQUESTS = [
    ("api_list", "API  GET /api/v1/invoices/", "api", "/api/v1/invoices/"),
    (
        "api_sorted",
        "API  invoices by total desc p3",
        "api",
        "/api/v1/invoices/?q=(order_column:total,order_direction:desc,page:3,page_size:25)",
    ),
    (
        "api_overdue",
        "API  invoices overdue",
        "api",
        "/api/v1/invoices/?q=(filters:!((col:status,opr:overdue,value:1)))",
    ),
    ("html_list", "HTML GET /invoices/list/", "html", "/invoices/list/"),
    ("receivables", "API  GET /api/v1/analytics/receivables", "api", "/api/v1/analytics/receivables"),
    ("receivables_page", "HTML GET /receivables/", "html", "/receivables/"),
]


def run_case(spec: dict) -> dict:
    import logging
    import warnings

    logging.disable(logging.INFO)
    warnings.filterwarnings("ignore")
    import flask_migrate
    import sqlalchemy as sa
    from sqlalchemy import event

    from app import create_app
    from app.core.seed import seed_demo, seed_scale
    from app.extensions import db
    from config import TestConfig

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = spec["uri"]
        OPSHUB_LOGIN_FAILURE_LIMIT = "1000000 per minute"

    app = create_app(BenchConfig)
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        seed_scale("clients", 1000)
        t = time.perf_counter()
        seed_scale("invoices", spec["n"])
        seed_s = time.perf_counter() - t
        counts = {
            table: db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("invoice", "invoice_line", "payment")
        }
        db.session.remove()
        engine = db.engine
    _log(f"  seeded {spec['n']:,} invoices in {seed_s:.1f} s: {counts}")
    api, html = app.test_client(), app.test_client()
    token = api.post("/api/v1/security/login", json={"username": USER, "password": f"{USER}123", "provider": "db"})
    headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    html.post("/login/", data={"username": USER, "password": f"{USER}123"})

    def timed(fn) -> dict:
        for _ in range(5):
            fn()
        gc.collect()
        samples = []
        for _ in range(spec["requests"]):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return {"p50": pct(samples, 50) * 1000, "p95": pct(samples, 95) * 1000}

    def statements(fn) -> list[str]:
        seen: list[str] = []
        listener = lambda _c, _cur, stmt, params, *_a: seen.append((stmt, params))  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            fn()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return seen

    out = {"engine": spec["engine"], "n": spec["n"], "counts": counts, "seed_s": seed_s, "measures": {}}
    raw = engine.raw_connection()
    cursor = raw.cursor()
    for key, label, kind, path in REQUESTS:

        def fn(kind=kind, path=path):
            resp = api.get(path, headers=headers) if kind == "api" else html.get(path)
            resp.get_data()
            return resp

        first = fn()
        if first.status_code != 200:
            raise SystemExit(f"{key}: HTTP {first.status_code} {first.get_data(as_text=True)[:300]}")
        m = timed(fn)
        stmts = statements(fn)
        m["sql"] = len(stmts)
        grouped = [(s, p) for s, p in stmts if "GROUP BY" in s.upper()]
        if key == "receivables" and grouped:
            sql, params = grouped[0]

            def raw_fn(sql=sql, params=params):
                cursor.execute(sql, params)
                return cursor.fetchall()

            m["raw"] = timed(raw_fn)
            m["group_bys"] = len(grouped)
        out["measures"][key] = m
        _log(f"  {label:<42} p50 {m['p50']:8.2f} ms  p95 {m['p95']:8.2f}  ({m['sql']} SQL)")
    cursor.close()
    raw.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engines", default="sqlite,pg")
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--_child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        spec = json.loads(args._child)
        Path(spec["out"]).write_text(json.dumps(run_case(spec), default=str))
        return 0
    results = []
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        for n in [int(s) for s in args.sizes.split(",")]:
            _log(f"[{engine} {n:,} invoices] building database ...")
            with database(engine, n) as uri, tempfile.NamedTemporaryFile(suffix=".json") as out:
                spec = {"engine": engine, "uri": uri, "n": n, "requests": args.requests, "out": out.name}
                proc = subprocess.run([sys.executable, "-m", "bench.billing", "--_child", json.dumps(spec)], cwd=ROOT)
                if proc.returncode == 0:
                    results.append(json.loads(Path(out.name).read_text()))
    print("\n=== billing (p50 / p95 ms, SQL statements per request)")
    print(f"{'engine':<7} {'invoices':>9} {'lines':>9} " + " ".join(f"{k:>22}" for k, *_ in REQUESTS))
    for r in results:
        cells = " ".join(
            f"{r['measures'][k]['p50']:>8.2f}/{r['measures'][k]['p95']:>7.2f} {r['measures'][k]['sql']:>3}sql"
            for k, *_ in REQUESTS
        )
        print(f"{r['engine']:<7} {r['counts']['invoice']:>9,} {r['counts']['invoice_line']:>9,} {cells}")
    for engine in {r["engine"] for r in results}:
        rows = sorted((r for r in results if r["engine"] == engine), key=lambda r: r["n"])
        if len(rows) < 2:
            continue
        small, big = rows[0], rows[-1]
        for key, label, *_ in REQUESTS:
            ratio = big["measures"][key]["p50"] / small["measures"][key]["p50"]
            target = (
                " (target <= 1.2: " + ("ok)" if ratio <= 1.2 else "MISS)") if key in ("api_list", "html_list") else ""
            )
            print(f"{engine:<7} {label:<42} {ratio:5.2f}x from {small['n']:,} to {big['n']:,}{target}")
        rec = big["measures"]["receivables"]
        if "raw" in rec:
            print(
                f"{engine:<7} receivables at {big['n']:,}: {rec['group_bys']} GROUP BY statements;"
                f" p50 {rec['p50']:.1f} ms, its GROUP BY alone {rec['raw']['p50']:.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
