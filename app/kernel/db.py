"""Database wiring: extensions, SQLite pragmas and the request-boundary commit."""
import os

from flask import g, has_request_context
from sqlalchemy import event

from app.kernel.extensions import csrf, db, login_manager, migrate

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def init_app(app):
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    app.after_request(_commit_request)


def configure_sqlite(engine):
    """WAL, foreign keys, and transactions that take the write lock at BEGIN.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we
    emit BEGIN IMMEDIATE ourselves so that two writers queue instead of one
    failing late with "database is locked".
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _commit_request(response):
    """One commit per request, at its boundary; a refused request stores nothing.

    Unhandled errors never reach here: Flask-SQLAlchemy rolls back when the
    request's session is removed.
    """
    kept = g.pop("kept_writes", [])
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
        for write in kept:
            write()
        if kept:
            db.session.commit()
    return response


def keep_if_refused(write):
    """Run `write` again after a refused request's rollback and commit it: for the record of a refusal
    itself (a failed sign-in), which must outlast the rollback of everything else the request did.
    Outside a request (a command) there is no such rollback, so nothing is kept."""
    if has_request_context():
        g.setdefault("kept_writes", []).append(write)


def upsert(existing, rows, key, make):
    """Add rows whose `key` is new (as `make(row)`), update the changed fields of known ones.

    `existing` maps key -> object; never deletes; flushes only. Returns (created, updated).
    """
    created = updated = 0
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            db.session.add(make(row))
            created += 1
        elif any(getattr(obj, field) != value for field, value in row.items()):
            for field, value in row.items():
                setattr(obj, field, value)
            updated += 1
    db.session.flush()
    return created, updated
