"""The app as gunicorn serves it for the benchmark's over-HTTP figures: the real factory and
configuration (DATABASE_URL from the environment), plus the floor routes (bench/floor.py)."""

from app import create_app
from bench.floor import add_floor_routes

app = create_app()
add_floor_routes(app)
