"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app.kernel.extensions import db


@pytest.mark.isolated
def test_migrations_match_models(empty_app):
    with empty_app.app_context():
        upgrade(directory=empty_app.extensions["migrate"].directory)
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == [], "models changed without a migration: run `./manage.sh flask db migrate`"
