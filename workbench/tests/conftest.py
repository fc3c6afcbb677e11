import pytest
from django.db import connections

from workbench.services import WORKBENCH_ALIAS


@pytest.fixture
def reader():
    """A connection of the workbench's own (the reader role, the guarded
    backend) to the test database, in autocommit as in production: the
    one in ``connections`` sits inside the test's transaction, where one
    refused statement would abort the next. Closed after the test (an open
    session would keep the test database from being dropped)."""
    connection = connections.create_connection(WORKBENCH_ALIAS)
    yield connection
    connection.close()


@pytest.fixture(scope="session", autouse=True)
def close_workbench_connection(django_db_setup):
    """Views run their SQL on ``connections["workbench"]``; its session must
    end before the test database is dropped."""
    yield
    connections[WORKBENCH_ALIAS].close()


# The notebook test runs its kernel as etl's does: on this interpreter,
# pointed at the test database.
from etl.tests.test_notebook import kernel_manager, test_database_url  # noqa: E402, F401
