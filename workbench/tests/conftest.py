import pytest
from django.db import connections

# The notebook test runs its kernel as etl's does (on this interpreter,
# pointed at the test database), and the browser test serves the app as
# the back office's browser tests do: their fixtures, shared.
from etl.tests.test_notebook import kernel_manager, test_database_url  # noqa: F401
from foodmart_site.tests.test_browser import app_url, browser, page, staff  # noqa: F401
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


@pytest.fixture(scope="module", autouse=True)
def close_workbench_connection():
    """Views run their SQL on ``connections["workbench"]``, which tests do
    not close: end its session after each module, or the browser tests,
    which wait for every other session on the test database to end, and
    the final drop of the test database would find it open."""
    yield
    connections[WORKBENCH_ALIAS].close()
