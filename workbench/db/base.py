"""Django's PostgreSQL backend, guarded for analysts' SQL.

Used by the ``workbench`` alias only (ENGINE "workbench.db"). On top of
what the role may do (read the business tables, nothing else), every
statement sent through it:

- runs inside a transaction that it first makes READ ONLY, with
  ``statement_timeout`` set to WORKBENCH_STATEMENT_TIMEOUT seconds, both
  with ``set_config(..., is_local => true)`` in a SELECT. That SELECT takes
  the transaction's snapshot, after which PostgreSQL refuses to turn the
  transaction read-write ("transaction read-write mode must be set before
  any query"), and a ``SET`` by an earlier statement of the session cannot
  carry over: each statement gets the settings again;
- is rolled back afterwards (its transaction, or a savepoint inside
  SQL Explorer's): a read needs no commit, and whatever a statement might
  still write (PostgreSQL 15 lets ``lo_create`` run in a read-only
  transaction) is undone;
- goes to the server with the extended query protocol, where PostgreSQL
  takes exactly one statement ("cannot insert multiple commands into a
  prepared statement"): ``SELECT 1; DELETE ...`` cannot hide a second
  statement, nor a ``COMMIT`` that would end the read-only transaction.

``fetchall`` reads at most WORKBENCH_MAX_ROWS rows into Python, so that a
``SELECT *`` of the sale lines cannot fill the web server's memory.
"""

import contextlib

from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg import Rollback

GUARD = (
    "SELECT set_config('transaction_read_only', 'on', true), "
    "set_config('statement_timeout', %s, true)"
)


class SingleStatementCursor(base.Cursor):
    """psycopg sends a statement without parameters with the simple query
    protocol, which runs any number of ``;``-separated statements; this
    cursor always uses the extended protocol, one statement per call."""

    def _execute_send(self, query, *, force_extended=False, binary=None):
        super()._execute_send(query, force_extended=True, binary=binary)


class GuardedCursorMixin:
    def _execute(self, sql, params, *ignored_wrapper_args):
        return self._guarded(super()._execute, sql, params, *ignored_wrapper_args)

    def _executemany(self, sql, param_list, *ignored_wrapper_args):
        return self._guarded(super()._executemany, sql, param_list, *ignored_wrapper_args)

    def _guarded(self, run, *args):
        if self.db.get_autocommit():
            with self.db.connection.transaction() as transaction:
                self._set_limits()
                result = run(*args)
                raise Rollback(transaction)
            return result
        # Inside a transaction already (SQL Explorer wraps each run in one,
        # tests wrap everything): a savepoint, rolled back after the
        # statement as the transaction above is.
        self._raw("SAVEPOINT workbench_statement")
        try:
            self._set_limits()
            return run(*args)
        finally:
            with contextlib.suppress(Exception):  # an error of the statement comes first
                self._raw("ROLLBACK TO SAVEPOINT workbench_statement")
                self._raw("RELEASE SAVEPOINT workbench_statement")

    def _raw(self, sql, params=None):
        # A cursor of its own: the statement's cursor keeps its results.
        with self.db.wrap_database_errors, self.db.connection.cursor() as cursor:
            cursor.execute(sql, params)

    def _set_limits(self):
        self._raw(GUARD, [str(int(settings.WORKBENCH_STATEMENT_TIMEOUT * 1000))])

    def fetchall(self):
        with self.db.wrap_database_errors:
            return self.cursor.fetchmany(settings.WORKBENCH_MAX_ROWS)


class GuardedCursor(GuardedCursorMixin, CursorWrapper):
    pass


class GuardedDebugCursor(GuardedCursorMixin, CursorDebugWrapper):
    pass


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["cursor_factory"] = SingleStatementCursor
        return params

    # Django's own savepoint statements (atomic blocks) go straight to
    # psycopg: wrapped in the statement savepoint above, they would be
    # released with it.
    def _savepoint(self, sid):
        self._run_own(self.ops.savepoint_create_sql(sid))

    def _savepoint_rollback(self, sid):
        self._run_own(self.ops.savepoint_rollback_sql(sid))

    def _savepoint_commit(self, sid):
        self._run_own(self.ops.savepoint_commit_sql(sid))

    def _run_own(self, sql):
        with self.wrap_database_errors, self.connection.cursor() as cursor:
            cursor.execute(sql)

    def make_cursor(self, cursor):
        return GuardedCursor(cursor, self)

    def make_debug_cursor(self, cursor):
        return GuardedDebugCursor(cursor, self)
