"""WSGI entry point: `gunicorn run:app`, and `flask --app run ...` for commands."""

from app import create_app

app = create_app()
