"""The migrations own the schema: after `flask db upgrade` the database matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model

from app.extensions import db, include_in_autogenerate


def test_models_and_migrations_agree():
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": True, "include_object": include_in_autogenerate},
        )
        diff = compare_metadata(ctx, Model.metadata)
    assert diff == []


def test_each_engine_gets_its_search_indexes():
    import sqlalchemy as sa

    inspector = sa.inspect(db.engine)
    names = {ix["name"] for table in ("client", "contact") for ix in inspector.get_indexes(table)}
    expected = {"ix_client_name_prefix_search", "ix_contact_last_name_prefix_search"}
    if db.engine.dialect.name == "postgresql":
        expected |= {"ix_client_name_trgm_search", "ix_contact_last_name_trgm_search"}
    assert expected <= names


def test_nothing_calls_create_all_at_start_up():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    sources = [p.read_text() for p in (root / "app").rglob("*.py")] + [(root / "run.py").read_text()]
    assert not any("create_all(" in s for s in sources)


def test_resources_must_declare_their_columns():
    import pytest

    from app.core.api import OpsModelRestApi
    from app.core.interface import OpsInterface
    from app.crm.models import Client

    class Careless(OpsModelRestApi):
        datamodel = OpsInterface(Client)
        list_columns = ["name"]

    with pytest.raises(TypeError, match="must declare"):
        Careless()

    class Versioned(OpsModelRestApi):
        datamodel = OpsInterface(Client)
        list_columns = show_columns = add_columns = edit_columns = ["name"]
        search_columns = ["versions"]

    with pytest.raises(TypeError, match="versions"):
        Versioned()
