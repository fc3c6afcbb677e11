"""Set the workbench up in a database: the reader role, its grants, the
SQL Explorer connection and the starter queries.

Runs after every ``migrate`` (``apps.py``), so ``make demo``, a deploy and
each test database get it, and on demand as ``manage.py setup_workbench``.
Every step is idempotent. The role is cluster-wide, so it is created once
and shared by the databases of a server (the app's, each test run's); the
grants are per database.
"""

import logging
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from psycopg import errors, sql

logger = logging.getLogger(__name__)

WORKBENCH_ALIAS = "workbench"
CONNECTION_NAME = "FoodMart (read-only)"


class CannotCreateRole(Exception):
    """The app's database user may not create roles; a DBA must run the SQL."""


@dataclass(frozen=True)
class Setup:
    role: str
    tables: list[str]
    starters_added: int


def reader_tables() -> list[str]:
    """The tables the reader role may read: those of every model the
    Analysts group may view in the back office (people/roles.py), so not
    the users, their store assignments, sessions or Django's own tables;
    and the sales rollups, which the semantic layer reads."""
    from people.roles import ACCOUNT_MODELS, BUSINESS_APPS
    from reports.rollups import ROLLUPS

    tables = {rollup.table for rollup in ROLLUPS}
    for label in BUSINESS_APPS:
        for model in apps.get_app_config(label).get_models():
            meta = model._meta
            if meta.proxy or not meta.managed or meta.model_name in ACCOUNT_MODELS:
                continue
            tables.add(meta.db_table)
    return sorted(tables)


def existing_tables(cursor, tables: list[str]) -> list[str]:
    """Those of ``tables`` that exist in the current schema (a migration
    that creates one may not have run yet)."""
    cursor.execute(
        "SELECT relname FROM pg_class "
        "WHERE relnamespace = current_schema()::regnamespace AND relname = ANY(%s)",
        [tables],
    )
    return sorted(name for (name,) in cursor.fetchall())


def role_settings() -> dict[str, str]:
    """Defaults for any session of the role (a notebook, psql); the
    workbench's own connection sets both again on every statement."""
    return {
        "default_transaction_read_only": "on",
        "statement_timeout": f"{int(settings.WORKBENCH_STATEMENT_TIMEOUT * 1000)}ms",
    }


def create_role_sql(role: str) -> sql.Composed:
    # Only when missing (a DBA may have made it; then no privilege is
    # needed here), and two test runs may create it at the same moment.
    return sql.SQL(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {name}) THEN "
        "CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
        "NOINHERIT NOREPLICATION NOBYPASSRLS; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ).format(name=sql.Literal(role), role=sql.Identifier(role))


def grant_sql(role: str, *, database: str, schema: str, tables: list[str]) -> list[sql.Composed]:
    """Exactly SELECT on ``tables``: whatever was granted before goes."""
    r, s = sql.Identifier(role), sql.Identifier(schema)
    return [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(s, r),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(s, r),
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(s, r),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r),
        sql.SQL("GRANT SELECT ON TABLE {} TO {}").format(
            sql.SQL(", ").join(sql.Identifier(schema, t) for t in tables), r
        ),
    ]


def set_up_role(*, using: str = "default") -> tuple[str, list[str]]:
    """Create the reader role if needed, give it its password and session
    defaults, and grant it SELECT on the business tables of ``using``'s
    database. Returns the role's name and the tables it may read."""
    role = connections[WORKBENCH_ALIAS].settings_dict["USER"]
    connection = connections[using]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(create_role_sql(role).as_string(cursor.connection))
            _apply_role_settings(cursor, role)
        _set_password_if_needed(role, using=using)
    except DatabaseError as exc:
        if isinstance(exc.__cause__, errors.InsufficientPrivilege):
            raise CannotCreateRole(str(exc).strip()) from exc
        raise
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        tables = existing_tables(cursor, reader_tables())
        for statement in grant_sql(role, database=database, schema=schema, tables=tables):
            cursor.execute(statement.as_string(cursor.connection))
    return role, tables


