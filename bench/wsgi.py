"""The app as gunicorn serves it for the benchmark's over-HTTP figures: the real factory and
configuration (DATABASE_URL from the environment), plus the trivial floor route."""

from app import create_app

app = create_app()
app.add_url_rule("/_bench_plain", "bench_plain", lambda: {"ok": True})
