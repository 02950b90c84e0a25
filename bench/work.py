"""OpsHub work benchmark: the assignment list, the calendar month and the workload at 100k
assignments / 100k calendar entries.

    .venv/bin/python -m bench.work [--engines sqlite,pg] [--sizes 10000,100000] [--requests 100]

For each engine and size, a fresh database (the migrations, `seed_demo()`, 1,000 clients and
`seed_scale("assignments", N)`: N assignments — the latest 500 open, due in the next twelve
weeks, the rest completed or cancelled over ten years — and N calendar entries — the open
assignments' deadlines, past site visits, meetings — with their version, transaction and audit
rows), then, in-process through the Flask test client, every size measured in one process in
alternating rounds (a shared machine's load weighs on each size alike): p50/p95 and SQL statements per request of
the API and HTML assignment lists (as `manager`, and as `valuer`, who sees only their own), the
calendar month page and API (everyone, as `manager`; their own, as `valuer`), and the workload
page and API (six weeks). Targets: <= 6 SQL per page; p50 at the largest N / p50 at 10k <= 1.2;
the workload by aggregate SQL (GROUP BY). Prints figures.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import ROOT, _log, database, pct

REQUESTS = [
    ("api_list", "API  GET /api/v1/assignments/       manager", "manager", "api", "/api/v1/assignments/"),
    ("html_list", "HTML GET /assignments/list/          manager", "manager", "html", "/assignments/list/"),
    ("valuer_list", "HTML GET /assignments/list/          valuer", "valuer", "html", "/assignments/list/"),
    ("calendar", "HTML GET /calendar/?user=all         manager", "manager", "html", "/calendar/?user=all"),
    ("calendar_valuer", "HTML GET /calendar/                  valuer", "valuer", "html", "/calendar/"),
    ("calendar_api", "API  GET /api/v1/calendar/           manager", "manager", "api", "/api/v1/calendar/"),
    ("workload", "HTML GET /workload/                  manager", "manager", "html", "/workload/"),
    ("workload_api", "API  GET /api/v1/workload/           manager", "manager", "api", "/api/v1/workload/"),
]
SCALED = ("api_list", "html_list", "calendar", "workload")


def _app(uri: str):
    import logging
    import warnings

    logging.disable(logging.INFO)
    warnings.filterwarnings("ignore")
    from app import create_app
    from config import TestConfig

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = uri
        UPLOAD_DIR = tempfile.mkdtemp(prefix="opshub_bench_uploads_")
        OPSHUB_LOGIN_FAILURE_LIMIT = "1000000 per minute"

    return create_app(BenchConfig)


def seed_case(spec: dict) -> dict:
    """Build one database: the migrations, the demo, 1,000 clients, N assignments and entries."""
    import flask_migrate
    import sqlalchemy as sa

    from app.core.seed import seed_demo, seed_scale
    from app.extensions import db

    app = _app(spec["uri"])
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        seed_scale("clients", 1000)
        t = time.perf_counter()
        seed_scale("assignments", spec["n"])
        seed_s = time.perf_counter() - t
        counts = {
            table: db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("assignment", "calendar_event")
        }
    _log(f"  seeded {spec['n']:,} assignments in {seed_s:.1f} s: {counts}")
    return {"counts": counts, "seed_s": seed_s}


def measure_case(spec: dict) -> dict:
    """Measure every size's database in one process, in alternating rounds (each round runs each
    request once against each size), so that the load of a shared machine weighs on every size
    alike and the seeding's leftovers weigh on none."""
    from sqlalchemy import event

    from app.extensions import db

    sizes = spec["sizes"]  # n -> uri
    cases = {}
    for n, uri in sizes.items():
        app = _app(uri)
        with app.app_context():
            engine = db.engine
        clients = {}
        for user in ("manager", "valuer"):
            api, html = app.test_client(), app.test_client()
            token = api.post(
                "/api/v1/security/login", json={"username": user, "password": f"{user}123", "provider": "db"}
            )
            html.post("/login/", data={"username": user, "password": f"{user}123"})
            clients[user] = (api, html, {"Authorization": f"Bearer {token.get_json()['access_token']}"})
        cases[n] = (engine, clients)

    def call(n, kind, user, path):
        api, html, headers = cases[n][1][user]
        resp = api.get(path, headers=headers) if kind == "api" else html.get(path)
        resp.get_data()
        return resp

    out: dict = {n: {} for n in sizes}
    samples: dict = {(n, key): [] for n in sizes for key, *_ in REQUESTS}
    for n in sizes:
        for key, _label, user, kind, path in REQUESTS:
            first = call(n, kind, user, path)
            if first.status_code != 200:
                raise SystemExit(f"{key}: HTTP {first.status_code} {first.get_data(as_text=True)[:300]}")
            seen: list[str] = []

            def listener(_c, _cur, stmt, _params, *_a, seen=seen):
                seen.append(stmt)

            event.listen(cases[n][0], "before_cursor_execute", listener)
            try:
                call(n, kind, user, path)
            finally:
                event.remove(cases[n][0], "before_cursor_execute", listener)
            out[n][key] = {"sql": len(seen), "group_bys": sum("GROUP BY" in s.upper() for s in seen)}
    for _ in range(3):  # warm-up rounds
        for n in sizes:
            for _key, _label, user, kind, path in REQUESTS:
                call(n, kind, user, path)
    gc.collect()
    for _ in range(spec["requests"]):
        for n in sizes:
            for key, _label, user, kind, path in REQUESTS:
                t = time.perf_counter()
                call(n, kind, user, path)
                samples[(n, key)].append(time.perf_counter() - t)
    for (n, key), values in samples.items():
        out[n][key].update(p50=pct(values, 50) * 1000, p95=pct(values, 95) * 1000)
    for n in sizes:
        for key, label, *_ in REQUESTS:
            m = out[n][key]
            _log(f"  {n:>7,} {label:<48} p50 {m['p50']:8.2f} ms  p95 {m['p95']:8.2f}  ({m['sql']} SQL)")
    return {str(n): v for n, v in out.items()}


