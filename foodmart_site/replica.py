"""Reads that may go to a streaming replica: reports and the workbench.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database
alias. Report and workbench queries run on ``connections[read_alias()]``;
everything that writes, and every other read, stays on ``default`` (the
primary), so the back office always sees its own changes at once.

``read_alias()`` answers ``"replica"`` only when the replica is configured,
answers a query now, and the caller is not inside a transaction on the
primary (which may hold writes the replica cannot see yet). When the
replica does not answer, reads fall back to the primary and the replica is
not tried again for ``REPLICA_RETRY_SECONDS`` (default 10), so a stopped
replica costs one failed connection attempt per process per interval, not
one per query.

A replica lags the primary by the time it takes to replay the WAL (well
under a second on one network); a report may show a load that finished a
moment ago a moment later. That is the trade for taking the reading load
off the primary.
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
    """The database alias for a report or workbench read: ``"replica"``
    when one is configured and reachable, else ``"default"``."""
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if time.monotonic() < _down_until:
        return DEFAULT_DB_ALIAS
    if replica_answers():
        return REPLICA_ALIAS
    mark_replica_down()
    return DEFAULT_DB_ALIAS


def replica_answers() -> bool:
    """Whether the replica connection works now (one ``SELECT 1``)."""
    connection = connections[REPLICA_ALIAS]
    try:
        if connection.connection is not None and connection.is_usable():
            return True
        # Never connected, or the server went away: (re)connect.
        connection.close()
        connection.ensure_connection()
        return True
    except DatabaseError as error:
        logger.warning("replica unreachable, reading from the primary: %s", error)
        with contextlib.suppress(DatabaseError):
            connection.close()
        return False


def mark_replica_down() -> None:
    global _down_until
    retry = float(getattr(settings, "REPLICA_RETRY_SECONDS", 10))
    _down_until = time.monotonic() + retry


def forget_replica_state() -> None:
    """Try the replica again on the next read (tests, after a failover)."""
    global _down_until
    _down_until = 0.0


class ReplicaRouter:
    """Send the ORM reads of the reading apps to ``read_alias()`` and their
    writes to the primary; every other model keeps Django's own choice
    (the primary, or the alias a query names). The replica is never
    migrated: it copies the primary's schema through the WAL."""

    read_apps = frozenset({"reports", "workbench"})

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
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA_ALIAS else None
