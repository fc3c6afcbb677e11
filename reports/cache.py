"""Report results cached until the data change.

The data version is a PostgreSQL sequence bumped after every commit that
changes data reports read: a load or a rollback finishing (the batch's
status changes), or a record saved or deleted through the app. Results
are cached under their SQL, parameters and that version, so a change
makes every older entry unreachable at once, in every process, with no
timer; they then age out of the cache.
"""

import contextvars
import hashlib
import json
from contextlib import contextmanager

from django.apps import apps
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models.signals import post_delete, post_save

from reports.cubes import Query, Result, compile_query, run_query

TIMEOUT = 24 * 3600
# Apps whose rows the reports read (facts and dimensions).
WATCHED_APPS = ("inventory", "sales", "people")


_VERSION = contextvars.ContextVar("data_version", default=None)


@contextmanager
def one_version():
    """Read the data version once for everything inside (a page's
    several queries), not once per query."""
    token = _VERSION.set(_read_version())
    try:
        yield
    finally:
        _VERSION.reset(token)


def data_version() -> int:
    pinned = _VERSION.get()
    return _read_version() if pinned is None else pinned


def _read_version() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT last_value + is_called::int FROM reports_data_version")
        return cursor.fetchone()[0]


def bump_data_version(**kwargs) -> None:
    """Bump the version once the current transaction commits (at once
    outside one), so no reader caches pre-commit data under it."""

    def bump():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT nextval('reports_data_version')")

    transaction.on_commit(bump)


def _batch_finished(sender, instance, **kwargs) -> None:
    if instance.status in (instance.Status.DONE, instance.Status.ROLLED_BACK):
        bump_data_version()


def connect_signals() -> None:
    batch = apps.get_model("etl", "Batch")
    post_save.connect(_batch_finished, sender=batch, dispatch_uid="reports-batch")
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models():
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_data_version,
                    sender=model,
                    dispatch_uid=f"reports-{signal is post_save}-{model._meta.label}",
                )


def cached_run(query: Query, *, store_ids: set[int] | None, raw: bool = False) -> Result:
    """``run_query`` through the cache."""
    compiled = compile_query(query, store_ids=store_ids, raw=raw)
    text = json.dumps([compiled.sql, compiled.params, data_version()], default=str)
    key = "reports:" + hashlib.sha256(text.encode()).hexdigest()
    result = cache.get(key)
    if result is None:
        result = run_query(query, store_ids=store_ids, all_stores=store_ids is None, raw=raw)
        cache.set(key, result, TIMEOUT)
    return result
