"""read_alias() and the router without a streaming replica (the real one:
ops/tests/test_replica.py)."""

import warnings

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test import override_settings

from foodmart_site import replica
from foodmart_site.replica import REPLICA_ALIAS, ReplicaRouter, read_alias


def test_without_a_replica_everything_reads_the_primary():
    assert REPLICA_ALIAS not in settings.DATABASES
    assert read_alias() == "default"


@pytest.fixture
def replica_alias_on_the_primary(django_db_setup, django_db_blocker):
    """A 'replica' alias that points at the test database itself: a
    server that is not a standby. Read-only, outside a test transaction."""
    with django_db_blocker.unblock():
        yield from _replica_alias_on_the_primary()


def _replica_alias_on_the_primary():
    entry = {**connections.settings["default"], "TEST": {"MIRROR": "default"}}
    connections.settings[REPLICA_ALIAS] = entry
    replica.forget_replica_state()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Overriding setting DATABASES")
        with override_settings(DATABASES={**settings.DATABASES, REPLICA_ALIAS: entry}):
            yield
    connections[REPLICA_ALIAS].close()
    del connections[REPLICA_ALIAS]
    del connections.settings[REPLICA_ALIAS]
    replica.forget_replica_state()


def test_a_server_that_is_not_a_standby_is_never_read_as_the_replica(
    replica_alias_on_the_primary,
):
    assert replica.replica_configured()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        lsn = cursor.fetchone()[0]
    # pg_last_wal_replay_lsn() is NULL on a primary: it cannot serve.
    assert replica.replayed_up_to(lsn) is None
    assert read_alias() == "default"


def test_inside_a_transaction_reads_stay_on_the_primary(replica_alias_on_the_primary):
    with transaction.atomic():
        assert read_alias() == "default"


def test_an_unreachable_replica_is_set_aside(settings):
    settings.REPLICA_RETRY_SECONDS = 60
    replica.mark_replica_down()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Overriding setting DATABASES")
            with override_settings(DATABASES={**settings.DATABASES, REPLICA_ALIAS: {}}):
                assert read_alias() == "default"  # not even tried
    finally:
        replica.forget_replica_state()


def test_the_router_writes_report_models_to_the_primary_and_never_migrates_the_replica():
    router = ReplicaRouter()

    class Model:
        class _meta:
            app_label = "reports"

    assert router.db_for_write(Model) == "default"
    assert router.allow_migrate(REPLICA_ALIAS, "sales") is False
    assert router.allow_migrate("default", "sales") is None
