"""The workbench's database alias, built from the app's own (for settings.py).

Analysts' SQL runs on a second connection to the same database, as a
PostgreSQL role of its own that may only read the business tables
(``workbench/services.py`` creates it and its grants), through the
guarded backend in ``workbench/db/``. Nothing here imports Django models:
settings.py calls it before the apps are loaded.
"""

import hashlib
import hmac
import os

DEFAULT_ROLE = "foodmart_workbench"


def reader_password(secret_key: str) -> str:
    """The role's password: WORKBENCH_DB_PASSWORD, or one derived from the
    secret key (stable across runs, unknown without the key)."""
    explicit = os.environ.get("WORKBENCH_DB_PASSWORD", "")
    if explicit:
        return explicit
    return hmac.new(secret_key.encode(), b"foodmart-workbench-role", hashlib.sha256).hexdigest()


def workbench_database(default: dict, *, secret_key: str) -> dict:
    """The ``workbench`` entry of DATABASES: ``default``'s server and
    database, the reader role, the guarded backend, a fresh session per
    request (nothing a query sets outlives it), and in tests the test
    database of ``default`` (TEST MIRROR)."""
    return {
        **default,
        "ENGINE": "workbench.db",
        "USER": os.environ.get("WORKBENCH_DB_ROLE") or DEFAULT_ROLE,
        "PASSWORD": reader_password(secret_key),
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {**default.get("OPTIONS", {}), "application_name": "foodmart-workbench"},
        "TEST": {"MIRROR": "default"},
    }
