"""What the workbench's connection refuses, each refused by PostgreSQL
itself: SQL Explorer's keyword blacklist is not on this path at all."""

import contextlib
import time

import pytest
from django.db import DatabaseError, connections
from psycopg import errors

from workbench import services

pytestmark = pytest.mark.django_db(databases=["default", "workbench"])


def run(reader, sql):
    with reader.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def refusal(reader, sql) -> Exception:
    """The psycopg error PostgreSQL answered with."""
    with pytest.raises(DatabaseError) as caught:
        run(reader, sql)
    return caught.value.__cause__


def test_reads_business_tables(reader):
    assert run(reader, "SELECT count(*) > 80000 FROM sales_saleline") == [(True,)]
    assert run(reader, "SELECT store_name FROM inventory_store WHERE id = 6") == [("Store 6",)]


SECRETS = ["people_user", "people_storeaccess", "django_session", "auth_group", "explorer_query"]


@pytest.mark.parametrize("table", SECRETS)
def test_cannot_read_users_sessions_or_secrets(reader, table):
    assert isinstance(refusal(reader, f"SELECT * FROM {table}"), errors.InsufficientPrivilege)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO inventory_currency (id, currency) VALUES (999, 'Gold')",
        "UPDATE inventory_store SET store_sqft = 1",
        "DELETE FROM sales_saleline",
        "CREATE TABLE scratch (x int)",
        "CREATE TEMP TABLE scratch (x int)",
        "DROP TABLE inventory_store",
        "TRUNCATE sales_saleline",
        "ALTER TABLE inventory_store ADD COLUMN x int",
    ],
)
def test_writes_and_ddl_are_refused_as_read_only(reader, sql):
    error = refusal(reader, sql)
    assert isinstance(error, errors.ReadOnlySqlTransaction), error


def large_objects() -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_largeobject_metadata")
        return cursor.fetchone()[0]


def test_what_slips_through_read_only_is_rolled_back(reader):
    """PostgreSQL 15 creates a large object in a read-only transaction
    (16 refuses): every statement's transaction is rolled back after it."""
    before = large_objects()
    with contextlib.suppress(DatabaseError):  # refused from PostgreSQL 16 on
        run(reader, "SELECT lo_create(0)")
    assert large_objects() == before


@pytest.mark.parametrize(
    "sql, error",
    [
        ("COPY inventory_store TO PROGRAM 'id'", errors.InsufficientPrivilege),
        ("COPY inventory_store FROM PROGRAM 'id'", errors.InsufficientPrivilege),
        ("SELECT pg_read_file('/etc/passwd')", errors.InsufficientPrivilege),
        ("SELECT pg_ls_dir('.')", errors.InsufficientPrivilege),
        ("SET ROLE postgres", errors.InsufficientPrivilege),
        ("SET SESSION AUTHORIZATION postgres", errors.InsufficientPrivilege),
        ("SELECT nextval('sales_saleline_id_seq')", errors.InsufficientPrivilege),
    ],
)
def test_server_files_programs_and_other_roles_are_refused(reader, sql, error):
    assert isinstance(refusal(reader, sql), error)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1; DELETE FROM sales_saleline",
        "SELECT 1; COMMIT; SET default_transaction_read_only = off; DELETE FROM sales_saleline",
        "COMMIT; CREATE TEMP TABLE scratch (x int)",
    ],
)
def test_a_second_statement_cannot_hide_behind_the_first(reader, sql):
    error = refusal(reader, sql)
    assert isinstance(error, errors.SyntaxError)
    assert "cannot insert multiple commands" in str(error)


@pytest.mark.parametrize(
    "sql",
    [
        "SET TRANSACTION READ WRITE",
        "SET transaction_read_only = off",
        "SELECT set_config('transaction_read_only', 'off', true)",
    ],
)
def test_the_transaction_cannot_be_turned_read_write(reader, sql):
    assert "must be set before any query" in str(refusal(reader, sql))


def test_a_session_setting_does_not_carry_over_to_the_next_statement(reader):
    with reader.cursor() as cursor:  # SET is one statement: allowed, and useless
        cursor.execute("SET default_transaction_read_only = off")
        cursor.execute("SET statement_timeout = 0")
    assert isinstance(refusal(reader, "DELETE FROM sales_saleline"), errors.ReadOnlySqlTransaction)
    assert run(reader, "SHOW statement_timeout") == [("30s",)]


def test_a_long_query_is_stopped(reader, settings):
    settings.WORKBENCH_STATEMENT_TIMEOUT = 0.5
    start = time.monotonic()
    assert isinstance(refusal(reader, "SELECT pg_sleep(10)"), errors.QueryCanceled)
    assert time.monotonic() - start < 3


def test_at_most_max_rows_are_read(reader, settings):
    settings.WORKBENCH_MAX_ROWS = 25
    with reader.cursor() as cursor:
        cursor.execute("SELECT generate_series(1, 1000)")
        assert cursor.rowcount == 1000
        assert len(cursor.fetchall()) == 25


def test_the_grants_alone_refuse_writes(reader):
    """Without the guarded backend (a notebook, psql), as the role with
    read-only switched off: the privileges still say no."""
    raw = reader.get_new_connection(reader.get_connection_params())
    raw.autocommit = True
    try:
        raw.execute("SET default_transaction_read_only = off")
        for sql in [
            "INSERT INTO inventory_currency (id, currency) VALUES (999, 'Gold')",
            "UPDATE inventory_store SET store_sqft = 1",
            "DELETE FROM sales_saleline",
            "TRUNCATE sales_saleline",
            "DROP TABLE inventory_store",
            "CREATE TABLE scratch (x int)",
            "GRANT SELECT ON people_user TO PUBLIC",
        ]:
            with pytest.raises(errors.InsufficientPrivilege):
                raw.execute(sql)
    finally:
        raw.close()


def test_the_role_is_plain_and_reads_exactly_the_business_tables(reader):
    role = reader.settings_dict["USER"]
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolinherit "
            "FROM pg_roles WHERE rolname = %s",
            [role],
        )
        assert cursor.fetchone() == (False, False, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "WHERE r.rolname = %s",
            [role],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT table_name, string_agg(privilege_type, ',') "
            "FROM information_schema.table_privileges WHERE grantee = %s GROUP BY 1",
            [role],
        )
        grants = dict(cursor.fetchall())
    with connections["default"].cursor() as cursor:
        assert set(grants) == set(services.existing_tables(cursor, services.reader_tables()))
    assert set(grants.values()) == {"SELECT"}
    expected = {"sales_saleline", "inventory_store", "people_employee", "etl_batch"}
    assert expected | {"rollup_sales_day_store_promotion"} <= set(grants)


def test_set_up_is_idempotent(db):
    first = services.set_up_workbench()
    again = services.set_up_workbench()
    assert again.role == first.role
    assert again.tables == first.tables
    assert again.starters_added == 0
