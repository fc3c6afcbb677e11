"""The app against a primary and its streaming replica, in a process of its
own (run by test_replica.py with DATABASE_URL and DATABASE_REPLICA_URL
set): report queries and pages with the replica up, then, after the test's
command stops the replica, the same again. Prints one JSON object.

usage: python -m ops.tests.replica_scenario STOP_COMMAND_AS_JSON
"""

import json
import os
import subprocess
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodmart_site.settings")

import django  # noqa: E402
import psycopg  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import DatabaseError, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from foodmart_site.replica import read_alias  # noqa: E402
from people.models import User  # noqa: E402
from reports import cubes  # noqa: E402
from reports.catalog import BY_SLUG  # noqa: E402

QUERY = cubes.Query("sales", ["store_state", "month"], ["store_sales", "unit_sales", "sale_lines"])
API = "/reports/api/sales/?by=store_state,month&measures=store_sales,unit_sales"


def recording_queries():
    """The statements each alias runs (a connection's execute wrapper)."""
    statements = {"default": [], "replica": []}

    def wrapper_for(alias):
        def wrapper(execute, sql, params, many, context):
            statements[alias].append(sql)
            return execute(sql, params, many, context)

        return wrapper

    return statements, [connections[a].execute_wrapper(wrapper_for(a)) for a in statements]


def served_by(alias: str) -> dict:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT inet_server_port(), pg_is_in_recovery()")
        port, in_recovery = cursor.fetchone()
    return {"port": port, "in_recovery": in_recovery}


def workbench_served_by() -> dict | str:
    """Where the workbench's read-only connection goes (its reader role)."""
    try:
        return served_by("workbench")
    except (DatabaseError, psycopg.Error) as error:
        return type(error).__name__
    finally:
        connections["workbench"].close()  # as at the end of a request (CONN_MAX_AGE 0)


def measure(call) -> tuple[object, dict]:
    statements, wrappers = recording_queries()
    for w in wrappers:
        w.__enter__()
    try:
        value = call()
    finally:
        for w in reversed(wrappers):
            w.__exit__(None, None, None)
    return value, statements


def phase(client: Client) -> dict:
    cache.clear()  # report results are cached: ask the database each time
    alias = read_alias()
    rows, query_sql = measure(lambda: cubes.run_query(QUERY, all_stores=True).rows)
    cubes_alias = cubes.read_alias()
    api, api_sql = measure(lambda: client.get(API))
    pages = {}
    for url in ["/reports/", "/reports/overview/", *(f"/reports/{s}/" for s in BY_SLUG)]:
        response = client.get(url)
        pages[url] = response.status_code
    return {
        "workbench": workbench_served_by(),
        "read_alias": alias,
        "cubes_read_alias": cubes_alias,
        "served_by": served_by(alias),
        "rows": json.loads(json.dumps(rows, default=str)),
        "query_sql": query_sql,
        "api_status": api.status_code,
        "api": api.json(),
        "api_sql": api_sql,
        "pages": pages,
    }


def main(stop_command: list[str]) -> dict:
    setup_test_environment()  # the test client's host, no e-mail
    user, _ = User.objects.get_or_create(username="replica-test", is_staff=True)
    user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    up = phase(client)
    subprocess.run(stop_command, check=True, capture_output=True)
    down = phase(client)
    return {"up": up, "down": down}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
