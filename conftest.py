"""Shared fixtures. The whole FoodMart directory is loaded once per test
session, through the real load path, into the real PostgreSQL test
database; tests then run in transactions that roll back."""

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_foodmart", str(settings.FOODMART_DATA_DIR), stdout=open("/dev/null", "w"))


@pytest.fixture(scope="session")
def foodmart_dir():
    return settings.FOODMART_DATA_DIR