def _child(mode: str, spec: dict) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        spec = {**spec, "out": out.name, "mode": mode}
        proc = subprocess.run([sys.executable, "-m", "bench.work", "--_child", json.dumps(spec)], cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"{mode} failed")
        return json.loads(Path(out.name).read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engines", default="sqlite,pg")
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--_child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        spec = json.loads(args._child)
        if spec["mode"] == "seed":
            result = seed_case(spec)
        else:
            result = measure_case({**spec, "sizes": {int(k): v for k, v in spec["sizes"].items()}})
        Path(spec["out"]).write_text(json.dumps(result, default=str))
        return 0
    results = []
    sizes = [int(s) for s in args.sizes.split(",")]
    for engine in [e.strip() for e in args.engines.split(",") if e.strip()]:
        with contextlib.ExitStack() as stack:
            uris = {n: stack.enter_context(database(engine, n)) for n in sizes}
            built = {}
            for n in sizes:
                _log(f"[{engine} {n:,} assignments] building database ...")
                built[n] = _child("seed", {"uri": uris[n], "n": n})
            _log(f"[{engine}] measuring {', '.join(f'{n:,}' for n in sizes)} in alternating rounds ...")
            measured = _child("measure", {"sizes": {str(n): u for n, u in uris.items()}, "requests": args.requests})
            for n in sizes:
                results.append({"engine": engine, "n": n, **built[n], "measures": measured[str(n)]})
    print("\n=== work (p50 / p95 ms, SQL statements per request)")
    print(f"{'engine':<7} {'assignments':>11} {'entries':>9} " + " ".join(f"{k:>21}" for k, *_ in REQUESTS))
    for r in results:
        cells = " ".join(
            f"{r['measures'][k]['p50']:>7.2f}/{r['measures'][k]['p95']:>7.2f} {r['measures'][k]['sql']:>2}sql"
            for k, *_ in REQUESTS
        )
        print(f"{r['engine']:<7} {r['counts']['assignment']:>11,} {r['counts']['calendar_event']:>9,} {cells}")
    worst = max((m["sql"] for r in results for m in r["measures"].values()), default=0)
    print(f"targets: SQL per page <= 6 (worst here: {worst}); p50 at the largest N / p50 at the smallest <= 1.2")
    for engine in sorted({r["engine"] for r in results}):
        rows = sorted((r for r in results if r["engine"] == engine), key=lambda r: r["n"])
        if len(rows) < 2:
            continue
        small, big = rows[0], rows[-1]
        for key, label, *_ in REQUESTS:
            ratio = big["measures"][key]["p50"] / small["measures"][key]["p50"]
            target = " (target <= 1.2: " + ("ok)" if ratio <= 1.2 else "MISS)") if key in SCALED else ""
            print(f"{engine:<7} {label:<48} {ratio:5.2f}x from {small['n']:,} to {big['n']:,}{target}")
        wl = big["measures"]["workload_api"]
        print(f"{engine:<7} workload at {big['n']:,}: {wl['group_bys']} GROUP BY statements, {wl['sql']} SQL in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
