"""Appending to the audit log one entry at a time, and checking the chain.

Each entry carries the SHA-256 of the entry before it and its own hash over its canonical JSON (its
position, time, who, what, object, address, details and the previous hash). An appender first locks the
chain head (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), so
entries from several app servers still form one chain. Operations flush; the request or command commits.
"""
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from app.audit.actions import ACTIONS
from app.audit.models import AuditEntry, AuditHead
from app.kernel import db as kernel_db
from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.kernel.refusals import Refusal

CURRENT_USER = object()  # record()'s default actor: whoever is signed in to this request


class AuditError(Refusal):
    """The log cannot take an entry (an unknown action, a missing chain head): the server's fault."""

    status = 500


def record(action, target=None, *, details=None, actor=CURRENT_USER, keep_if_refused=False):
    """Append an entry: `actor` (a staff account; by default the signed-in one, None for a citizen or a
    command) did `action` (a code of ACTIONS) to `target` (a model instance or None), with `details`.

    With keep_if_refused the entry is written again after the rollback of a refused request, for records
    of the refusal itself (a failed sign-in). Returns the entry.
    """
    if action not in ACTIONS:
        raise AuditError(f"审计日志中没有登记操作“{action}”。")
    fields = _fields(action, target, details, actor)
    entry = _append(fields)
    if keep_if_refused:
        kernel_db.keep_if_refused(lambda: _append(fields))
    return entry


def changes(before, after):
    """{field: [old, new]} for each field of `after` whose value differs from `before` (both dicts), for
    an entry's details."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def _fields(action, target, details, actor):
    if actor is CURRENT_USER:
        actor = current_user if has_request_context() and current_user.is_authenticated else None
    if target is not None and target.id is None:
        db.session.flush()  # a new object gets its id
    return {
        "created_at": utcnow(), "action": action,
        "user_id": actor.id if actor is not None else None,
        "username": actor.username if actor is not None else "",
        "object_type": target.__tablename__ if target is not None else "",
        "object_id": str(target.id) if target is not None else "",
        "address": (request.remote_addr or "") if has_request_context() else "",
        "details": json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              default=str),
    }


def _append(fields):
    head = db.session.scalars(sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()
                              .execution_options(populate_existing=True)).one_or_none()
    if head is None:
        raise AuditError("审计日志的链头记录缺失，请运行 flask --app wsgi audit verify 检查。")
    entry = AuditEntry(id=head.entries + 1, prev_hash=head.last_hash, **fields)
    entry.entry_hash = entry_hash(entry)
    head.entries, head.last_hash = entry.id, entry.entry_hash
    db.session.add(entry)
    db.session.flush()
    return entry


HASHED = ("id", "created_at", "user_id", "username", "action", "object_type", "object_id", "address",
          "details", "prev_hash")


def entry_hash(entry):
    """SHA-256 (hex) of an entry's canonical JSON: sorted keys, no spaces, UTF-8, time to the microsecond."""
    content = {name: getattr(entry, name) for name in HASHED}
    content["created_at"] = entry.created_at.isoformat(timespec="microseconds")
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainStatus:
    """What verify() found: the length and last hash read, the first bad entry with the problem, and how
    many entries were checked (all, unless only the latest were asked for)."""

    entries: int
    last_hash: str
    bad_entry: int | None = None
    problem: str = ""
    checked: int | None = None

    @property
    def intact(self):
        return self.bad_entry is None and not self.problem

    @property
    def message(self):
        if not self.intact:
            where = f"第{self.bad_entry}条" if self.bad_entry else "链头"
            return f"审计日志已被改动：{where}{self.problem}。"
        scope = "" if self.checked is None or self.checked >= self.entries else f"最近 {self.checked} 条"
        return f"审计日志{scope}完整：共 {self.entries} 条，末条校验值 {self.last_hash or '（无）'}。"


def verify(latest=None, batch=2000):
    """Walk the chain in order and report the first entry that is missing, edited or out of place; with
    `latest`, only the last that many entries and the head (a quick look for a page; the command walks all).

    Rows are read as plain values, not ORM objects, so nothing cached in the session hides an edit.
    """
    head = db.session.execute(sa.select(AuditHead.entries, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    first = max(1, head.entries - latest + 1) if latest and head is not None else 1
    columns = sa.select(*AuditEntry.__table__.columns).where(AuditEntry.id >= first).order_by(AuditEntry.id)
    rows = db.session.execute(columns.execution_options(yield_per=batch))
    try:
        status, position, previous = _walk(rows, first)
    finally:
        rows.close()  # a server-side cursor (PostgreSQL) left open when the walk stops early
    if status is not None:
        return status
    checked = position - first + 1
    if head is None:
        return ChainStatus(position, previous, None, "记录缺失", checked)
    if head.entries > position:
        return ChainStatus(position, previous, position + 1, "起的记录缺失（末尾被删除）", checked)
    if head.entries != position or head.last_hash != previous:
        return ChainStatus(position, previous, None, "与记录不符（链头被改动）", checked)
    return ChainStatus(position, previous, checked=checked)


def _walk(rows, first=1):
    """(status of the first bad entry or None, position reached, last hash), walking from position `first`
    (the entry before it is taken on trust when first > 1)."""
    previous, position = "" if first == 1 else None, first - 1
    for row in rows:
        position += 1
        if row.id != position:
            return ChainStatus(position - 1, previous, position, "缺失（被删除，或记录顺序被改动）"), position, previous
        if previous is not None and row.prev_hash != previous:
            problem = "与前一条接不上（前一条被删除、改动或调换了顺序）"
            return ChainStatus(position - 1, previous, position, problem), position, previous
        if entry_hash(row) != row.entry_hash:
            return ChainStatus(position - 1, previous, position, "的内容与其校验值不符（被改动）"), position, previous
        previous = row.entry_hash
    return None, position, previous or ""


def search(*, who="", action="", object_type="", object_id="", since=None, until=None):
    """Entries matching the filters, newest first: who (part of the username), action code, object kind
    and id, and a time range [since, until) in naive UTC."""
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if who:
        stmt = stmt.where(AuditEntry.username.contains(who, autoescape=True))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    return stmt


def details_of(entry):
    return json.loads(entry.details or "{}")
