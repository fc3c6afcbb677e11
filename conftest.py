"""Shared fixtures. The whole FoodMart directory is loaded once per test
session, through the real load path, into the real PostgreSQL test
database; tests then run in transactions that roll back."""

import io
import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import setup_databases, teardown_databases

from people.services import create_demo_users

DEMO_PASSWORD = "demo-pass-for-tests"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One test database per pytest process, so that two runs on the same
    server (a developer's and CI's, or two checkouts) never collide."""
    for db in settings.DATABASES.values():
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        created = ensure_test_database()
        call_command("load_foodmart", str(settings.FOODMART_DATA_DIR), stdout=io.StringIO())
        create_demo_users(password=DEMO_PASSWORD)
    yield
    if created:
        with django_db_blocker.unblock():
            teardown_databases(created, verbosity=0)


def ensure_test_database():
    """pytest-django creates the test database only when a selected test
    asks for ``db`` (or a django_db mark); the tests that reach it from
    another process (runserver, a Jupyter kernel) ask for django_db_setup
    alone and, run by themselves, would load into and run on the real
    database. Create it here then; return what teardown_databases needs."""
    if connection.settings_dict["NAME"] == connection.settings_dict["TEST"]["NAME"]:
        return None
    return setup_databases(
        verbosity=0, interactive=False, aliases={DEFAULT_DB_ALIAS}, serialized_aliases=set()
    )


@pytest.fixture(scope="session")
def foodmart_dir():
    return settings.FOODMART_DATA_DIR


@pytest.fixture
def admin_client_for(client, db):
    """A logged-in test client for one demo user: admin_client_for("hq")."""

    def login(username):
        assert client.login(username=username, password=DEMO_PASSWORD)
        return client

    return login
