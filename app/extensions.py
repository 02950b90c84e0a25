"""Shared extension objects.

Order matters: the naming convention must be on FAB's metadata before any table is declared, and
Continuum's `make_versioned` must run before any versioned model is imported.
"""

from __future__ import annotations

from flask_appbuilder import Model
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

Model.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# One metadata for FAB's security tables, our models and Continuum's version tables, so that
# Flask-Migrate sees them all.
db = SQLAlchemy(metadata=Model.metadata)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite as a real server database: WAL so that gunicorn's workers read while one writes,
    a busy timeout instead of "database is locked", enforced foreign keys (as PostgreSQL does)
    and a page cache big enough for the indexes of a million-row table."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=5000",
            "foreign_keys=ON",
            "cache_size=-65536",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


migrate = Migrate()


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    """Search indexes made by hand in a migration, per engine (`*_search`), are not in the
    models; autogenerate and the models-vs-migrations test leave them alone."""
    return not (type_ == "index" and reflected and compare_to is None and (name or "").endswith("_search"))


csrf = CSRFProtect()

from app.core import versioning  # noqa: E402  (make_versioned before models import)

versioning.setup()
