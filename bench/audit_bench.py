"""Benchmark of the audit log: appending entries one at a time, `audit verify`, and the admins' page.

    python bench/audit_bench.py [--entries 100000] [--database postgresql://127.0.0.1:5432/test]

Builds a throwaway SQLite file (or a throwaway schema on the PostgreSQL server given), appends --entries
entries through audit.record in transactions of 500 (the way a busy office's sign-ins and edits arrive),
then times a full verify and the first page of /admin/audit (which verifies the chain on every view).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere


def _app(url, options):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options, "SECRET_KEY": "bench",
                       "TESTING": True, "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def run(url, options, entries):
    from app.audit import operations as audit
    from app.kernel.extensions import db
    from app.registry.models import User

    app = _app(url, options)
    with app.app_context():
        db.create_all()
        admin = User(username="admin", role="admin")
        admin.set_password("bench-password")
        db.session.add(admin)
        db.session.commit()
        started = time.perf_counter()
        for n in range(entries):
            audit.record("unit.edit", admin, actor=admin, details={"name": f"单位{n}", "changes": {"name": ["甲", "乙"]}})
            if n % 500 == 499:
                db.session.commit()
        db.session.commit()
        appended = time.perf_counter() - started
        started = time.perf_counter()
        status = audit.verify()
        verified = time.perf_counter() - started
    client = app.test_client()
    client.post("/auth/login", data={"username": "admin", "password": "bench-password"})
    started = time.perf_counter()
    page = client.get("/admin/audit/")
    shown = time.perf_counter() - started
    assert status.intact and page.status_code == 200, (status.message, page.status_code)
    print(f"{entries} entries on {url.split(':')[0]}: appended {entries / appended:,.0f}/s; "
          f"verify {verified:.2f} s; first page of /admin/audit {shown:.2f} s")
    with app.app_context():
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--database", help="a PostgreSQL URL; a throwaway schema is made and dropped")
    args = parser.parse_args()
    if not args.database:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.sqlite3", {}, args.entries)
        return
    import sqlalchemy as sa

    from app.kernel.config import normalise_database_url

    url, schema = normalise_database_url(args.database), f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        run(url, {"connect_args": {"options": f"-csearch_path={schema}"}}, args.entries)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


if __name__ == "__main__":
    main()
