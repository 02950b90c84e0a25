"""OpsHub projects benchmark: project and instance lists at 10k projects / 30k instances.

    .venv/bin/python -m bench.projects [--engines sqlite,pg] [--projects 10000] [--requests 200]

For each engine, a fresh database (the migrations, `seed_demo()`, 1,000 clients and
`seed_scale("projects", N)`: N projects with 3 instances each and 0-2 members), then, in-process
through the Flask test client, p50/p95 and SQL statements per request of the project list (with
client and member count columns) and the instance list, on the API and the pages, as `manager`
(sees every project) and as `viewer` (assigned projects only). The floor is the plain route
(floor a in bench/README.md) plus the raw page query of each list. Prints figures; asserts nothing.
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

PROJECT_PAGE_SQL = (
    "SELECT p.id, p.name, c.id, c.name,"
    " (SELECT count(m.id) FROM project_member m WHERE m.project_id = p.id) AS member_count,"
    " p.archived_at, p.version, p.updated_at"
    " FROM project p LEFT OUTER JOIN client c ON c.id = p.client_id"
    " WHERE p.organization_id = :org AND p.archived_at IS NULL ORDER BY p.name, p.id LIMIT 25"
)
INSTANCE_PAGE_SQL = (
    "SELECT i.id, i.name, i.type, i.url, i.odoo_version, i.active, p.id, p.name, i.archived_at, i.version,"
    " i.updated_at FROM instance i LEFT OUTER JOIN project p ON p.id = i.project_id"
    " WHERE i.organization_id = :org AND i.archived_at IS NULL ORDER BY i.name, i.id LIMIT 25"
)
# (key, label, user, path, client kind, raw page SQL for its floor)
REQUESTS = [
    ("api_projects", "API  GET /api/v1/projects/   manager", "manager", "/api/v1/projects/", "api", PROJECT_PAGE_SQL),
    (
        "api_instances",
        "API  GET /api/v1/instances/  manager",
        "manager",
        "/api/v1/instances/",
        "api",
        INSTANCE_PAGE_SQL,
    ),
    ("html_projects", "HTML GET /projects/list/      manager", "manager", "/projects/list/", "html", PROJECT_PAGE_SQL),
    (
        "html_instances",
        "HTML GET /instances/list/     manager",
        "manager",
        "/instances/list/",
        "html",
        INSTANCE_PAGE_SQL,
    ),
    ("api_projects_viewer", "API  GET /api/v1/projects/   viewer", "viewer", "/api/v1/projects/", "api", None),
    ("api_instances_viewer", "API  GET /api/v1/instances/  viewer", "viewer", "/api/v1/instances/", "api", None),
]
TARGET_RATIO, TARGET_SQL = 2.0, 6


def run_case(spec: dict) -> dict:
    import logging
    import warnings

    logging.disable(logging.INFO)
    warnings.filterwarnings("ignore", message=".*HMAC key.*")
    import flask_migrate
    import sqlalchemy as sa
    from sqlalchemy import event

    from app import create_app
    from app.core.seed import seed_demo, seed_scale
    from app.extensions import db
    from bench.floor import add_floor_routes
    from config import TestConfig

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = spec["uri"]
        OPSHUB_LOGIN_FAILURE_LIMIT = "1000000 per minute"

    app = create_app(BenchConfig)
    add_floor_routes(app)
    with app.app_context():
        flask_migrate.upgrade()
        org_id = seed_demo().org.id
        seed_scale("clients", 1000)
        t = time.perf_counter()
        seed_scale("projects", spec["projects"])
        seed_s = time.perf_counter() - t
        db.session.remove()
        engine = db.engine
    _log(f"  seeded {spec['projects']:,} projects in {seed_s:.1f} s")

    clients = {}
    for user in ("manager", "viewer"):
        api, html = app.test_client(), app.test_client()
        token = api.post("/api/v1/security/login", json={"username": user, "password": f"{user}123", "provider": "db"})
        html.post("/login/", data={"username": user, "password": f"{user}123"})
        clients[user] = (api, {"Authorization": f"Bearer {token.get_json()['access_token']}"}, html)

    def timed(fn) -> dict:
        for _ in range(10):
            fn()
        gc.collect()
        samples = []
        for _ in range(spec["requests"]):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return {"p50": pct(samples, 50) * 1000, "p95": pct(samples, 95) * 1000}

    def statements(fn) -> int:
        seen = []
        listener = lambda *a: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            fn()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    out = {"engine": spec["engine"], "projects": spec["projects"], "seed_s": seed_s, "measures": {}}
    api, _, _ = clients["manager"]
    out["measures"]["plain"] = timed(lambda: api.get("/_bench_plain").get_data())
    with app.app_context(), engine.connect() as conn:
        for key, sql in (("raw_projects", PROJECT_PAGE_SQL), ("raw_instances", INSTANCE_PAGE_SQL)):
            stmt = sa.text(sql)
            assert len(conn.execute(stmt, {"org": org_id}).fetchall()) == 25
            out["measures"][key] = timed(lambda stmt=stmt: conn.execute(stmt, {"org": org_id}).fetchall())
    for key, label, user, path, kind, _sql in REQUESTS:
        api, headers, html = clients[user]

        def fn(api=api, headers=headers, html=html, path=path, kind=kind):
            resp = api.get(path, headers=headers) if kind == "api" else html.get(path)
            resp.get_data()
            return resp

        first = fn()
        if first.status_code != 200:
            raise SystemExit(f"{key}: HTTP {first.status_code} {first.get_data(as_text=True)[:300]}")
        m = timed(fn)
        m["sql"] = statements(fn)
        if kind == "api":
            m["rows"] = len(first.get_json()["result"])
            m["count"] = first.get_json()["count"]
        out["measures"][key] = m
        _log(f"  {label:<40} p50 {m['p50']:7.2f} ms  ({m['sql']} SQL)")
    return out


def print_case(res: dict) -> None:
    m = res["measures"]
    print(
        f"\n=== {res['engine']}  {res['projects']:,} projects, {3 * res['projects']:,} instances"
        f" (seeded in {res['seed_s']:.1f} s)"
    )
    print(f"{'measure':<42} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>4} {'floor':>6} {'ratio':>6}  rows/count")
    print(f"{'floor a: plain Flask route':<42} {m['plain']['p50']:>8.2f} {m['plain']['p95']:>8.2f}")
    for key, label in (("raw_projects", "raw project page query"), ("raw_instances", "raw instance page query")):
        print(f"{label:<42} {m[key]['p50']:>8.2f} {m[key]['p95']:>8.2f}")
    for key, label, _user, _path, _kind, sql in REQUESTS:
        x = m[key]
        floor = ""
        if sql is not None:
            raw = m["raw_projects" if sql is PROJECT_PAGE_SQL else "raw_instances"]["p50"]
            f = m["plain"]["p50"] + raw
            floor = f"{f:>6.2f} {x['p50'] / f:>5.1f}x"
        extra = f"  {x['rows']}/{x['count']}" if "rows" in x else ""
        print(f"{label:<42} {x['p50']:>8.2f} {x['p95']:>8.2f} {x['sql']:>4} {floor:>13}{extra}")
    worst = max(m[k]["sql"] for k, *_ in REQUESTS)
    print(f"targets: SQL per request <= {TARGET_SQL} (worst here: {worst}); API p50 <= {TARGET_RATIO:g}x floor")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engines", default="sqlite,pg")
    p.add_argument("--projects", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--_child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        spec = json.loads(args._child)
        Path(spec["out"]).write_text(json.dumps(run_case(spec)))
        return 0
    ok = True
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        _log(f"[{engine} {args.projects:,} projects] building database ...")
        with database(engine, args.projects) as uri, tempfile.NamedTemporaryFile(suffix=".json") as out:
            spec = {"engine": engine, "uri": uri, "projects": args.projects, "requests": args.requests, "out": out.name}
            proc = subprocess.run([sys.executable, "-m", "bench.projects", "--_child", json.dumps(spec)], cwd=ROOT)
            if proc.returncode != 0:
                ok = False
                continue
            print_case(json.loads(Path(out.name).read_text()))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
