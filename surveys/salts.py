"""Rotating salts for walk-ins' keyed hashes.

A walk-in's client hash (address and browser), address hash and intake-counter keys are HMACs under the
salt of the Beijing day it was given on: random, made at the day's first walk-in (a conditional insert, so
several workers and nodes agree on it), and deleted [screening] salt_keep_days after its day, at the first
walk-in of a later day and by `surveys flush` / `surveys forget-salts` from cron. Hashes of one day compare
with each other, which is what screening needs (stuffing happens within hours); after the salt is gone, no
one holding the database, the instance folder and the access logs can compute an address's hash.

Deleting is made physical where the database allows: SQLite overwrites deleted content (secure_delete)
and the command truncates the write-ahead log; on PostgreSQL the command vacuums the table. A PostgreSQL
write-ahead archive, if one is kept, holds a salt until it is recycled: keep none longer than the salt.
"""
import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.kernel.clock import utcnow
from app.kernel.extensions import db
from app.kernel.refusals import Refusal
from surveys.models import ClientSalt, IntakeCounter

# The privacy promise: no region may keep a day's salt longer than this, whatever its scheme says.
MAX_KEEP_DAYS = 7


class SaltError(Refusal):
    """The scheme asks to keep salts longer than the promise allows: the server's fault."""

    status = 500


def keep_days(screening):
    days = screening["salt_keep_days"]
    if not isinstance(days, int) or not 0 <= days <= MAX_KEEP_DAYS:
        raise SaltError(f"考核方案的 salt_keep_days 应为 0 到 {MAX_KEEP_DAYS} 之间的整数")
    return days


def salt_for(day, screening):
    """The salt of `day` (a Beijing date), made if it is the day's first walk-in; older salts past their
    time are deleted in the same transaction. Flushes only."""
    salt = db.session.scalar(sa.select(ClientSalt.salt).where(ClientSalt.day == day))
    if salt is not None:
        return salt
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    made = db.session.execute(insert(ClientSalt).values(day=day, salt=secrets.token_hex(32))
                              .on_conflict_do_nothing(index_elements=["day"])).rowcount
    if made:  # the day's first walk-in: the old salts go (the counters stay to the command and the windows)
        forget(day, screening, counters=False)
    return db.session.scalar(sa.select(ClientSalt.salt).where(ClientSalt.day == day))


def forget(today, screening, counters=True):
    """Delete the salts whose day is more than salt_keep_days before `today`, and (with `counters`) every
    intake counter of an earlier clock hour, whose keys came from salts; returns how many salts went."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA secure_delete = ON"))  # overwrite, not just unlink, the rows
    gone = db.session.execute(sa.delete(ClientSalt).where(
        ClientSalt.day < today - timedelta(days=keep_days(screening)))).rowcount
    if counters:
        hour = utcnow().replace(minute=0, second=0, microsecond=0)
        db.session.execute(sa.delete(IntakeCounter).where(IntakeCounter.hour < hour))
    return gone


def scrub_storage():
    """After the deleting transaction has committed: push deleted salts out of the database's files
    (SQLite: truncate the write-ahead log; PostgreSQL: vacuum the table). Outside any transaction."""
    if db.engine.dialect.name == "sqlite":
        # the raw connection runs outside the BEGIN IMMEDIATE that every SQLAlchemy transaction takes here
        raw = db.engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    elif db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM client_salts")


def client_hash(salt, campaign_id, address, user_agent):
    """Keyed hash of client address and browser under the day's salt: finds repeats, stores no address."""
    return _mac(f"client-hash:{salt}", f"{campaign_id}|{address}|{user_agent}")


def address_hash(salt, campaign_id, address):
    """Keyed hash of the network address alone, in a domain of its own: a script that changes its browser
    string at every post still comes from one address (screening's address_burst)."""
    return _mac(f"address-hash:{salt}", f"{campaign_id}|{address}")


def _mac(key, message):
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]