def role_settings_sql(role: str, names=None) -> list[sql.Composed]:
    return [
        sql.SQL("ALTER ROLE {} SET {} = {}").format(
            sql.Identifier(role), sql.Identifier(name), sql.Literal(value)
        )
        for name, value in role_settings().items()
        if names is None or name in names
    ]


def password_sql(role: str, password: str) -> sql.Composed:
    return sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))


def _apply_role_settings(cursor, role: str) -> None:
    # ALTER ROLE rewrites a shared catalog row, which fails ("tuple
    # concurrently updated") when two databases' set-ups do it at once:
    # only write what differs.
    cursor.execute(
        "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
        "WHERE r.rolname = %s AND s.setdatabase = 0",
        [role],
    )
    row = cursor.fetchone()
    current = dict(item.split("=", 1) for item in (row[0] if row else []))
    differing = {name for name, value in role_settings().items() if current.get(name) != value}
    for statement in role_settings_sql(role, differing):
        cursor.execute(statement.as_string(cursor.connection))


def _set_password_if_needed(role: str, *, using: str) -> None:
    """Log in as the role; only when that fails, set its password (same
    reason as above: the role is shared by the server's databases)."""
    reader = connections[WORKBENCH_ALIAS]
    params = reader.get_connection_params()
    params["dbname"] = connections[using].settings_dict["NAME"]
    try:
        reader.get_new_connection(params).close()
        return
    except DatabaseError:
        pass
    with connections[using].cursor() as cursor:
        statement = password_sql(role, reader.settings_dict["PASSWORD"])
        cursor.execute(statement.as_string(cursor.connection))


def set_up_explorer_connection(*, using: str = "default"):
    """SQL Explorer's record of the read-only connection, as its default:
    every query, saved or not, runs there.

    Explorer encrypts a connection's host, user and password with the
    SECRET_KEY, and cannot read them back after the key changes; they are
    empty for a Django alias, so they are written again (with the current
    key) without reading them."""
    from explorer.ee.db_connections.models import DatabaseConnection

    connections_ = DatabaseConnection.objects.using(using)
    values = {
        "name": CONNECTION_NAME,
        "engine": DatabaseConnection.DJANGO,
        "default": True,
        "user": None,
        "password": None,
        "host": "",
    }
    if not connections_.filter(alias=WORKBENCH_ALIAS).update(**values):
        DatabaseConnection(alias=WORKBENCH_ALIAS, **values).save(using=using)
    connections_.exclude(alias=WORKBENCH_ALIAS).update(default=False)
    return connections_.only("alias").get(alias=WORKBENCH_ALIAS)


def install_starter_queries(*, using: str = "default", reset: bool = False) -> int:
    """Save the starter queries that are missing (by title); ``reset``
    puts back the shipped SQL of those analysts have edited. Returns the
    number added or reset."""
    from explorer.models import Query

    from workbench.starter_queries import STARTER_QUERIES

    connection = set_up_explorer_connection(using=using)
    existing = {q.title: q for q in Query.objects.using(using).all()}
    changed = 0
    for starter in STARTER_QUERIES:
        query = existing.get(starter.title)
        if query and not reset:
            continue
        query = query or Query(title=starter.title)
        query.description = starter.description
        query.sql = starter.sql
        query.database_connection = connection
        query.save(using=using)
        changed += 1
    return changed


def set_up_workbench(*, using: str = "default", reset_starters: bool = False) -> Setup:
    """Everything above, in order."""
    role, tables = set_up_role(using=using)
    added = install_starter_queries(using=using, reset=reset_starters)
    return Setup(role=role, tables=tables, starters_added=added)


def set_up_after_migrate(sender, *, using="default", verbosity=1, **kwargs):
    """post_migrate: a deploy whose database user may not create roles
    still migrates; the warning says what to run."""
    try:
        setup = set_up_workbench(using=using)
    except CannotCreateRole as exc:
        logger.warning(
            "The SQL workbench is not set up: %s. Run 'manage.py setup_workbench --sql' "
            "and have the statements run by a user who may create roles.",
            exc,
        )
        return
    if verbosity >= 2:
        print(f"Workbench: role {setup.role} reads {len(setup.tables)} tables.")
