"""The audit log: a hash chain that `audit verify` checks, append-only in the database, appended one
entry at a time by several writers, and a failed sign-in kept although its request is refused."""
import threading

import pytest
import sqlalchemy as sa

from app.audit import operations as audit
from app.audit.models import AuditEntry, AuditHead, append_only_triggers_drop
from app.kernel.extensions import db
from complaints.operations import create_case
from tests.conftest import csrf_from


def _three_entries(make):
    user = make.user(role="admin")
    for action in ("user.create", "user.edit", "user.disable"):
        audit.record(action, user, actor=user, details={"username": user.username, "note": "测试"})
    return user


def _execute(sql, **params):
    db.session.execute(sa.text(sql), params)


def _drop_append_only(table):
    """What a database owner can do: drop (SQLite) or disable (PostgreSQL) the append-only triggers."""
    if db.engine.dialect.name == "postgresql":
        _execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    else:
        for statement in append_only_triggers_drop(table)["sqlite"]:
            _execute(statement)


def _verify(runner):
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_entries_form_a_chain_that_verifies(make, runner):
    user = _three_entries(make)
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.id for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "" and entries[1].prev_hash == entries[0].entry_hash
    assert all(audit.entry_hash(e) == e.entry_hash for e in entries)
    assert (entries[0].user_id, entries[0].username, entries[0].object_type) == (user.id, user.username, "users")
    assert audit.details_of(entries[0]) == {"username": user.username, "note": "测试"}
    head = db.session.get(AuditHead, 1)
    assert (head.entries, head.last_hash) == (3, entries[2].entry_hash)
    code, output = _verify(runner)
    assert code == 0 and "共 3 条" in output and entries[2].entry_hash in output


@pytest.mark.parametrize("tamper, bad", [
    ("UPDATE audit_log SET details = '{\"note\":\"改过\"}' WHERE id = 2", "第2条的内容与其校验值不符"),
    ("UPDATE audit_log SET created_at = created_at WHERE id = 2; UPDATE audit_log SET username = 'someone' WHERE id = 1",
     "第1条的内容与其校验值不符"),
    ("DELETE FROM audit_log WHERE id = 2", "第2条缺失"),
    ("DELETE FROM audit_log WHERE id = 3", "第3条起的记录缺失"),
    ("UPDATE audit_log SET id = 100 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 3; "
     "UPDATE audit_log SET id = 3 WHERE id = 100", "第2条与前一条接不上"),
    ("UPDATE audit_head SET entries = 2", "链头与记录不符"),
])
def test_verify_names_the_first_bad_entry_after_direct_sql(make, runner, tamper, bad):
    _three_entries(make)
    _drop_append_only("audit_log")
    for statement in tamper.split("; "):
        _execute(statement)
    code, output = _verify(runner)
    assert code == 1 and bad in output, output


@pytest.mark.parametrize("table", ["audit_log", "case_events"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_append_only_rows(make, table, statement):
    _three_entries(make)
    if table == "case_events":
        create_case(kind="complaint", unit=make.unit(), description="测试事项", name="李四", phone="13912345678")
        db.session.flush()
    with pytest.raises(sa.exc.IntegrityError, match="只能追加记录"):
        with db.session.begin_nested():
            _execute(statement.format(table=table))
    assert db.session.scalar(sa.text(f"SELECT count(*) FROM {table}")) > 0


def test_truncate_is_refused_on_postgresql(make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _three_entries(make)
    with pytest.raises(sa.exc.IntegrityError, match="只能追加记录"):
        with db.session.begin_nested():
            _execute("TRUNCATE audit_log")


def test_an_unknown_action_is_refused():
    with pytest.raises(audit.AuditError):
        audit.record("user.delete")


def _sign_in(client, username, password):
    token = csrf_from(client.get("/auth/login").data)
    return client.post("/auth/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})


def test_sign_ins_and_failures_are_recorded_and_a_failure_outlasts_its_rollback(client, make):
    user = make.user(role="handler", password="right-password-123")
    assert _sign_in(client, user.username, "wrong").status_code == 401
    assert _sign_in(client, "nobody-such", "wrong").status_code == 401
    assert _sign_in(client, user.username, "right-password-123").status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/auth/login").data)})
    rows = db.session.execute(sa.select(AuditEntry.action, AuditEntry.username, AuditEntry.address)
                              .order_by(AuditEntry.id)).all()
    assert rows == [("auth.login_failed", user.username, "198.51.100.7"), ("auth.login_failed", "", "198.51.100.7"),
                    ("auth.login", user.username, "198.51.100.7"), ("auth.logout", user.username, "127.0.0.1")]
    assert audit.verify().intact


@pytest.mark.isolated
def test_several_writers_append_one_chain(isolated_app):
    """Threads with their own connections append at once (real commits); the chain stays whole."""
    writers, each = 4, 15
    errors = []

    def write():
        try:
            for n in range(each):
                with isolated_app.app_context():
                    audit.record("unit.import", actor=None, details={"count": n})
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with isolated_app.app_context():
        status = audit.verify()
        assert status.intact and status.entries == writers * each, status.message


TRIGGERS = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'case_events')",
    "postgresql": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                  "AND tgrelid IN ('audit_log'::regclass, 'case_events'::regclass)",
}


@pytest.mark.isolated
def test_the_migration_creates_the_chain_head_and_the_triggers_and_drops_them(empty_app):
    from flask_migrate import downgrade, upgrade

    directory = empty_app.extensions["migrate"].directory
    with empty_app.app_context():
        upgrade(directory=directory)
        dialect = db.engine.dialect.name
        with db.engine.connect() as connection:
            names = set(connection.execute(sa.text(TRIGGERS[dialect])).scalars())
            head = connection.execute(sa.text("SELECT id, entries, last_hash FROM audit_head")).all()
        suffixes = ("no_update", "no_delete") if dialect == "sqlite" else ("append_only", "no_truncate")
        assert names == {f"{table}_{suffix}" for table in ("audit_log", "case_events") for suffix in suffixes}
        assert head == [(1, 0, "")]
        downgrade(directory=directory, revision="0008")
        with db.engine.connect() as connection:
            assert "audit_log" not in sa.inspect(connection).get_table_names()
            if dialect == "postgresql":
                assert connection.execute(sa.text("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal "
                                                  "AND tgrelid = 'case_events'::regclass")).scalar() == 0
            else:
                assert connection.execute(sa.text(TRIGGERS["sqlite"])).all() == []


def test_a_quick_check_walks_only_the_latest_entries(make):
    _three_entries(make)
    _drop_append_only("audit_log")
    _execute("UPDATE audit_log SET action = 'user.enable' WHERE id = 1")
    quick = audit.verify(latest=2)
    assert quick.intact and (quick.checked, quick.entries) == (2, 3) and "最近 2 条完整" in quick.message
    _execute("DELETE FROM audit_log WHERE id = 3")
    assert audit.verify(latest=2).bad_entry == 3
    assert audit.verify().bad_entry == 1
