"""Server-side sessions: the cookie carries a random id, the contents live in a store (session_stores).

Signing out, a password change, deactivation and an administrator's "sign out everywhere" delete the
stored sessions, so an old cookie replayed on any node finds nothing. A visitor who stores nothing (a
citizen reading a page) gets no stored session and no cookie. The cookie is HttpOnly, SameSite=Lax, and
Secure whenever the request came over HTTPS (directly, or through the trusted proxy hops, which
ProxyFix applies before this runs); it is a browser-session cookie: the store's idle and absolute
timeouts (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS) end a session, not the browser.
"""
import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SessionInterface

from app.kernel.clock import utcnow
from app.kernel.session_stores import DatabaseStore, Record, RedisStore
from app.kernel.shared import is_shared_page

USER_KEY = "_user_id"  # where Flask-Login keeps the signed-in account
_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
TOUCH_EVERY = timedelta(minutes=1)  # a session's last-seen time is rewritten at most this often


class ServerSession(SecureCookieSession):
    """The session of one request: its contents, and the id it is stored under (None: not stored).

    The contents are read from the store once the request's page is known (_load), not for a shared
    page (app/kernel/shared.py), which reads no session and saves none.
    """

    def __init__(self, sid=None):
        super().__init__()
        self.sid, self.record = sid, None
        self.loaded = self.renewing = self.ending = False


def renew():
    """Give this session a new id when the response is sent (sign-in: an id known before it is dead)."""
    session.renewing = True


def end():
    """End this session: its stored record is deleted and its cookie removed."""
    session.clear()
    session.ending = True


def end_user_sessions(user_id, keep_current=False):
    """End every stored session of a staff account (all nodes), or all but this request's own."""
    keep = _key(session.sid) if keep_current and getattr(session, "sid", None) else None
    store(current_app).delete_user(user_id, keep=keep)


def store(app):
    """The app's session store: Redis when XN_SESSION_REDIS_URL (or XN_REDIS_URL) is set, else the database."""
    if "xn_session_store" not in app.extensions:
        url = app.config.get("SESSION_REDIS_URL") or app.config.get("REDIS_URL")
        app.extensions["xn_session_store"] = (
            RedisStore(url, app.config["SESSION_REDIS_PREFIX"], int(_absolute(app).total_seconds()))
            if url else DatabaseStore())
    return app.extensions["xn_session_store"]


def init_app(app):
    app.session_interface = ServerSessionInterface()
    app.before_request(_load)  # registered before any other hook, so it runs first


def _load():
    """Fill the request's session from the store, unless the page is one shared by everyone."""
    this = session._get_current_object()
    if this.loaded or is_shared_page():
        return
    this.loaded = True
    record = store(current_app).load(_key(this.sid), utcnow()) if this.sid else None
    data = ServerSessionInterface.contents(record)
    if data is None:
        this.sid = None  # unknown, expired or ended: a new id if anything is stored
        return
    dict.update(this, data)  # what was stored is not a change
    this.record = record


def _key(sid):
    return hashlib.sha256(sid.encode()).hexdigest()


def _idle(app):
    return timedelta(minutes=float(app.config["SESSION_IDLE_MINUTES"]))


def _absolute(app):
    return timedelta(hours=float(app.config["SESSION_MAX_HOURS"]))


class ServerSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()

    def open_session(self, app, request):
        sid = request.cookies.get(self.get_cookie_name(app), "")
        return ServerSession(sid if _ID.fullmatch(sid) else None)

    @classmethod
    def contents(cls, record):
        if record is None:
            return None
        try:
            data = cls.serializer.loads(record.data)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save_session(self, app, session, response):
        if not session.loaded:  # a shared page, or a request refused before its page was known
            return
        if session.accessed:
            response.vary.add("Cookie")
        sessions, now = store(app), utcnow()
        if session.ending or (session.sid and not session):  # ended, or emptied: nothing left to keep
            if session.sid:
                sessions.delete(_key(session.sid))
                sessions.commit()
            self._forget_cookie(app, response)
            return
        if session.renewing and session.sid:
            sessions.delete(_key(session.sid))
            sessions.purge(now)  # sign-ins are rare enough to sweep expired sessions on
            session.sid = session.record = None
        if session.sid is None:
            if session:  # a visitor who stores nothing gets no stored session and no cookie
                self._create(app, sessions, session, now, response)
            return
        if session.modified or now - session.record.seen_at >= min(TOUCH_EVERY, _idle(app) / 2):
            if not sessions.update(_key(session.sid), self._record(app, session, session.record.created_at, now),
                                   now):
                self._forget_cookie(app, response)  # ended meanwhile, on this node or another
            sessions.commit()

    def _create(self, app, sessions, session, now, response):
        session.sid = secrets.token_urlsafe(32)
        sessions.create(_key(session.sid), self._record(app, session, now, now))
        sessions.commit()
        response.set_cookie(self.get_cookie_name(app), session.sid, domain=self.get_cookie_domain(app),
                            path=self.get_cookie_path(app), httponly=self.get_cookie_httponly(app),
                            secure=self._secure(app), samesite=self.get_cookie_samesite(app))

    def _record(self, app, session, created_at, now):
        user = session.get(USER_KEY)
        return Record(data=self.serializer.dumps(dict(session)),
                      user_id=int(user) if isinstance(user, str) and user.isdigit() else None,
                      created_at=created_at, seen_at=now,
                      expires_at=min(now + _idle(app), created_at + _absolute(app)))

    def _secure(self, app):
        return self.get_cookie_secure(app) or request.is_secure

    def _forget_cookie(self, app, response):
        response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                               path=self.get_cookie_path(app), secure=self._secure(app),
                               httponly=self.get_cookie_httponly(app), samesite=self.get_cookie_samesite(app))
