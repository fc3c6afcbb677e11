"""Rollups: summary tables of the sales facts that the layer reads
whenever they can answer a query (``cubes.choose_source``).

Each rollup is keyed by columns of the fact row itself (a date at its
grain, store, product, promotion, customer), so that renaming a store
leaves it exact: attributes are joined when a query runs. One exception
pays for itself: month x store x product class, ten times smaller than
month x store x product, which answers the product hierarchy down to the
subcategory. Its class comes from the product, so a trigger on the
product table moves a product's figures to its new class when it changes
class (from the product rollup, exact by then).

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
    # A key read from another table: (column, table, fact column it hangs on).
    via: tuple[str, str, str] | None = None

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
    Rollup(
        "rollup_sales_month_store_class",
        "sales",
        "month",
        ("store_id", "product_class_id"),
        via=("product_class_id", "inventory_product", "product_id"),
    ),
    # One row per basket: a customer at a store on a day.
    Rollup("rollup_sales_day_store_customer", "sales", "day", ("store_id", "customer_id")),
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


def _source(rollup: Rollup, relation: str) -> tuple[str, str]:
    """(select list of the keys, FROM clause) over ``relation`` (alias x)."""
    keys = [rollup.date_sql("x."), *(f"x.{k}" for k in rollup.keys)]
    text = f"{relation} x"
    if rollup.via:
        column, table, on = rollup.via
        keys = [f"v.{column}" if k == f"x.{column}" else k for k in keys]
        text += f" JOIN {table} v ON v.id = x.{on}"
    return ", ".join(keys), text


def _upsert(rollup: Rollup, select: str) -> str:
    keys = ", ".join(rollup.key_columns)
    updates = ", ".join(f"{c} = r.{c} + EXCLUDED.{c}" for c in [*SUMS, "sale_lines"])
    return (
        f"INSERT INTO {rollup.table} AS r ({keys}, {', '.join(SUMS)}, sale_lines) {select} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )


def _apply_sql(rollup: Rollup, relation: str, sign: str) -> str:
    """Add (sign '+') or subtract ('-') the rows of ``relation``."""
    keys, source = _source(rollup, relation)
    sums = ", ".join(f"{sign}sum(x.{s})" for s in SUMS)
    return _upsert(
        rollup,
        f"SELECT {keys}, {sums}, {sign}count(*) FROM {source} "
        f"GROUP BY {rollup.group_by} ORDER BY {rollup.group_by}",
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


def product_trigger_sql() -> str:
    """When products change class, move their figures in the class rollup
    from the old class to the new one, read from the product rollup."""
    classes = next(r for r in ROLLUPS if r.via)
    products = next(r for r in ROLLUPS if r.grain == "month" and "product_id" in r.keys)
    moves = []
    for sign, side in (("-", "o"), ("", "n")):
        moves.append(
            _upsert(
                classes,
                f"SELECT p.{products.date}, p.store_id, {side}.product_class_id, "
                + ", ".join(f"{sign}sum(p.{c})" for c in [*SUMS, "sale_lines"])
                + f" FROM {products.table} p JOIN old_rows o ON o.id = p.product_id "
                "JOIN new_rows n ON n.id = o.id "
                "WHERE o.product_class_id <> n.product_class_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            )
        )
    return f"""
CREATE FUNCTION reports_product_class_moves() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  {moves[0]};
  {moves[1]};
  DELETE FROM {classes.table} WHERE sale_lines = 0;
  RETURN NULL;
END
$body$;
CREATE TRIGGER reports_product_class_moves AFTER UPDATE ON inventory_product
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reports_product_class_moves();
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
    keys_sql, source = _source(rollup, rollup.fact_table)
    fresh = (
        f"SELECT {keys_sql}, {', '.join(f'sum(x.{s})::numeric(20, 4)' for s in SUMS)}, "
        f"count(*) FROM {source} GROUP BY {rollup.group_by}"
    )
    cursor.execute(
        f"SELECT count(*) FROM ((SELECT {cols} FROM {rollup.table} EXCEPT {fresh}) "
        f"UNION ALL ({fresh} EXCEPT SELECT {cols} FROM {rollup.table})) d"
    )
    return cursor.fetchone()[0]
