"""The audit log's tables: the entries, one chain head, and the database triggers that keep rows append-only.

Entries name their user and object by id without foreign keys: a record outlives what it names and must
not stop anything from being renamed. Who did it is kept as a snapshot of the username at that moment.
"""
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import DDL, event

from app.kernel.extensions import db


class AuditEntry(db.Model):
    """One recorded action, appended under the chain head's lock and never changed."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.CheckConstraint("id > 0", name="position_positive"),
        sa.CheckConstraint("length(entry_hash) = 64", name="hash_length"),
        sa.Index("ix_audit_log_object", "object_type", "object_id"),
    )

    #: Position in the chain: 1, 2, 3 … without gaps, taken from the chain head while it is locked.
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    #: When the action was recorded (naive UTC, microseconds kept: they are part of the hash).
    created_at: so.Mapped[datetime] = so.mapped_column(index=True)
    #: The staff account that acted or tried to sign in; None for a citizen, a command or an unknown name.
    user_id: so.Mapped[int | None] = so.mapped_column(index=True)
    #: That account's username at the time (a later rename does not rewrite history); "" when none.
    username: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    #: What was done: a code of app.audit.actions.ACTIONS, such as "user.create".
    action: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    #: The table of the object acted on ("users", "cases" …); "" when the action has no single object.
    object_type: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    #: That object's id as text; "" when none.
    object_id: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    #: The client address as the app resolved it (through the trusted proxy hops); "" for a command.
    address: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    #: Further facts as canonical JSON text (sorted keys), hashed exactly as stored; never a password or
    #: a complainant's identity.
    details: so.Mapped[str] = so.mapped_column(sa.Text, default="{}")
    #: SHA-256 (hex) of the entry before this one; "" for the first entry.
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    #: SHA-256 (hex) of this entry's canonical JSON, its position and prev_hash included.
    entry_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)


class AuditHead(db.Model):
    """The chain's one head row: appenders lock it, and it shows a deleted tail."""

    __tablename__ = "audit_head"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("entries >= 0", name="entries_not_negative"),
    )

    #: Always 1: there is one chain.
    id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    #: How many entries the chain holds, which is the position of the last one.
    entries: so.Mapped[int] = so.mapped_column(default=0)
    #: The last entry's hash; "" while the chain is empty.
    last_hash: so.Mapped[str] = so.mapped_column(sa.String(64), default="")


HEAD_ROW = "INSERT INTO audit_head (id, entries, last_hash) VALUES (1, 0, '')"

# Append-only tables refuse UPDATE and DELETE (and TRUNCATE) in the database itself, so direct SQL cannot
# quietly rewrite history. The migration imports these, so create_all (tests) and migrated databases get
# the same SQL. No percent sign or colon in them: DDL() and text() would read those.
APPEND_ONLY_FUNCTION = (
    "CREATE OR REPLACE FUNCTION refuse_change_to_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' 只能追加记录，不能修改或删除', "
    "ERRCODE = 'integrity_constraint_violation'; END $$"
)
APPEND_ONLY_FUNCTION_DROP = "DROP FUNCTION IF EXISTS refuse_change_to_append_only()"


def append_only_triggers(table):
    """{dialect: statements} creating the triggers that refuse changes to `table`'s rows."""
    return {
        "sqlite": tuple(
            f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} 只能追加记录，不能修改或删除'); END"
            for verb in ("UPDATE", "DELETE")),
        "postgresql": (
            APPEND_ONLY_FUNCTION,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change_to_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change_to_append_only()",
        ),
    }


def append_only_triggers_drop(table):
    return {
        "sqlite": (f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"),
        "postgresql": (f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                       f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"),
    }


def make_append_only(table):
    """Create the triggers with the table (create_all); a migration runs append_only_triggers itself."""
    for dialect, statements in append_only_triggers(table.name).items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))


make_append_only(AuditEntry.__table__)
event.listen(AuditHead.__table__, "after_create", DDL(HEAD_ROW))
