"""Reads that may go to a streaming replica: reports and the workbench.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database
alias, and the workbench's read-only alias connects to the replica too.
Report queries run on ``connections[read_alias()]``; everything that
writes, and every other read, stays on ``default`` (the primary).

``read_alias()`` answers ``"replica"`` only when the replica is configured,
answers now, and has replayed everything the primary had committed when
``read_alias()`` was called (it waits up to ``REPLICA_MAX_WAIT_SECONDS``,
default 0.5, for that). So a report never shows less than a page that
was just saved or a load that just finished, and a result cached under
the primary's data version (``reports/cache.py``) is never older than
that version. When the replica is behind for longer, the read goes to
the primary; when it does not answer, reads go to the primary and the
replica is not tried again for ``REPLICA_RETRY_SECONDS`` (default 10),
so a stopped replica costs one failed connection per process per
interval, not one per query.

Inside a transaction on the primary the answer is always ``"default"``:
the transaction may hold writes the replica cannot see.
"""

import contextlib
import logging
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import DatabaseError

REPLICA_ALIAS = "replica"

logger = logging.getLogger(__name__)

# Monotonic time before which the replica is not tried again (per process).
_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA_ALIAS in settings.DATABASES


def read_alias() -> str:
    """The database alias for a report read: ``"replica"`` when one is
    configured, reachable and caught up with the primary, else
    ``"default"``."""
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if time.monotonic() < _down_until:
        return DEFAULT_DB_ALIAS
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        primary_lsn = cursor.fetchone()[0]
    max_wait = float(getattr(settings, "REPLICA_MAX_WAIT_SECONDS", 0.5))
    if replica_has_replayed(primary_lsn, max_wait=max_wait):
        return REPLICA_ALIAS
    return DEFAULT_DB_ALIAS


def replica_has_replayed(lsn: str, *, max_wait: float) -> bool:
    """Whether the replica has replayed the WAL up to ``lsn``, waiting up
    to ``max_wait`` seconds; False (and the replica set aside for a while)
    when it does not answer."""
    deadline = time.monotonic() + max_wait
    while True:
        replayed = replayed_up_to(lsn)
        if replayed is None:
            mark_replica_down()
            return False
        if replayed or time.monotonic() >= deadline:
            return replayed
        time.sleep(0.005)


def replayed_up_to(lsn: str) -> bool | None:
    """One look at the replica: True or False, or None when it cannot
    serve (it does not answer, or it is not a standby). A connection that
    broke is retried once, on a new one."""
    connection = connections[REPLICA_ALIAS]
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                replayed = cursor.fetchone()[0]
            if replayed is None:  # NULL: a primary, not a replica of ours
                logger.warning("DATABASE_REPLICA_URL is not a standby: reading from the primary")
            return replayed
        except DatabaseError as error:
            with contextlib.suppress(DatabaseError):
                connection.close()
            if attempt == 2:
                logger.warning("replica unreachable, reading from the primary: %s", error)
    return None


def mark_replica_down() -> None:
    global _down_until
    retry = float(getattr(settings, "REPLICA_RETRY_SECONDS", 10))
    _down_until = time.monotonic() + retry


def forget_replica_state() -> None:
    """Try the replica again on the next read (tests, after a failover)."""
    global _down_until
    _down_until = 0.0


class ReplicaRouter:
    """ORM reads of the reports app's models go to ``read_alias()``, their
    writes to the primary; every other model keeps Django's own choice
    (the primary, or the alias a query names). The replica is never
    migrated: it copies the primary's schema through the WAL."""

    read_apps = frozenset({"reports"})

    def db_for_read(self, model, **hints):
        if model._meta.app_label in self.read_apps:
            return read_alias()
        return None

    def db_for_write(self, model, **hints):
        if model._meta.app_label in self.read_apps:
            # A row read from the replica is saved on the primary.
            return DEFAULT_DB_ALIAS
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # Same data on both sides: a row read from the replica may be
        # related to one from the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA_ALIAS else None
