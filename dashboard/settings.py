"""Settings for the protocol lab. Everything configurable comes from the environment.

REDIS_URL            Redis for the broker, the event fan-out (pub/sub) and hot state (default redis://127.0.0.1:6379/0)
PROTOLAB_PREFIX      prefix of every Redis key and pub/sub channel this lab uses (default "protolab")
DATABASE_URL         a database URL; default SQLite (WAL mode) in PROTOLAB_VAR_DIR
PROTOLAB_VAR_DIR     where the SQLite file, logs and counterexamples go (default ./var)
PROTOLAB_WORKERS     how many Celery worker queues host nodes (default 2)
DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS   as usual
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PROTOLAB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"


def _secret_key() -> str:
    """Return DJANGO_SECRET_KEY; else, off DEBUG, a key made once and kept in the var dir (never the dev key)."""
    given = os.environ.get("DJANGO_SECRET_KEY")
    if given:
        return given
    if DEBUG:
        return "dev-only-insecure-key-change-me"
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        # Written whole under a name of its own, then linked into place: processes starting together
        # never read a half-written key, and the first link wins.
        draft = VAR_DIR / f"secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
PROTOLAB_ALLOWED_ORIGINS = [o for o in os.environ.get("PROTOLAB_ALLOWED_ORIGINS", "").split(",") if o]
"""Origins (scheme://host[:port]) that may open websockets besides the lab's own, e.g. a front proxy's."""
X_FRAME_OPTIONS = "SAMEORIGIN"
"""Only the lab's own pages frame a page (compare, a sandbox on the projector); never another site."""
SECURE_REFERRER_POLICY = "same-origin"
if os.environ.get("PROTOLAB_HTTPS", "0") == "1":  # Served over HTTPS (a proxy in front): say so to browsers.
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("PROTOLAB_HSTS_SECONDS", "3600"))
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE = True
SILENCED_SYSTEM_CHECKS = ["security.W019"]
"""X_FRAME_OPTIONS is SAMEORIGIN on purpose: the compare page and a sandbox on the projector frame the lab's own
pages (frame-ancestors 'self' in the CSP keeps every other site out)."""

INSTALLED_APPS = [
    "daphne",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "channels",
    "dashboard.apps.DashboardConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dashboard.security.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

DATABASES = {
    # An empty DATABASE_URL means the default too (the test runner uses that to force SQLite).
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'protolab.sqlite3'}",
        # Keep connections: a reconnect (two PRAGMAs for SQLite) cost 0.6 ms on every Session lookup in
        # Daphne (bench/live.py). Health checks drop a connection the server has closed meanwhile.
        conn_max_age=60, conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Workers and the web server write concurrently: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PROTOLAB_PREFIX = os.environ.get("PROTOLAB_PREFIX", "protolab")
PROTOLAB_WORKERS = int(os.environ.get("PROTOLAB_WORKERS", "2"))

# No Channels layer: the session fan-out is Redis pub/sub, one subscription per web process
# (dashboard/hub.py): a step crosses Redis once per web process, not once per socket.

# Celery: see dashboard/celery.py and FIELD-NOTES (acks_late + reject on worker lost, prefetch 1).
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 30,  # A step takes milliseconds; a lost worker's step returns in seconds.
    "global_keyprefix": f"{PROTOLAB_PREFIX}:celery:",
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# On losing Redis, give running late-ack tasks back instead of acking on a dead connection
# (acking there crashed kombu and left the worker hung). Steps are idempotent, so a re-run is harmless.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Celery's Django fixup closes every database connection before and after each task unless this is
# set: a new SQLite connection (and a cold page cache) for every step, a twentieth of a step's time
# (py-spy during bench/live.py). Connections are kept as the web process keeps them (CONN_MAX_AGE,
# health checks): dashboard/celery.py closes old ones before each task as Django does per request.
CELERY_DB_REUSE_MAX = 1000

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PROTOLAB_LOG_LEVEL", "WARNING")},
}

PROTOLAB_RUNNER = os.environ.get("PROTOLAB_RUNNER", "celery")

# A class around a session (dashboard/classroom.py).
PROTOLAB_FORKS_PER_MINUTE = int(os.environ.get("PROTOLAB_FORKS_PER_MINUTE", "6"))
PROTOLAB_CREATES_PER_MINUTE = int(os.environ.get("PROTOLAB_CREATES_PER_MINUTE", "30"))
"""New sessions (and compare runs) one address may start a minute (dashboard/limits.py)."""
PROTOLAB_SEARCHES_PER_MINUTE = int(os.environ.get("PROTOLAB_SEARCHES_PER_MINUTE", "4"))
"""Searches one address may start a minute; and it holds at most one of the server's slots at a time."""
PROTOLAB_MAX_SANDBOXES = int(os.environ.get("PROTOLAB_MAX_SANDBOXES", "200"))
PROTOLAB_SANDBOX_TTL_S = int(os.environ.get("PROTOLAB_SANDBOX_TTL_S", str(24 * 3600)))
PROTOLAB_PUBLIC_URL = os.environ.get("PROTOLAB_PUBLIC_URL", "").rstrip("/")
"""Where a classroom's devices reach the lab (the launcher sets it when HOST is 0.0.0.0); join links use it."""
"""Where steps run: "celery" (workers host the nodes) or "inprocess" (the web process itself)."""

# Lessons (dashboard/lessons.py): answers one client address may send a minute. A lecture hall behind
# one NAT answers a question within a minute (200 students), a script flooding the table does not.
PROTOLAB_LESSON_ANSWERS_PER_MINUTE = int(os.environ.get("PROTOLAB_LESSON_ANSWERS_PER_MINUTE", "300"))
