"""Where server-side sessions live: a table of the app's database (the default) or Redis.

A stored session is found by the SHA-256 of the id its cookie carries, so a copy of the table or of
Redis holds no id a browser could present. Both stores rewrite a session only while it still exists:
a request that was running on any node when its session was ended cannot bring the session back.
"""
import json
import math
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.kernel.extensions import db


@dataclass
class Record:
    """One stored session: its contents (tagged JSON), owner and times (naive UTC)."""

    data: str
    user_id: int | None
    created_at: datetime
    seen_at: datetime
    expires_at: datetime


class WebSession(db.Model):
    """A browser's session: what the random id in its session cookie stands for."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        sa.CheckConstraint("seen_at >= created_at", name="seen_after_start"),
        sa.CheckConstraint("expires_at > created_at", name="ends_after_start"),
    )

    #: SHA-256 (hex) of the random id the browser's cookie carries; the id itself is never stored
    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    #: the signed-in staff account; empty for a visitor's session (a form's token, a citizen's case codes)
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the session's contents as tagged JSON (Flask's session serializer)
    data: so.Mapped[str] = so.mapped_column(sa.Text)
    #: when the session began (UTC); the absolute timeout counts from here
    created_at: so.Mapped[datetime]
    #: the last request seen (UTC, refreshed at most once a minute); the idle timeout counts from here
    seen_at: so.Mapped[datetime]
    #: when the session ends unless used again: the earlier of the idle and the absolute timeout (UTC)
    expires_at: so.Mapped[datetime] = so.mapped_column(index=True)


_table = WebSession.__table__


class DatabaseStore:
    """Sessions in the app's database, written through the request's database session: ending a user's
    sessions belongs to the request's transaction, and the session interface commits its own writes."""

    def load(self, key, now):
        row = db.session.execute(sa.select(_table).where(_table.c.key == key, _table.c.expires_at > now)).first()
        return Record(**{name: row._mapping[name] for name in Record.__dataclass_fields__}) if row else None

    def create(self, key, record):
        db.session.execute(_table.insert().values(key=key, **asdict(record)))

    def update(self, key, record, now):
        """Rewrite a session that still exists and has not expired; False if it has gone."""
        result = db.session.execute(_table.update().where(_table.c.key == key, _table.c.expires_at > now)
                                    .values(**asdict(record)))
        return result.rowcount == 1

    def delete(self, key):
        db.session.execute(_table.delete().where(_table.c.key == key))

    def delete_user(self, user_id, keep=None):
        condition = _table.c.user_id == user_id
        if keep is not None:
            condition &= _table.c.key != keep
        db.session.execute(_table.delete().where(condition))

    def purge(self, now):
        db.session.execute(_table.delete().where(_table.c.expires_at <= now))

    def commit(self):
        db.session.commit()


class RedisStore:
    """Sessions in Redis, each a key that expires with the session, and a set of ids per user so that
    all of a user's sessions can be ended at once."""

    def __init__(self, url, prefix, longest_seconds):
        import redis  # only a deployment with Redis needs the client

        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self.longest = longest_seconds

    def _name(self, key):
        return f"{self.prefix}{key}"

    def _user_set(self, user_id):
        return f"{self.prefix}user:{user_id}"

    def load(self, key, now):
        raw = self.redis.get(self._name(key))
        if raw is None:
            return None
        fields = json.loads(raw)
        record = Record(**{name: datetime.fromisoformat(value) if name.endswith("_at") else value
                           for name, value in fields.items()})
        return record if record.expires_at > now else None

    def _write(self, key, record, now, **condition):
        ttl = max(1, math.ceil((record.expires_at - now).total_seconds()))
        fields = {name: value.isoformat() if isinstance(value, datetime) else value
                  for name, value in asdict(record).items()}
        written = self.redis.set(self._name(key), json.dumps(fields), ex=ttl, **condition)
        if written and record.user_id is not None:
            pipe = self.redis.pipeline()
            pipe.sadd(self._user_set(record.user_id), key)
            pipe.expire(self._user_set(record.user_id), self.longest)
            pipe.execute()
        return bool(written)

    def create(self, key, record):
        self._write(key, record, record.seen_at, nx=True)

    def update(self, key, record, now):
        return self._write(key, record, now, xx=True)

    def delete(self, key):
        self.redis.delete(self._name(key))

    def delete_user(self, user_id, keep=None):
        members = {member.decode() for member in self.redis.smembers(self._user_set(user_id))} - {keep}
        if members:
            self.redis.delete(*(self._name(key) for key in members))
            self.redis.srem(self._user_set(user_id), *members)

    def purge(self, now):
        """Redis expires sessions itself."""

    def commit(self):
        """Redis writes take effect at once."""
