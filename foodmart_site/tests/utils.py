"""Helpers shared by the tests that start another process on the test
database (runserver for the browser tests, a Jupyter kernel for the
notebook test)."""

import time
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


def wait_for_sessions_to_end(application_names=None, timeout: float = 15) -> None:
    """A server's database sessions outlive its processes by a moment; the
    test database can only be dropped once they have gone. Waits for the
    sessions of ``application_names``, or for every other session."""
    which = "pid <> pg_backend_pid()"
    params = []
    if application_names is not None:
        which, params = "application_name = ANY(%s)", [list(application_names)]
    where = f"datname = current_database() AND {which}"
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) FROM pg_stat_activity WHERE {where}", params)
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 200) FROM pg_stat_activity "
            f"WHERE {where}",
            params,
        )
        raise RuntimeError(f"sessions still open: {cursor.fetchall()}")
