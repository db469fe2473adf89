"""Configuration: built-in defaults, then instance/config.py, then XN_* environment variables."""
import os
import secrets

DEFAULTS = {
    "SCHEME": "default",
    "WTF_CSRF_TIME_LIMIT": 3600 * 4,
    "WTF_I18N_ENABLED": False,  # see app/extensions.py: WTForms' own Chinese messages
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Server-side sessions (app/kernel/sessions.py): the cookie holds a random id only. A session ends
    # after this many minutes without a request, and this many hours after sign-in whatever happens.
    "SESSION_IDLE_MINUTES": 60,
    "SESSION_MAX_HOURS": 8,
    # Sessions live in the database unless a Redis URL is given (XN_SESSION_REDIS_URL, else XN_REDIS_URL);
    # keys there start with the prefix.
    "SESSION_REDIS_URL": None,
    "REDIS_URL": None,
    "SESSION_REDIS_PREFIX": "xn:session:",
    # The shared rate limiter (app/kernel/ratelimit.py) counts in this process's memory unless given a
    # storage URI (XN_RATELIMIT_STORAGE_URI=redis://host:6379/0; else XN_REDIS_URL); keys start with the
    # prefix. The limits themselves are the scheme's [limits].
    "RATELIMIT_STORAGE_URI": None,
    "RATELIMIT_KEY_PREFIX": "xn-limits",
    "MAX_CONTENT_LENGTH": 30 * 1024 * 1024,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Forwarded-for headers are trusted only behind a known proxy (count of hops).
    "PROXY_HOPS": 0,
    # Strict-Transport-Security on HTTPS responses: browsers then refuse plain HTTP to this host.
    "HSTS_SECONDS": 365 * 24 * 3600,
    # Flask-WTF's HTTPS check wants a same-site Referer on every protected POST, but citizen pages
    # send none (Referrer-Policy: no-referrer); the token and SameSite=Lax cookies stop cross-site posts.
    "WTF_CSRF_SSL_STRICT": False,
    "PASSWORD_HASH_METHOD": "scrypt",
    # Sends the outbox's SMS and e-mail notices: a dotted path to a class with send(message).
    # The default only logs (the outbox says 已记录); "complaints.sms.GatewayBackend" sends SMS through the
    # HTTP gateway at SMS_GATEWAY_URL with SMS_GATEWAY_KEY, its request described by SMS_REQUEST (README).
    "NOTIFY_BACKEND": "complaints.notify.LoggingBackend",
    # Each sweep tries a pending notice once; after this many failures it is given up (发送失败).
    "NOTIFY_MAX_ATTEMPTS": 5,
    "SMS_GATEWAY_URL": None,
    "SMS_GATEWAY_KEY": None,
    "SMS_REQUEST": None,
    # Delivery reports: the gateway posts to /api/v1/sms/receipts/<SMS_RECEIPT_TOKEN>; None turns that off.
    "SMS_RECEIPT_TOKEN": None,
    "SMS_RECEIPT": {"reference": "id", "status": "status", "delivered": ["delivered", "DELIVRD", "0"]},
    # The app's root as the public reaches it (https://xn.example.gov.cn), for printed QR codes and
    # invitation links; None uses the request's host, which behind a proxy may be an internal name.
    "PUBLIC_BASE_URL": None,
    # How long browsers and shared caches may keep the public results pages (公示), in seconds.
    "PUBLIC_CACHE_SECONDS": 600,
    # Font stacks of official documents (公文): the fonts every government PC has first, then the open
    # fallbacks `./manage.sh` installs (Noto CJK, AR PL KaitiM GB), so a document renders anywhere.
    "PDF_FONTS": {
        "title": '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK", "Noto Serif CJK SC", serif',
        "body": '"仿宋_GB2312", "仿宋", "FangSong", "FangSong_GB2312", "Noto Serif CJK SC", "AR PL UMing CN", serif',
        "kai": '"楷体_GB2312", "楷体", "KaiTi", "KaiTi_GB2312", "AR PL KaitiM GB", "Noto Serif CJK SC", serif',
        "hei": '"黑体", "SimHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif',
    },
}


def load(app, test_config=None):
    app.config.from_mapping(DEFAULTS)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("XN")
    if test_config:
        app.config.from_mapping(test_config)
    if os.environ.get("DATABASE_URL") and not (test_config or {}).get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI",
        "sqlite:///" + os.path.join(app.instance_path, "xiaoneng.sqlite3"),
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))


def normalise_database_url(url):
    """Use the psycopg 3 driver for any PostgreSQL URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance_path):
    """Read the secret key from the instance folder, generating it on first run."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        # Write aside, then link: two workers starting at once agree on one key.
        tmp = f"{path}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as fh:
        return fh.read().strip()
