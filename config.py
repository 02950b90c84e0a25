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
    OPSHUB_DOMAINS = ("app.tenancy", "app.crm", "app.projects", "app.billing", "app.events")
    SECRET_KEY = _env("SECRET_KEY", INSECURE_DEFAULT)
    JWT_SECRET_KEY = _env("JWT_SECRET_KEY", INSECURE_DEFAULT)
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'opshub.db'}")
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    UPLOAD_DIR = _env("UPLOAD_DIR", str(BASE_DIR / "instance" / "uploads"))
    UPLOAD_FOLDER = UPLOAD_DIR  # FAB's name for it (its generic /download/<filename> route)
    IMG_UPLOAD_FOLDER = UPLOAD_DIR
    FILE_ALLOWED_EXTENSIONS = ("pdf", "png", "jpg", "jpeg", "txt", "csv", "docx", "xlsx")
    REDIS_URL = _env("REDIS_URL")

    # Flask-AppBuilder
    APP_NAME = "OpsHub"
    APP_THEME = ""  # FAB's default theme is fully local; bootswatch themes import web fonts
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_RATE_LIMITED = True
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

    # Failed-login limit shared by the login page and /api/v1/security/login
    OPSHUB_LOGIN_FAILURE_LIMIT = _env("OPSHUB_LOGIN_FAILURE_LIMIT", "5 per minute")
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
    PROXY_FIX_HOPS = int(_env("PROXY_FIX_HOPS", "1"))
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
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    OPSHUB_ENV = "production"
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_for_env(env: str | None = None) -> type[Config]:
    return CONFIGS.get(env or _env("OPSHUB_ENV", "development") or "development", Config)
