"""Rollups: summary tables of the sales facts that the layer reads
whenever they can answer a query (``cubes.choose_source``).

Each rollup is keyed only by columns of the fact row itself (a date at
its grain, store, product, promotion, customer), never by a dimension's
attribute, so that renaming a store or moving a product to another class
leaves every rollup exact: attributes are joined when a query runs.

They are kept exact by PostgreSQL itself: statement-level triggers on the
fact table (``trigger_sql``) add each statement's inserted rows and
subtract its deleted ones, from the statement's transition tables. So
every door that writes sale lines (the ETL's appends, replaces and
rollbacks, the admin, a psql session) keeps them exact in the same
transaction, and a rollback of that transaction rolls them back too. A
month that the ETL builds beside the table and attaches
(``foodmart_site.partitioning.build_month``) fires the same triggers on
its new rows. A materialized view would instead recompute everything on
every refresh (5 to 11 s at 10 million lines).

``rebuild`` recomputes a rollup from scratch (after a restore from an
old dump, say) and ``differences`` checks one against the fact table.
Changing a rollup's declaration needs a migration that recreates it (see
migrations/0001_rollups.py, which was generated from these declarations).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

SUMS = ["unit_sales", "store_sales", "store_cost"]


@dataclass(frozen=True)
class Rollup:
    table: str
    fact: str
    grain: str  # day or month
    keys: tuple[str, ...]  # fact columns besides the date
    fact_table: str = "sales_saleline"
    date: str = "sale_date"

    @property
    def key_columns(self) -> list[str]:
        return [self.date, *self.keys]

    @property
    def group_by(self) -> str:
        return ", ".join(str(i + 1) for i in range(len(self.key_columns)))

    def date_sql(self, alias: str = "") -> str:
        column = f"{alias}{self.date}"
        return column if self.grain == "day" else f"date_trunc('month', {column})::date"


# Smallest first: the layer takes the first that can answer.
ROLLUPS = [
    Rollup("rollup_sales_day_store_promotion", "sales", "day", ("store_id", "promotion_id")),
    Rollup("rollup_sales_month_store_customer", "sales", "month", ("store_id", "customer_id")),
    Rollup("rollup_sales_month_store_product", "sales", "month", ("store_id", "product_id")),
]


def rollups_for(fact: str) -> list[Rollup]:
    return [r for r in ROLLUPS if r.fact == fact]


def create_sql(rollup: Rollup) -> str:
    keys = ", ".join(rollup.key_columns)
    columns = ",\n  ".join(
        [f"{rollup.date} date NOT NULL"]
        + [f"{k} integer NOT NULL" for k in rollup.keys]
        + [f"{s} numeric(20, 4) NOT NULL" for s in SUMS]
        + ["sale_lines bigint NOT NULL"]
    )
    return (
        f"CREATE TABLE {rollup.table} (\n  {columns},\n  PRIMARY KEY ({keys})\n);\n"
        # Rows whose lines were all deleted wait here to be removed.
        f"CREATE INDEX {rollup.table}_empty ON {rollup.table} ({keys}) "
        "WHERE sale_lines = 0;\n"
        + "".join(
            f"CREATE INDEX {rollup.table}_{k} ON {rollup.table} ({k}, {rollup.date});\n"
            for k in rollup.keys
        )
    )


def _apply_sql(rollup: Rollup, relation: str, sign: str) -> str:
    """Add (sign '+') or subtract ('-') the rows of ``relation``."""
    keys = ", ".join(rollup.key_columns)
    sums = ", ".join(f"{sign}sum({s})" for s in SUMS)
    updates = ", ".join(f"{c} = r.{c} + EXCLUDED.{c}" for c in [*SUMS, "sale_lines"])
    return (
        f"INSERT INTO {rollup.table} AS r ({keys}, {', '.join(SUMS)}, sale_lines) "
        f"SELECT {rollup.date_sql()}, {', '.join(rollup.keys)}, {sums}, {sign}count(*) "
        f"FROM {relation} GROUP BY {rollup.group_by} ORDER BY {rollup.group_by} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def trigger_sql(fact_table: str = "sales_saleline") -> str:
    """The trigger function and its three triggers (a trigger with
    transition tables serves one event)."""
    rollups = [r for r in ROLLUPS if r.fact_table == fact_table]
    subtract = ";\n    ".join(_apply_sql(r, "old_rows", "-") for r in rollups)
    cleanup = ";\n    ".join(f"DELETE FROM {r.table} WHERE sale_lines = 0" for r in rollups)
    add = ";\n    ".join(_apply_sql(r, "new_rows", "") for r in rollups)
    function = f"reports_{fact_table}_rollups"
    return f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {subtract};
    {cleanup};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {add};
  END IF;
  RETURN NULL;
END
$body$;
CREATE TRIGGER {function}_insert AFTER INSERT ON {fact_table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {function}_update AFTER UPDATE ON {fact_table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER {function}_delete AFTER DELETE ON {fact_table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


def rebuild(rollup: Rollup, *, cursor=None) -> int:
    """Recompute ``rollup`` from the fact table; return its row count."""
    own = cursor is None
    cursor = cursor or connection.cursor()
    try:
        cursor.execute(f"DELETE FROM {rollup.table}")
        cursor.execute(_apply_sql(rollup, rollup.fact_table, ""))
        return cursor.rowcount
    finally:
        if own:
            cursor.close()


def differences(rollup: Rollup, *, cursor) -> int:
    """How many of the rollup's rows differ from the fact table's own
    aggregate (0 when exact)."""
    keys = ", ".join(rollup.key_columns)
    cols = f"{keys}, {', '.join(SUMS)}, sale_lines"
    fresh = (
        f"SELECT {rollup.date_sql()} AS {rollup.date}, {', '.join(rollup.keys)}, "
        f"{', '.join(f'sum({s})::numeric(20, 4)' for s in SUMS)}, count(*) "
        f"FROM {rollup.fact_table} GROUP BY {rollup.group_by}"
    )
    cursor.execute(
        f"SELECT count(*) FROM ((SELECT {cols} FROM {rollup.table} EXCEPT {fresh}) "
        f"UNION ALL ({fresh} EXCEPT SELECT {cols} FROM {rollup.table})) d"
    )
    return cursor.fetchone()[0]
