"""OpsHub configuration, read from the environment.

OPSHUB_ENV selects development (default), test or production. Production refuses to start
without real SECRET_KEY / JWT_SECRET_KEY values.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEFAULT = "dev-only-insecure-secret-change-me-in-production"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Config:
    OPSHUB_ENV = _env("OPSHUB_ENV", "development")
    # The installed domains, in order (each a package under app/ with models.py and domain.py).
    # Adding a domain is one entry here.
    # approvals last: it gates the actions the others declare
    OPSHUB_DOMAINS = (
        "app.tenancy",
        "app.crm",
        "app.projects",
        "app.billing",
        "app.events",
        "app.work",
        "app.approvals",
    )
    SECRET_KEY = _env("SECRET_KEY", INSECURE_DEFAULT)
    JWT_SECRET_KEY = _env("JWT_SECRET_KEY", INSECURE_DEFAULT)
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'opshub.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    UPLOAD_DIR = _env("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    UPLOAD_FOLDER = UPLOAD_DIR  # FAB's name for it (its generic /download/<filename> route)
    IMG_UPLOAD_FOLDER = UPLOAD_DIR
    FILE_ALLOWED_EXTENSIONS = ("pdf", "png", "jpg", "jpeg", "txt", "csv", "docx", "xlsx")
    # An uploaded document may be this large (413 beyond); its route takes bodies this large
    # (plus the multipart envelope) instead of OPSHUB_MAX_BODY_BYTES
    OPSHUB_MAX_UPLOAD_BYTES = int(_env("OPSHUB_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
    # Where documents are stored: a class with save/open/delete (app/work/storage.py); the
    # default keeps them under UPLOAD_DIR. An S3-compatible store plugs in here.
    OPSHUB_STORAGE = _env("OPSHUB_STORAGE", "app.work.storage:LocalStorage")
    # The workload's capacity of one valuer: assignments due per week of five working days
    OPSHUB_WEEKLY_CAPACITY = int(_env("OPSHUB_WEEKLY_CAPACITY", "5"))
    REDIS_URL = _env("REDIS_URL")

    # Flask-AppBuilder
    APP_NAME = "OpsHub"
    APP_THEME = ""  # FAB's default theme is fully local; bootswatch themes import web fonts
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    # FAB's own limit on the login page (all attempts, per address) counts per process unless
    # its storage is shared: on only with Redis. OpsHub's failed-login limits below always hold.
    AUTH_RATE_LIMITED = bool(REDIS_URL)
    AUTH_RATE_LIMIT = "10 per 20 second"
    # Schema and permissions are owned by migrations and `flask opshub seed`, never by start-up.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_ADD_SECURITY_API = (
        False  # FAB 5.3 crashes building its roles/permissions REST schemas; roles are edited on the pages
    )
    FAB_API_SWAGGER_UI = True
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_SECURITY_MANAGER_CLASS = "app.core.security.OpsSecurityManager"
    FAB_INDEX_VIEW = "app.core.dashboard.OpsIndexView"
    FAB_BASE_TEMPLATE = "opshub/base.html"

    # Failed-login limits shared by the login page and /api/v1/security/login, across workers
    # (database, or Redis with REDIS_URL): per username, per client address, overall. See
    # app/core/login_limits.py and the README's security section for the policy.
    OPSHUB_LOGIN_FAILURE_LIMIT = _env("OPSHUB_LOGIN_FAILURE_LIMIT", "5 per 15 minutes")
    OPSHUB_LOGIN_ADDRESS_LIMIT = _env("OPSHUB_LOGIN_ADDRESS_LIMIT", "20 per 15 minutes")
    OPSHUB_LOGIN_GLOBAL_LIMIT = _env("OPSHUB_LOGIN_GLOBAL_LIMIT", "100 per 15 minutes")
    # A page session ends after this many hours at most (an API session with its refresh token)
    OPSHUB_SESSION_HOURS = float(_env("OPSHUB_SESSION_HOURS", "12"))
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    OPSHUB_OPEN_REGISTRATION = _env("OPSHUB_OPEN_REGISTRATION", "0") == "1"
    # Lists count exactly up to this many rows, then report the cap (X-Total-Count-Exact: false)
    OPSHUB_COUNT_CAP = int(_env("OPSHUB_COUNT_CAP", "10000"))

    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=30)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=7)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    # Forwarded headers (X-Forwarded-For/-Proto/-Host) are trusted from this many proxies in
    # front of the app; 0 (the default) ignores them: set it to 1 behind one reverse proxy.
    PROXY_FIX_HOPS = int(_env("PROXY_FIX_HOPS", "0"))
    # Request bodies larger than this answer 413 (1 MiB by default)
    MAX_CONTENT_LENGTH = int(_env("OPSHUB_MAX_BODY_BYTES", str(1024 * 1024)))
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES: dict = {}


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    OPSHUB_ENV = "test"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    AUTH_RATE_LIMITED = False
    OPSHUB_LOGIN_FAILURE_LIMIT = "1000 per minute"
    OPSHUB_LOGIN_ADDRESS_LIMIT = "10000 per minute"
    OPSHUB_LOGIN_GLOBAL_LIMIT = "10000 per minute"
    REDIS_URL = None  # tests pick their store explicitly
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    OPSHUB_ENV = "production"
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Strict-Transport-Security on every response (0 turns it off, e.g. while testing TLS)
    OPSHUB_HSTS_SECONDS = int(_env("OPSHUB_HSTS_SECONDS", "31536000"))


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for_env(env: str | None = None) -> type[Config]:
    return CONFIGS.get(env or _env("OPSHUB_ENV", "development") or "development", Config)
