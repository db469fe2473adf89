"""The migrated database freezes published runs like create_all does: the initial migration must create
the triggers of stats.web.models (the lead regenerates that file; this test notices if they go missing)."""
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.kernel.extensions import db

QUERIES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'stats_score_runs'",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = 'stats_score_runs'::regclass",
}


@pytest.mark.isolated
def test_migrations_create_and_drop_the_frozen_run_triggers(empty_app):
    directory = empty_app.extensions["migrate"].directory
    with empty_app.app_context():
        upgrade(directory=directory)
        dialect = db.engine.dialect.name
        with db.engine.connect() as connection:
            names = set(connection.execute(sa.text(QUERIES[dialect])).scalars())
        assert names == ({"stats_score_runs_frozen_update", "stats_score_runs_frozen_delete"} if dialect == "sqlite"
                         else {"stats_score_runs_frozen"})
        downgrade(directory=directory, revision="base")
        with db.engine.connect() as connection:
            assert "stats_score_runs" not in sa.inspect(connection).get_table_names()
            if dialect == "postgresql":
                assert connection.execute(sa.text(
                    "SELECT count(*) FROM pg_proc WHERE proname = 'stats_score_runs_frozen' "
                    "AND pronamespace = current_schema()::regnamespace")).scalar() == 0
