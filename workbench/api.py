"""The workbench's data from Python (notebooks, scripts), read-only.

    import foodmart_site.notebook            # sets Django up (see there)
    from workbench import api
    frame = pd.read_sql(text("SELECT ..."), api.read_only_engine())

The engine logs in as the workbench's reader role: it may read the
business tables and nothing else, every transaction starts read-only and
a statement stops after WORKBENCH_STATEMENT_TIMEOUT seconds. That keeps a
notebook from changing data by accident; it is not a wall against its
author, who has the project's settings (and so the app's own login) at
hand: loads go through ``etl.api``, with its checks and batch records.
"""

from functools import cache

from django.conf import settings

from etl.api import sqlalchemy_url
from workbench.services import WORKBENCH_ALIAS


@cache
def read_only_engine():
    """A SQLAlchemy engine on the app's database, as the reader role."""
    from sqlalchemy import create_engine

    timeout_ms = int(settings.WORKBENCH_STATEMENT_TIMEOUT * 1000)
    options = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"
    return create_engine(
        sqlalchemy_url(WORKBENCH_ALIAS),
        connect_args={"options": options, "application_name": "foodmart-notebook"},
    )
