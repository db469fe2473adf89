"""Configuration order, the instance folder, database URLs and SQLite's locking mode."""
import os

import pytest
import sqlalchemy as sa

from app import create_app
from app.kernel.config import normalise_database_url
from app.kernel.extensions import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "var-lib-xiaoneng"
    monkeypatch.setenv("XN_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return folder


def test_instance_path_holds_database_and_generated_secret(instance):
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'xiaoneng.sqlite3'}"
    secret = (instance / "secret_key").read_text()
    assert len(secret) == 64 and app.secret_key == secret
    assert oct((instance / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert create_app().secret_key == secret, "the key is generated once and then reused"
    assert app.config["UPLOAD_FOLDER"] == os.path.join(str(instance), "uploads")


def test_environment_overrides_instance_config(instance, monkeypatch):
    instance.mkdir()
    (instance / "config.py").write_text('SCHEME = "from-instance"\nPROXY_HOPS = 1\n', encoding="utf-8")
    assert create_app().config["SCHEME"] == "from-instance"
    monkeypatch.setenv("XN_SCHEME", "from-env")
    app = create_app()
    assert (app.config["SCHEME"], app.config["PROXY_HOPS"]) == ("from-env", 1)


def test_database_url_switches_to_postgresql_with_psycopg(instance, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://xn@db.internal/xiaoneng")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://xn@db.internal/xiaoneng"
    assert normalise_database_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_runs_in_wal_mode_and_takes_the_write_lock_at_begin(instance):
    app = create_app()
    with app.app_context():
        with db.engine.connect() as first:
            # The first statement begins the transaction, and BEGIN IMMEDIATE takes the write lock.
            assert first.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert first.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            with db.engine.connect() as second:
                second.connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
                with pytest.raises(sa.exc.OperationalError, match="locked"):
                    second.exec_driver_sql("SELECT 1")
        db.engine.dispose()


@pytest.mark.isolated
def test_second_init_keeps_responses(empty_app):
    from surveys import operations as ops
    from surveys.models import Campaign, Response

    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    with empty_app.app_context():
        campaign = db.session.scalars(sa.select(Campaign)).one()
        window = ops.active_window("A101-W1")
        levels = {item.id: 4 for item in campaign.nonfixed_questionnaire.items}
        ops.submit_response(campaign=campaign, unit=window.unit, window=window, group="nonfixed",
                            channel="qr", levels=levels)
        db.session.commit()
    assert runner.invoke(args=["init"]).exit_code == 0
    with empty_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 1


def test_public_links_use_the_configured_base_also_outside_a_request(app, monkeypatch):
    from app.kernel.links import public_url

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xn.example.gov.cn/")
    assert public_url("cases.lookup") == "https://xn.example.gov.cn/cases/lookup"
    with app.test_request_context("/", base_url="http://10.0.0.5:8000/xn"):
        assert public_url("surveys.window_survey", window_code="A101-W1") == "https://xn.example.gov.cn/s/A101-W1"
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    assert public_url("cases.lookup") is None
    with app.test_request_context("/", base_url="http://10.0.0.5:8000/xn"):
        assert public_url("cases.lookup") == "http://10.0.0.5:8000/xn/cases/lookup"


def test_the_readme_documents_every_setting_in_one_table():
    """Every built-in setting, and the environment variables read beside them, have a row (name,
    default, effect) in the README's settings table."""
    import pathlib
    import re

    from app.kernel.config import DEFAULTS

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| [^|]+ \| [^|]+ \|$", readme, re.M)
    wanted = {f"XN_{key}" for key in DEFAULTS} | {
        "XN_PUBLIC_BASE_URL", "PORT", "DATABASE_URL", "XN_INSTANCE_PATH", "XN_SECRET_KEY", "XN_UPLOAD_FOLDER",
        "TEST_DATABASE_URL"}
    assert sorted(wanted - set(rows)) == []
    assert len(rows) == len(set(rows)), "one row per setting"
