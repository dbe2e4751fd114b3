"""Django settings for Trygg, read from the environment.

Every variable has a default that makes `trygg serve` work on a fresh clone (SQLite, debug
on, loopback only). Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL; see docs/operations.md.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET_KEY = "insecure-development-key-change-me"  # noqa: S105


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "true")
DATA_DIR = Path(os.getenv("DATA_DIR", str(BASE_DIR / "var")))


def _secret_key() -> str:
    """SECRET_KEY from the environment; with debug off and none given, this installation's
    own, made once and kept in DATA_DIR/secret_key (readable by its owner alone). Several
    hosts serving one Trygg must share one: set SECRET_KEY on each."""
    if key := os.getenv("SECRET_KEY"):
        return key
    if DEBUG:
        return PLACEHOLDER_SECRET_KEY
    path = DATA_DIR / "secret_key"
    if not path.exists():
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
if not DEBUG and SECRET_KEY == PLACEHOLDER_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY: DEBUG is off and the key is the placeholder.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = os.getenv("SITE_NAME", "Trygg")
# The address people reach Trygg at, for links in e-mails.
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000")

# Behind a TLS-terminating proxy (docs/operations.md).
if envbool("BEHIND_TLS_PROXY", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
USE_X_FORWARDED_FOR = envbool("USE_X_FORWARDED_FOR", "false")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "trygg.core",
    "trygg.integration",
    "trygg.devices",
    "trygg.alarms",
    "trygg.visits",
    "trygg.notifications",
    "trygg.outages",
    "trygg.support",
    "trygg.servicedesk",
    "trygg.training",
    "trygg.locks",
    "trygg.sensors",
    "trygg.supervision",
    "trygg.front",
    # Last: the composition root (serve, worker, receive, token), above every app.
    "trygg",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "trygg.front.static_files.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "trygg.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "trygg.urls"
ASGI_APPLICATION = "trygg.asgi.application"
WSGI_APPLICATION = "trygg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trygg.front.context_processors.navigation",
                "trygg.outages.context_processors.outage_banners",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.getenv("DATABASE_URL", f"sqlite:///{DATA_DIR / 'trygg.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("SQLITE_TIMEOUT", "20"),
    }
    # Tests use a file too, not SQLite's shared-cache memory database: that one locks whole
    # tables and fails at once where threads meet (web, receiver, dispatcher), where a file
    # in WAL mode waits its turn as in production.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-trygg.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The billing basis's covering index (visits) carries its sums in INCLUDE columns on
# PostgreSQL; SQLite keeps the index on its key columns alone, which is what it should do, so
# its warning would only be noise on every command of the embedded default.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(12 * 3600))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("nb", _("Norwegian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "trygg" / "locale"]
LANGUAGE_COOKIE_NAME = "trygg_language"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Stockholm"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the finders in development and warns when the root is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "trygg@localhost")

# Application logs never carry national ids, door codes or tokens: the filter masks any
# digit run that looks like one, as a last line of defence behind careful log calls.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "trygg.lib.redact.RedactingFilter"},
        "client_errors_in_one_line": {"()": "trygg.lib.redact.ClientErrorsInOneLine"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {
        # One line for each, through our handler alone (Django's own would print it again).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["client_errors_in_one_line"],
        },
        "django.db.backends": {"level": "WARNING"},
    },
}

# The alarm receivers (docs/alarm-receivers.md). Loopback by default; a production
# receiver listens where the units can reach it, behind the municipality's firewall.
# How events reach consoles and phones: "auto" (PostgreSQL LISTEN/NOTIFY on PostgreSQL,
# in-process on SQLite), "local" or "postgresql" (trygg/core/events.py).
EVENT_BUS = os.getenv("EVENT_BUS", "auto")
RECEIVER_HOST = os.getenv("RECEIVER_HOST", "127.0.0.1")
DC09_PORT = envint("DC09_PORT", "7100")
SCAIP_PORT = envint("SCAIP_PORT", "5060")
# A receiver dedicated to one municipality's units (its id); empty: units of all.
RECEIVER_MUNICIPALITY_ID = envint("RECEIVER_MUNICIPALITY_ID", "0") or None

# The key store of the unlock signing keys (docs/locks.md): one file per key version,
# readable by the server's user alone, made on first use. Never in the database, never in
# a backup that leaves the server's care.
UNLOCK_KEY_DIR = Path(os.getenv("UNLOCK_KEY_DIR", str(DATA_DIR / "keys")))
# Days the records of issued unlock tokens (never the tokens) are kept after the tokens
# expired; the worker job locks.token_issues_prune forgets older ones (locks/retention.py).
LOCK_TOKEN_ISSUES_KEEP_DAYS = envint("LOCK_TOKEN_ISSUES_KEEP_DAYS", "90")

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

with contextlib.suppress(ImportError):
    from trygg.local_settings import *  # type: ignore[import-not-found,unused-ignore] # noqa: F403
