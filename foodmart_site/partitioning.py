"""Monthly range partitions for the big fact tables (sale lines, deliveries).

Why: the fact tables grow to tens of millions of rows. Loading into a table
with its foreign keys and indexes in place costs a foreign-key lookup and
an index insert per row (measured on 1M sale lines: ~7x slower than the
rows' COPY). A month that is not in the table yet is instead built as a
standalone table (no keys, no indexes), filled in one statement, and then
attached: PostgreSQL checks each foreign key once with a single anti-join
and builds each index in bulk. The rules stay in the database; only the
per-row price goes. Rows for a month that already exists are inserted
through the parent table, the ordinary way (daily files are small).

A DEFAULT partition catches rows of months not created yet (a sale line
typed in the admin); creating that month later moves them over first.
"""

import datetime as dt
from contextlib import contextmanager

from psycopg import sql

DEFAULT_SUFFIX = "default"


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def partition_name(table: str, start: dt.date) -> str:
    return f"{table}_{start:%Y_%m}"


def partition_by_month(cursor, table: str, column: str) -> None:
    """Turn ``table`` into a table partitioned by month of ``column``, with
    the same columns, checks, keys, indexes and foreign keys, and its rows.
    The primary key must already include ``column``."""
    old = f"{table}_unpartitioned"
    cursor.execute(
        sql.SQL("ALTER TABLE {} RENAME TO {}").format(*map(sql.Identifier, (table, old)))
    )
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype = 'p')",
        [old],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'f') ORDER BY contype DESC",
        [old],
    )
    keys = cursor.fetchall()
    cursor.execute(
        sql.SQL(
            "CREATE TABLE {new} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            "PARTITION BY RANGE ({col})"
        ).format(new=sql.Identifier(table), old=sql.Identifier(old), col=sql.Identifier(column))
    )
    cursor.execute(
        sql.SQL("CREATE TABLE {} PARTITION OF {} DEFAULT").format(
            sql.Identifier(f"{table}_{DEFAULT_SUFFIX}"), sql.Identifier(table)
        )
    )
    cursor.execute(
        sql.SQL("INSERT INTO {} SELECT * FROM {}").format(*map(sql.Identifier, (table, old)))
    )
    cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(old)))
    # An identity column cannot be moved to a partitioned table before
    # PostgreSQL 17; a sequence default does the same job on every version.
    seq = f"{table}_id_seq"
    cursor.execute(
        sql.SQL("CREATE SEQUENCE {} OWNED BY {}.id").format(
            sql.Identifier(seq), sql.Identifier(table)
        )
    )
    cursor.execute(
        sql.SQL("ALTER TABLE {} ALTER COLUMN id SET DEFAULT nextval({})").format(
            sql.Identifier(table), sql.Literal(seq)
        )
    )
    cursor.execute(
        sql.SQL("SELECT setval({}, coalesce(max(id), 0) + 1, false) FROM {}").format(
            sql.Literal(seq), sql.Identifier(table)
        )
    )
    for name, definition in keys:
        cursor.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(name)
            )
            + sql.SQL(definition)
        )
    for _, definition in indexes:
        cursor.execute(definition.replace(f" ON public.{old} ", f" ON public.{table} "))


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", [table])
    return cursor.fetchone()[0]


def partitions(cursor, table: str) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [table],
    )
    return {name for (name,) in cursor.fetchall()}


def build_month(cursor, table: str, column: str, start: dt.date, fill) -> None:
    """Create the month's partition from scratch: a bare table, the month's
    rows moved in from the default partition (or, when the month exists,
    copied from its partition, which the new one then replaces),
    ``fill(name)`` inserting the new rows, then one ATTACH that checks the
    foreign keys and builds the indexes set-based."""
    _, end = month_bounds(start)
    name = partition_name(table, start)
    new = f"{name}_new"
    exists = name in partitions(cursor, table)
    cursor.execute(
        sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(
            sql.Identifier(new), sql.Identifier(table)
        )
    )
    # The partition bound as a CHECK lets ATTACH skip scanning the rows.
    bound = sql.Identifier(f"{name}_bound")
    cursor.execute(
        sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({col} >= %s AND {col} < %s)").format(
            sql.Identifier(new), bound, col=sql.Identifier(column)
        ),
        [start, end],
    )
    if exists:
        cursor.execute(
            sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
                sql.Identifier(new), sql.Identifier(name)
            )
        )
        cursor.execute(
            sql.SQL("ALTER TABLE {} DETACH PARTITION {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
        cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
    else:
        cursor.execute(
            sql.SQL(
                "WITH moved AS (DELETE FROM {default} WHERE {col} >= %s AND {col} < %s "
                "RETURNING *) INSERT INTO {new} SELECT * FROM moved"
            ).format(
                default=sql.Identifier(f"{table}_{DEFAULT_SUFFIX}"),
                col=sql.Identifier(column),
                new=sql.Identifier(new),
            ),
            [start, end],
        )
    with _insert_triggers_of(cursor, table, new):
        fill(new)
    cursor.execute(
        sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(new), sql.Identifier(name))
    )
    cursor.execute(
        sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM (%s) TO (%s)").format(
            sql.Identifier(table), sql.Identifier(name)
        ),
        [start, end],
    )
    cursor.execute(
        sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(name), bound)
    )


@contextmanager
def _insert_triggers_of(cursor, table: str, new: str):
    """Give ``new`` the statement-level AFTER INSERT triggers of the
    partitioned ``table`` while it is filled: the rows that ``fill`` adds
    are new rows of the table, and what the table's triggers keep (the
    report rollups) must see them. The rows moved or copied in before are
    not new, so they fire nothing."""
    cursor.execute(
        "SELECT tgname, tgfoid::regproc::text, tgnewtable FROM pg_trigger "
        "WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "AND tgtype & 1 = 0 AND tgtype & 4 <> 0",  # statement level, insert
        [table],
    )
    triggers = cursor.fetchall()
    for name, function, transition in triggers:
        referencing = (
            sql.SQL("REFERENCING NEW TABLE AS {} ").format(sql.Identifier(transition))
            if transition
            else sql.SQL("")
        )
        cursor.execute(
            sql.SQL(
                "CREATE TRIGGER {} AFTER INSERT ON {} {}FOR EACH STATEMENT EXECUTE FUNCTION {}()"
            ).format(sql.Identifier(name), sql.Identifier(new), referencing, sql.SQL(function))
        )
    yield
    for name, _, _ in triggers:
        cursor.execute(
            sql.SQL("DROP TRIGGER {} ON {}").format(sql.Identifier(name), sql.Identifier(new))
        )


def month_rows(cursor, table: str, start: dt.date, *, up_to: int) -> int:
    """Rows in the month's partition (0 when there is none), counted no
    further than ``up_to``: a daily file's check must not scan a month of
    millions of rows."""
    name = partition_name(table, start)
    if name not in partitions(cursor, table):
        return 0
    cursor.execute(
        sql.SQL("SELECT count(*) FROM (SELECT FROM {} LIMIT %s) AS part").format(
            sql.Identifier(name)
        ),
        [up_to],
    )
    return cursor.fetchone()[0]


def drop_month_if_empty(cursor, table: str, start: dt.date) -> bool:
    """Drop the month's partition when nothing is left in it (a rolled-back
    load's month): empty partitions only cost the planner time."""
    name = partition_name(table, start)
    if name not in partitions(cursor, table):
        return False
    cursor.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(name)))
    if cursor.fetchone()[0]:
        return False
    cursor.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
    return True
