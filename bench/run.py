"""OpsHub list benchmark: API and HTML client lists against 10k..1M clients, SQLite and PostgreSQL.

    .venv/bin/python -m bench.run [--quick] [--engines sqlite,pg] [--sizes 10000,1000000]
                                  [--requests 200] [--verbose] [--profile 100]

Prints figures; asserts nothing. Each (engine, size) runs in its own child process against a
fresh database (PostgreSQL: a dedicated `opshub_bench_<pid>_<n>` database created and dropped
here; SQLite: a temp file), built by the migrations and `seed_demo()` + `seed_scale("clients", n)`.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.floor import RAW_PAGE_SQL, add_floor_routes

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URI = "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"

TARGET_RATIO = 2.0  # API list p50 <= 2 x floor
TARGET_SCALING = 1.2  # p50(largest N) / p50(10k)
TARGET_HTML_SQL = 6  # statements per HTML list request

USER, PASSWORD = "staff", "staff123"
# (key, label, path, query string or None, client)
REQUESTS = [
    ("api_list", "API list  GET /api/v1/clients/", "/api/v1/clients/", None, "api"),
    (
        "api_sorted",
        "API list  order name asc, page 3",
        "/api/v1/clients/",
        "(order_column:name,order_direction:asc,page:3,page_size:25)",
        "api",
    ),
    (
        "api_search",
        "API list  filter name sw 'Client 00012'",
        "/api/v1/clients/",
        "(filters:!((col:name,opr:sw,value:'Client 00012')))",
        "api",
    ),
    ("html_list", "HTML list GET /clients/list/", "/clients/list/", None, "html"),
]


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


# ====================================================================== child: one (engine, N)
def run_case(spec: dict) -> dict:
    import logging
    import warnings

    logging.disable(logging.INFO)  # alembic's fileConfig would print every migration step
    warnings.filterwarnings("ignore", message=".*HMAC key.*")  # the test config's short JWT key
    import flask_migrate
    import sqlalchemy as sa
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from config import TestConfig

    n, max_reqs = spec["n"], spec["requests"]

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = spec["uri"]
        OPSHUB_LOGIN_FAILURE_LIMIT = "1000000 per minute"

    app = create_app(BenchConfig)
    add_floor_routes(app)

    # ------------------------------------------------------------------ build
    seed: dict | None = None
    with app.app_context():
        if spec.get("existing"):  # --uri: an already migrated and seeded database, measured as is
            org_id = db.session.execute(sa.text("SELECT id FROM organization WHERE slug = 'demo'")).scalar_one()
            n = spec["n"] = db.session.execute(
                sa.text("SELECT count(*) FROM client WHERE organization_id = :o"), {"o": org_id}
            ).scalar_one()
        else:
            from app.core.seed import seed_demo, seed_scale

            seed = {}
            t = time.perf_counter()
            flask_migrate.upgrade()
            seed["migrate_s"] = time.perf_counter() - t
            t = time.perf_counter()
            org_id = seed_demo().org.id
            seed["demo_s"] = time.perf_counter() - t
            t = time.perf_counter()
            seed_scale("clients", n)
            seed["scale_s"] = time.perf_counter() - t
            # per client: 1 client + 1 client_version + 1 audit_record row; 1 transaction per batch of 5000
            seed["rows"] = 3 * n + math.ceil(n / 5000)
            _log(f"  seeded {n:,} clients in {seed['scale_s']:.1f} s")
        db.session.remove()
        engine = db.engine

    # ------------------------------------------------------------------ clients
    api = app.test_client()
    r = api.post("/api/v1/security/login", json={"username": USER, "password": PASSWORD, "provider": "db"})
    if r.status_code != 200:
        raise SystemExit(f"API login failed: {r.status_code} {r.get_data(as_text=True)[:300]}")
    headers = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
    html = app.test_client()
    r = html.post("/login/", data={"username": USER, "password": PASSWORD})
    if r.status_code not in (302, 303):
        raise SystemExit(f"page login failed: {r.status_code}")

    def request_fn(path, q, client):
        c = api if client == "api" else html
        kw = {"headers": headers} if client == "api" else {}
        if q is not None:
            kw["query_string"] = {"q": q}

        def fn():
            resp = c.get(path, **kw)
            resp.get_data()
            resp.close()
            return resp

        return fn

    def check(key, resp):
        if resp.status_code != 200:
            raise SystemExit(f"{key}: HTTP {resp.status_code} {resp.get_data(as_text=True)[:300]}")
        if key.startswith("api_") and not resp.get_json().get("result"):
            raise SystemExit(f"{key}: empty result {resp.get_data(as_text=True)[:300]}")
        if key == "html_list" and "Client 0" not in resp.get_data(as_text=True):
            raise SystemExit(f"{key}: no scale client on the page")

    def timed(fn, key=None, warmup=10, budget_s=20.0):
        for _ in range(warmup):
            resp = fn()
            if key:
                check(key, resp)
        t = time.perf_counter()
        fn()
        one = time.perf_counter() - t
        count = max(50, min(max_reqs, int(budget_s / max(one, 1e-6))))
        samples = []
        gc.collect()
        for _ in range(count):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return {"reqs": count, "p50": pct(samples, 50) * 1000, "p95": pct(samples, 95) * 1000}

    def statements_of(fn):
        """(sql, params, ms in the driver) of each statement one request runs."""
        stmts = []

        def before(_conn, _cursor, statement, parameters, _context, _executemany):
            stmts.append([statement, repr(parameters)[:300], time.perf_counter()])

        def after(_conn, _cursor, _statement, _parameters, _context, _executemany):
            stmts[-1][2] = (time.perf_counter() - stmts[-1][2]) * 1000

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        try:
            fn()
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
        return stmts

    # ------------------------------------------------------------------ measure
    out: dict = {"engine": spec["engine"], "n": n, "seed": seed, "measures": {}}
    plain = api.get("/_bench_plain")
    assert plain.status_code == 200, plain.status_code
    m = timed(lambda: api.get("/_bench_plain").get_data())
    m["sql"] = len(statements_of(lambda: api.get("/_bench_plain").get_data()))
    out["measures"]["plain"] = m

    with app.app_context(), engine.connect() as conn:
        stmt = sa.text(RAW_PAGE_SQL)
        raw = timed(lambda: conn.execute(stmt, {"org": org_id}).fetchall())
        raw["sql"] = 1
        rows = conn.execute(stmt, {"org": org_id}).fetchall()
        assert len(rows) == 25, len(rows)
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        plan = [" ".join(str(c) for c in r) for r in conn.execute(sa.text(explain + RAW_PAGE_SQL), {"org": org_id})]
    out["measures"]["raw"] = raw
    out["raw_plan"] = plan

    auth_floor = request_fn("/_bench_auth_floor", None, "api")
    check("api_auth_floor", auth_floor())
    m = timed(auth_floor)
    m["sql"] = len(statements_of(auth_floor))
    out["measures"]["auth"] = m

    for key, label, path, q, client in REQUESTS:
        fn = request_fn(path, q, client)
        m = timed(fn, key)
        stmts = statements_of(fn)
        m["sql"] = len(stmts)
        m["statements"] = stmts
        out["measures"][key] = m
        _log(f"  {label:<44} p50 {m['p50']:8.2f} ms  ({m['reqs']} reqs, {m['sql']} SQL)")

    if spec["profile"]:
        out["profile"] = profile(request_fn(*REQUESTS[0][2:]), spec["profile"])
    engine.dispose()
    out["http"] = measure_over_http(spec["uri"], max_reqs)
    if out["http"]:
        h = out["http"]
        _log(f"  over HTTP: plain route p50 {h['plain']['p50']:.2f} ms, API list p50 {h['api_list']['p50']:.2f} ms")
    return out


def measure_over_http(uri: str, max_reqs: int) -> dict | None:
    """The same floor route and API list through a real server: gunicorn, one sync worker,
    a new loopback connection per request (what a client of `make run` pays)."""
    import http.client
    import socket
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": uri,
        "OPSHUB_ENV": "development",
        "OPSHUB_LOGIN_FAILURE_LIMIT": "1000000 per minute",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning", "bench.wsgi:app"],
        env=env,
        cwd=str(Path(__file__).resolve().parent.parent),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def call(method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    try:
        for _ in range(100):
            try:
                if call("GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            return None
        status, body = call(
            "POST",
            "/api/v1/security/login",
            json.dumps({"username": USER, "password": PASSWORD, "provider": "db"}),
            {"Content-Type": "application/json"},
        )
        if status != 200:
            return None
        auth = {"Authorization": f"Bearer {json.loads(body)['access_token']}"}
        out = {}
        for key, path, headers in (
            ("plain", "/_bench_plain", {}),
            ("auth", "/_bench_auth_floor", auth),
            ("api_list", "/api/v1/clients/", auth),
        ):
            for _ in range(10):
                call("GET", path, headers=headers)
            samples = []
            for _ in range(max(50, min(max_reqs, 200))):
                t = time.perf_counter()
                call("GET", path, headers=headers)
                samples.append(time.perf_counter() - t)
            out[key] = {"p50": pct(samples, 50) * 1000, "p95": pct(samples, 95) * 1000}
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def profile(fn, count: int) -> str:
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(count):
        fn()
    prof.disable()
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.sort_stats("cumulative").print_stats(r"(/app/|flask_appbuilder)", 25)
    buf.write("\n--- top 20 by own time (all code) ---\n")
    st.sort_stats("tottime").print_stats(20)
    return buf.getvalue()


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ====================================================================== parent
@contextlib.contextmanager
def database(engine: str, n: int, keep: bool = False):
    if engine == "sqlite":
        tmp = tempfile.mkdtemp(prefix="opshub_bench_")
        try:
            yield f"sqlite:///{tmp}/bench.db"
        finally:
            if keep:
                _log(f"  kept sqlite:///{tmp}/bench.db")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    import psycopg

    name = f"opshub_bench_{os.getpid()}_{n}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URI.format(db=name)
    finally:
        if keep:
            _log(f"  kept {PG_URI.format(db=name)} (drop it yourself)")
        else:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_child(spec: dict) -> dict | None:
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as f:
        out_path = f.name
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.run", "--_child", json.dumps({**spec, "out": out_path})],
            cwd=ROOT,
        )
        if proc.returncode != 0:
            _log(f"  !! {spec['engine']} N={spec['n']:,}: child exited {proc.returncode}")
            return None
        return json.loads(Path(out_path).read_text())
    finally:
        os.unlink(out_path)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISS"


def print_case(res: dict, verbose: bool) -> None:
    s, m = res["seed"], res["measures"]
    print(f"\n=== {res['engine']}  N={res['n']:,} clients")
    if s:
        print(
            f"seed: migrate {s['migrate_s']:.2f} s | seed_demo {s['demo_s']:.2f} s | seed_scale {s['scale_s']:.2f} s"
            f" = {res['n'] / s['scale_s']:,.0f} clients/s, {s['rows'] / s['scale_s']:,.0f} rows/s"
            f" (client + version + audit rows)"
        )
    else:
        print("seed: existing database (--uri), not seeded here")
    if verbose and res.get("raw_plan"):
        print("plan of the raw page query (floor b):\n  " + "\n  ".join(res["raw_plan"]))
    print(f"{'measure':<46} {'reqs':>5} {'p50 ms':>9} {'p95 ms':>9} {'SQL':>4}")
    rows = [
        ("plain", "floor a: plain Flask route (test client)"),
        ("raw", "floor b: raw page query on a connection"),
        ("auth", "floor c: least authenticated list route"),
    ]
    rows += [(k, label) for k, label, *_ in REQUESTS]
    for key, label in rows:
        x = m[key]
        print(f"{label:<46} {x['reqs']:>5} {x['p50']:>9.2f} {x['p95']:>9.2f} {x['sql']:>4}")
    floor = m["plain"]["p50"] + m["raw"]["p50"]
    ratio = m["api_list"]["p50"] / floor
    if m["raw"]["p50"] > 5:
        print(
            "note: floor b is slow: the raw page query does not read an index in (name, id) order"
            " (it sorts every row of the organization); --verbose prints its plan"
        )
    print(
        f"floor = a + b = {floor:.2f} ms; API list p50 / floor = {ratio:.1f}x"
        f"  (target <= {TARGET_RATIO:g}x: {verdict(ratio <= TARGET_RATIO)})"
    )
    for key in ("api_sorted", "api_search"):
        print(f"  ({key} p50 / floor = {m[key]['p50'] / floor:.1f}x)")
    print(
        f"floor c (JWT check + raw page query + raw capped count, no FAB) = {m['auth']['p50']:.2f} ms"
        f" = {m['auth']['p50'] / floor:.1f}x floor;"
        f" API list p50 / floor c = {m['api_list']['p50'] / m['auth']['p50']:.1f}x"
    )
    hs = m["html_list"]["sql"]
    print(f"HTML list SQL statements = {hs}  (target <= {TARGET_HTML_SQL}: {verdict(hs <= TARGET_HTML_SQL)})")
    if verbose:
        for key, label, *_ in REQUESTS:
            print(f"\n--- SQL of one request: {label} ({m[key]['sql']} statements)")
            for i, (stmt, params, ms) in enumerate(m[key]["statements"], 1):
                print(f"[{i}] ({ms:.2f} ms) {' '.join(stmt.split())}\n    params: {params}")
    if res.get("profile"):
        print(
            f"\n--- cProfile of API list requests ({res['engine']} N={res['n']:,}):"
            " top 25 cumulative, app/ and flask_appbuilder/"
        )
        print(res["profile"])
    sys.stdout.flush()


def print_summary(results: list[dict]) -> None:
    if not results:
        return
    print("\n=== summary (p50 / p95 in ms)")
    hdr = (
        f"{'engine':<7} {'N':>10} {'seed c/s':>9} {'floor':>6} {'API p50':>8} {'API p95':>8} {'ratio':>6}"
        f" {'floor c':>7} {'ratio c':>7} {'sort p50':>8} {'srch p50':>8} {'HTML p50':>8} {'HTML p95':>8}"
        f" {'SQL api':>7} {'SQL html':>8}"
    )
    print(hdr)
    for r in results:
        m = r["measures"]
        floor = m["plain"]["p50"] + m["raw"]["p50"]
        rate = r["n"] / r["seed"]["scale_s"] if r["seed"] else 0
        print(
            f"{r['engine']:<7} {r['n']:>10,} {rate:>9,.0f} {floor:>6.2f}"
            f" {m['api_list']['p50']:>8.2f} {m['api_list']['p95']:>8.2f} {m['api_list']['p50'] / floor:>5.1f}x"
            f" {m['auth']['p50']:>7.2f} {m['api_list']['p50'] / m['auth']['p50']:>6.1f}x"
            f" {m['api_sorted']['p50']:>8.2f} {m['api_search']['p50']:>8.2f}"
            f" {m['html_list']['p50']:>8.2f} {m['html_list']['p95']:>8.2f}"
            f" {m['api_list']['sql']:>7} {m['html_list']['sql']:>8}"
        )
    print(
        f"targets: ratio <= {TARGET_RATIO:g}x | p50(largest N)/p50(10k) <= {TARGET_SCALING:g}"
        f" | HTML SQL <= {TARGET_HTML_SQL}"
    )
    if any(r.get("http") for r in results):
        print("\n=== over HTTP (gunicorn, 1 sync worker, a new loopback connection per request; p50 ms)")
        print(
            f"{'engine':<7} {'N':>10} {'plain':>7} {'raw':>6} {'floor':>6} {'API p50':>8} {'API p95':>8} {'ratio':>6}"
            f" {'floor c':>7} {'ratio c':>7}"
        )
        for r in results:
            h = r.get("http")
            if not h:
                continue
            floor = h["plain"]["p50"] + r["measures"]["raw"]["p50"]
            print(
                f"{r['engine']:<7} {r['n']:>10,} {h['plain']['p50']:>7.2f} {r['measures']['raw']['p50']:>6.2f}"
                f" {floor:>6.2f} {h['api_list']['p50']:>8.2f} {h['api_list']['p95']:>8.2f}"
                f" {h['api_list']['p50'] / floor:>5.1f}x"
                f" {h['auth']['p50']:>7.2f} {h['api_list']['p50'] / h['auth']['p50']:>6.1f}x"
            )
    print("\n=== scaling: p50 at the largest N / p50 at the smallest N")
    for engine in dict.fromkeys(r["engine"] for r in results):
        rs = sorted((r for r in results if r["engine"] == engine), key=lambda r: r["n"])
        if len(rs) < 2:
            print(f"{engine}: only one size measured")
            continue
        lo, hi = rs[0], rs[-1]
        for key, label in (
            ("api_list", "API list"),
            ("api_sorted", "API sorted p3"),
            ("api_search", "API search"),
            ("html_list", "HTML list"),
        ):
            a, b = lo["measures"][key]["p50"], hi["measures"][key]["p50"]
            target = (
                f"(target <= {TARGET_SCALING:g}: {verdict(b / a <= TARGET_SCALING)})"
                if key in ("api_list", "html_list")
                else ""
            )
            print(
                f"{engine:<7} {label:<14} {a:8.2f} ms @ {lo['n']:,} -> {b:8.2f} ms @ {hi['n']:,}"
                f" = {b / a:.2f}x {target}"
            )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="sizes 10000,100000")
    p.add_argument("--engines", default="sqlite,pg", help="comma list of sqlite,pg")
    p.add_argument("--sizes", default=None, help="comma list of client counts (default 10000,1000000)")
    p.add_argument("--requests", type=int, default=200, help="timed requests per measure (>= 50; fewer if slow)")
    p.add_argument("--verbose", action="store_true", help="print the SQL of one request of each kind")
    p.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N API list requests per case")
    p.add_argument("--uri", help="measure this existing seeded database instead of building one")
    p.add_argument("--keep", action="store_true", help="keep the bench databases (prints their URIs)")
    p.add_argument("--_child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args._child:
        spec = json.loads(args._child)
        res = run_case(spec)
        Path(spec["out"]).write_text(json.dumps(res))
        return 0

    sizes = [10_000, 100_000] if args.quick else [10_000, 1_000_000]
    if args.sizes:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ("sqlite", "pg"):
            p.error(f"unknown engine {e!r}")
    what = (
        f"database {args.uri}"
        if args.uri
        else f"engines {','.join(engines)}, sizes {','.join(f'{s:,}' for s in sizes)}"
    )
    print(
        f"OpsHub list benchmark: {what}, user {USER}, up to {args.requests} timed requests per measure (>= 50),"
        f" Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    t0 = time.perf_counter()
    results = []
    if args.uri:
        engine = "pg" if args.uri.startswith("postgresql") else "sqlite"
        res = run_child(
            {
                "engine": engine,
                "uri": args.uri,
                "n": 0,
                "existing": True,
                "verbose": args.verbose,
                "requests": max(50, args.requests),
                "profile": args.profile,
            }
        )
        if res:
            print_case(res, args.verbose)
            print_summary([res])
        return 0 if res else 1
    for engine in engines:
        for n in sizes:
            _log(f"[{engine} N={n:,}] building database ...")
            with database(engine, n, args.keep) as uri:
                res = run_child(
                    {
                        "engine": engine,
                        "uri": uri,
                        "n": n,
                        "verbose": args.verbose,
                        "requests": max(50, args.requests),
                        "profile": args.profile,
                    }
                )
            if res:
                results.append(res)
                print_case(res, args.verbose)
    print_summary(results)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")
    return 0 if len(results) == len(engines) * len(sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
