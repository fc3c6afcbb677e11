"""The run log: who ran what, for how long, and how many rows came back.

django-sql-explorer runs every analyst statement, for a page, a chart or
an export, through one class, ``explorer.models.QueryResult``; its own
QueryLog misses exports and row counts. ``apps.py`` puts the subclass
below in its place, and ``access.py`` says, for the request being
served, who is asking and through which page.
"""

import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils import timezone
from explorer.models import QueryResult

from workbench.models import Run


@dataclass(frozen=True)
class Asker:
    user: object
    door: str
    query_id: int | None = None


current_asker: ContextVar[Asker | None] = ContextVar("workbench_asker", default=None)


class RecordedQueryResult(QueryResult):
    """Explorer's result, with a Run written for each execution.

    ``total_rows`` is what the database returned; ``data`` holds at most
    WORKBENCH_MAX_ROWS of them (see workbench/db/base.py)."""

    total_rows = None

    def execute_query(self):
        started_at, start = timezone.now(), time.monotonic()
        try:
            cursor, duration = super().execute_query()
        except DatabaseError as exc:
            record_run(
                self.sql, started_at, (time.monotonic() - start) * 1000, None, str(exc).strip()
            )
            raise
        self.total_rows = cursor.rowcount
        record_run(self.sql, started_at, duration, self.total_rows, "")
        return cursor, duration

    @property
    def truncated(self) -> bool:
        return self.total_rows is not None and self.total_rows > len(self.data)


def record_run(sql: str, started_at, duration_ms: float, rows: int | None, error: str) -> Run:
    asker = current_asker.get()
    user = asker.user if asker and asker.user.is_authenticated else None
    return Run.objects.create(
        user=user,
        username=user.get_username() if user else "",
        door=asker.door if asker else "",
        query_id=asker.query_id if asker else None,
        sql=sql,
        started_at=started_at,
        duration_ms=duration_ms,
        rows=rows,
        error=error,
    )
