"""The pipeline from Python: for notebooks and scripts.

    import foodmart_site.notebook            # sets Django up (see there)
    from etl import api
    batch = api.load("new_sales.csv")        # or api.load(frame, table="sales_fact")
    frame = pd.read_sql("SELECT ...", api.engine())

Loads go through ``etl.pipeline.run``, the same as the command line and
the admin, so a notebook gets the same checks and the same batch records.
"""

from functools import cache

import pandas as pd
from django.conf import settings
from django.db import connection

from etl.models import Batch
from etl.pipeline import rollback, run


def load(source, *, table: str | None = None, user=None, **options) -> Batch:
    """Load a file path or a DataFrame; return the Batch (raises
    LoadFailed with ``.problems`` when nothing could be loaded)."""
    if isinstance(source, pd.DataFrame) and table is None:
        raise ValueError("Say which table a DataFrame goes to: table='sales_fact'.")
    return run(source, table=table, user=user, door="notebook", **options)


def undo(batch_id: int) -> int:
    """Roll back a batch; return the number of rows removed."""
    return rollback(Batch.objects.get(pk=batch_id))


def sqlalchemy_url(alias: str = "default") -> str:
    """A SQLAlchemy URL (psycopg 3 driver) for the app's database, as the
    Django database ``alias`` connects to it."""
    from sqlalchemy.engine import URL

    db = settings.DATABASES[alias]
    options = db.get("OPTIONS", {})
    # dj-database-url puts a socket directory and its port in OPTIONS.
    query = {k: str(v) for k, v in options.items() if k in {"host", "sslmode"}}
    port = db["PORT"] or options.get("port")
    return URL.create(
        "postgresql+psycopg",
        username=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=int(port) if port else None,
        database=db["NAME"],
        query=query,
    ).render_as_string(hide_password=False)


@cache
def engine():
    """A SQLAlchemy engine on the same database, for ``pandas.read_sql``."""
    from sqlalchemy import create_engine

    return create_engine(sqlalchemy_url())


def db_connection():
    """Django's own connection (a DB-API connection once used)."""
    connection.ensure_connection()
    return connection.connection
