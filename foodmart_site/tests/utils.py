"""Helpers shared by the tests that start another process on the test
database (runserver for the browser tests, a Jupyter kernel for the
notebook test)."""

from urllib.parse import quote

from django.db import connection


def url_of_test_database() -> str:
    """A DATABASE_URL for the database this test session uses (call it with
    database access, e.g. inside ``django_db_blocker.unblock()``)."""
    connection.ensure_connection()
    info = connection.connection.info
    if info.dbname != connection.settings_dict["TEST"]["NAME"]:
        raise RuntimeError(f"{info.dbname} is not the test database: no test database was set up.")
    auth = quote(info.user) + (":" + quote(info.password) if info.password else "")
    if info.host.startswith("/"):  # a Unix socket directory
        return f"postgresql://{auth}@/{info.dbname}?host={quote(info.host)}&port={info.port}"
    return f"postgresql://{auth}@{info.host}:{info.port}/{info.dbname}"
