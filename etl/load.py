"""Typed rows -> PostgreSQL, set-based: COPY into a staging table, checks
as SQL over the whole staging table (references, duplicates), then one
statement per mode into the real table, and the rows it changed kept in
RowImage so that the batch can be rolled back.

Every function here runs inside the caller's transaction (see pipeline).
"""

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from django.db.models import UniqueConstraint
from psycopg import sql

from etl.models import Batch
from etl.specs import TableSpec
from etl.transform import FIRST_DATA_ROW, Problem
from foodmart_site import partitioning

ROW = "_row"  # the staging column holding the row's number in the file
MAX_REPORTED = 100_000


def ident(*names: str) -> sql.Composed:
    return sql.SQL(", ").join(map(sql.Identifier, names))


@dataclass
class Staging:
    """A temporary table shaped like the target's loaded columns."""

    spec: TableSpec
    name: str
    columns: list[str]  # database columns, as in the frames copied in

    @property
    def target(self) -> str:
        return self.spec.model._meta.db_table

    @property
    def key(self) -> list[str]:
        return [self.spec.model._meta.get_field(k).column for k in self.spec.key]


def create_staging(cursor, spec: TableSpec, columns: list[str]) -> Staging:
    staging = Staging(spec, f"stage_{spec.name}", columns)
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(staging.name)))
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
            "SELECT {cols}, 0 AS {row} FROM {target} WITH NO DATA"
        ).format(
            stage=sql.Identifier(staging.name),
            cols=ident(*columns),
            row=sql.Identifier(ROW),
            target=sql.Identifier(staging.target),
        )
    )
    return staging


def copy_rows(cursor, staging: Staging, frame: pd.DataFrame) -> None:
    """COPY one chunk of typed rows (its index = row position in file).
    The CSV text is written by Arrow's C++ writer: pandas' own to_csv took
    three seconds a million rows, more than the COPY itself."""
    if frame.empty:
        return
    rows = frame[staging.columns].assign(**{ROW: frame.index + FIRST_DATA_ROW})
    table = pa.Table.from_pandas(rows, preserve_index=False)
    sink = pa.BufferOutputStream()
    # Missing values come out as empty unquoted fields: NULL to COPY.
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    pacsv.write_csv(table, sink, write_options=options)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(staging.name), ident(*staging.columns, ROW)
    )
    with cursor.copy(statement) as copy:
        copy.write(sink.getvalue().to_pybytes())


def keep_first_per_key(cursor, staging: Staging) -> None:
    """For a dimension read from a fact file (currencies from the rate
    list): one row per key, the first."""
    cursor.execute(
        sql.SQL(
            "DELETE FROM {stage} WHERE {row} NOT IN "
            "(SELECT min({row}) FROM {stage} GROUP BY {key})"
        ).format(
            stage=sql.Identifier(staging.name), row=sql.Identifier(ROW), key=ident(*staging.key)
        )
    )


def index_staging(cursor, staging: Staging) -> None:
    cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(staging.name)))


# --- Checks over the whole staging table ---------------------------------


def reference_problems(cursor, staging: Staging, file: str, headers: dict) -> list[Problem]:
    """Rows whose foreign keys point at no row in the database (nor, for a
    table that refers to itself, at a row of the same file)."""
    problems = []
    model = staging.spec.model
    for f in staging.spec.fields():
        if not f.is_relation or f.column not in staging.columns:
            continue
        target = f.related_model._meta.db_table
        target_key = f.target_field.column
        template = (
            "SELECT s.{row}, s.{col}::text FROM {stage} s WHERE s.{col} IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.{tkey} = s.{col})"
        )
        if f.related_model is model:  # a row may refer to a row of the same file
            template += " AND NOT EXISTS (SELECT 1 FROM {stage} x WHERE x.{key} = s.{col})"
        query = sql.SQL(template + " ORDER BY s.{row} LIMIT %s").format(
            row=sql.Identifier(ROW),
            col=sql.Identifier(f.column),
            stage=sql.Identifier(staging.name),
            target=sql.Identifier(target),
            tkey=sql.Identifier(target_key),
            key=sql.Identifier(model._meta.pk.column),
        )
        cursor.execute(query, [MAX_REPORTED])
        label = f.related_model._meta.verbose_name
        problems += [
            Problem(file, row, headers.get(f.name, f.column), value, f"unknown {label}")
            for row, value in cursor.fetchall()
        ]
    return problems


def scope_problems(
    cursor, staging: Staging, store_ids: set[int], file: str, headers: dict
) -> list[Problem]:
    """Rows for a store outside the user's stores: in the file, or, for a
    row that already exists, in the database (no moving rows in or out)."""
    model = staging.spec.model
    path = getattr(model, "store_path", None)
    if path is None:
        return []
    if path == "pk":
        store = sql.SQL("s.{}").format(sql.Identifier(model._meta.pk.column))
        column = headers.get(model._meta.pk.name, model._meta.pk.column)
    elif path == "store":
        store = sql.SQL("s.store_id")
        column = headers.get("store", "store_id")
    elif path == "employee__store":
        store = sql.SQL("(SELECT e.store_id FROM people_employee e WHERE e.id = s.employee_id)")
        column = headers.get("employee", "employee_id")
    else:
        raise NotImplementedError(f"store_path {path!r}")
    existing = sql.SQL("NULL")
    if not staging.spec.is_fact and path != "pk":
        pk = sql.Identifier(model._meta.pk.column)
        existing = sql.SQL("(SELECT t.store_id FROM {t} t WHERE t.{pk} = s.{pk})").format(
            t=sql.Identifier(staging.target), pk=pk
        )
    cursor.execute(
        sql.SQL(
            "SELECT s.{row}, {store}::text, {existing}::text FROM {stage} s "
            "WHERE {store} <> ALL(%s) OR {existing} <> ALL(%s) ORDER BY s.{row} LIMIT %s"
        ).format(
            row=sql.Identifier(ROW),
            store=store,
            existing=existing,
            stage=sql.Identifier(staging.name),
        ),
        [sorted(store_ids), sorted(store_ids), MAX_REPORTED],
    )
    return [
        Problem(
            file,
            row,
            column,
            str(new or ""),
            f"store {old if old and int(old) not in store_ids else new} is not one of your stores",
        )
        for row, new, old in cursor.fetchall()
    ]


def unique_keys(spec: TableSpec) -> list[list[str]]:
    """Column sets that identify a row: the spec's key for dimensions, the
    model's unique constraints for facts."""
    meta = spec.model._meta
    if not spec.is_fact:
        return [[meta.get_field(k).column for k in spec.key]]
    return [
        [meta.get_field(f).column for f in c.fields]
        for c in meta.constraints
        if isinstance(c, UniqueConstraint) and c.fields and c.condition is None
    ]


def _header(staging: Staging, headers: dict, column: str) -> str:
    """The file's own header for a database column ("Date" for sale_date)."""
    for f in staging.spec.fields():
        if f.column == column:
            return headers.get(f.name, column)
    return column


def repeat_keys(staging: Staging) -> list[list[str]]:
    """The column sets a row may not repeat within a file: the table's
    keys, or for a fact table without one, every column."""
    return unique_keys(staging.spec) or [staging.columns]


def duplicate_problems(cursor, staging: Staging, file: str, headers: dict) -> list[Problem]:
    """Rows repeating an earlier row of the file: the same key, or for a
    fact table without a key, the same values in every column."""
    keys = repeat_keys(staging)
    problems = []
    for key in keys:
        what = "key (" + ", ".join(key) + ")" if key != staging.columns else "values"
        # A window over the key: NULLs compare equal, and it sorts once
        # (n log n) where a join on IS NOT DISTINCT FROM would loop.
        cursor.execute(
            sql.SQL(
                "SELECT {row}, first FROM (SELECT {row}, min({row}) OVER (PARTITION BY {key}) "
                "AS first FROM {stage}) d WHERE {row} <> first ORDER BY {row} LIMIT %s"
            ).format(row=sql.Identifier(ROW), key=ident(*key), stage=sql.Identifier(staging.name)),
            [MAX_REPORTED],
        )
        column = _header(staging, headers, key[0]) if key != staging.columns else "(all columns)"
        problems += [
            Problem(file, row, column, "", f"repeats the {what} of row {first}")
            for row, first in cursor.fetchall()
        ]
    return problems


def already_loaded_problems(cursor, staging: Staging, file: str, headers: dict) -> list[Problem]:
    """Fact rows that are already in the table: by a unique key where the
    model has one, else by every column, within the file's date range."""
    spec = staging.spec
    if not spec.is_fact:
        return []
    keys = unique_keys(spec)
    match = keys[0] if keys else staging.columns
    date = spec.model._meta.get_field(spec.date_field).column if spec.date_field else None
    in_range = sql.SQL("")
    if date and not keys:
        in_range = sql.SQL(
            " AND t.{d} BETWEEN (SELECT min({d}) FROM {stage}) AND (SELECT max({d}) FROM {stage})"
        ).format(d=sql.Identifier(date), stage=sql.Identifier(staging.name))
    nullable = {f.column for f in spec.model._meta.concrete_fields if f.null}
    # "=" on NOT NULL columns lets PostgreSQL hash-join; IS NOT DISTINCT FROM
    # (needed where NULLs must match) would force a nested loop.
    on = sql.SQL(" AND ").join(
        sql.SQL("t.{c} IS NOT DISTINCT FROM s.{c}" if c in nullable else "t.{c} = s.{c}").format(
            c=sql.Identifier(c)
        )
        for c in match
    )
    cursor.execute(
        sql.SQL(
            "SELECT s.{row}, min(t.batch_id) FROM {stage} s JOIN {target} t ON {on}{in_range} "
            "GROUP BY s.{row} ORDER BY s.{row} LIMIT %s"
        ).format(
            row=sql.Identifier(ROW),
            stage=sql.Identifier(staging.name),
            target=sql.Identifier(staging.target),
            on=on,
            in_range=in_range,
        ),
        [MAX_REPORTED],
    )
    column = _header(staging, headers, match[0]) if keys else "(all columns)"
    return [
        Problem(file, row, column, "", f"already loaded (batch {batch or 'entered by hand'})")
        for row, batch in cursor.fetchall()
    ]


def out_of_scope_problems(
    cursor, staging: Staging, scope: dict, file: str, headers: dict
) -> list[Problem]:
    """For a replace of a date range: rows outside the range."""
    if "from" not in scope:
        return []
    date = staging.spec.model._meta.get_field(staging.spec.date_field).column
    cursor.execute(
        sql.SQL(
            "SELECT {row}, {d}::text FROM {stage} WHERE {d} NOT BETWEEN %s AND %s ORDER BY {row}"
        ).format(
            row=sql.Identifier(ROW), d=sql.Identifier(date), stage=sql.Identifier(staging.name)
        ),
        [scope["from"], scope["to"]],
    )
    reason = f"outside the replaced range {scope['from']} to {scope['to']}"
    column = _header(staging, headers, date)
    return [Problem(file, row, column, value, reason) for row, value in cursor.fetchall()]


def drop_rows(cursor, staging: Staging, rows: set[int]) -> None:
    cursor.execute(
        sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(
            sql.Identifier(staging.name), sql.Identifier(ROW)
        ),
        [sorted(rows)],
    )


def _match_and_differs(key: list[str], others: list[str]):
    """SQL for "target row t has staged row s's key" and "t's other
    columns differ from s's" (NULLs compare equal)."""
    join = sql.SQL(" AND ").join(sql.SQL("t.{c} = s.{c}").format(c=sql.Identifier(c)) for c in key)
    if not others:
        return join, sql.SQL("false")
    differs = sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in others),
        sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in others),
    )
    return join, differs


def row_states(cursor, staging: Staging) -> dict[int, str]:
    """Each staged row's fate in a write: "new", "update" or "skip"
    (unchanged), in the words of django-import-export's preview."""
    if staging.spec.is_fact:
        cursor.execute(
            sql.SQL("SELECT {}, 'new' FROM {}").format(
                sql.Identifier(ROW), sql.Identifier(staging.name)
            )
        )
        return dict(cursor.fetchall())
    key, others = staging.key, [c for c in staging.columns if c not in staging.key]
    join, differs = _match_and_differs(key, others)
    cursor.execute(
        sql.SQL(
            "SELECT s.{row}, CASE WHEN t.{k} IS NULL THEN 'new' WHEN {differs} THEN 'update' "
            "ELSE 'skip' END FROM {stage} s LEFT JOIN {target} t ON {join}"
        ).format(
            row=sql.Identifier(ROW),
            k=sql.Identifier(key[0]),
            differs=differs,
            stage=sql.Identifier(staging.name),
            target=sql.Identifier(staging.target),
            join=join,
        )
    )
    return dict(cursor.fetchall())


# --- Writing into the real table -----------------------------------------


def _key_json(alias: str, key: list[str]) -> sql.Composed:
    return sql.SQL("jsonb_build_object({})").format(
        sql.SQL(", ").join(
            sql.SQL("{}, {}.{}").format(sql.Literal(k), sql.Identifier(alias), sql.Identifier(k))
            for k in key
        )
    )


def append(cursor, staging: Staging, batch: Batch) -> None:
    """Add the staged rows to a fact table. A monthly-partitioned table gets
    each month the fastest way (see foodmart_site.partitioning)."""
    spec, target = staging.spec, staging.target
    cols = ident(*staging.columns)
    select = sql.SQL("SELECT {cols}, %s FROM {stage}").format(
        cols=cols, stage=sql.Identifier(staging.name)
    )
    if not spec.date_field or not partitioning.is_partitioned(cursor, target):
        cursor.execute(_insert(target, cols, select), [batch.pk])
        batch.rows_inserted = cursor.rowcount
        return
    date = spec.model._meta.get_field(spec.date_field).column
    # One load at a time builds a table's new months.
    cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [target])
    cursor.execute(
        sql.SQL(
            "SELECT date_trunc('month', {d})::date, count(*) FROM {stage} GROUP BY 1 ORDER BY 1"
        ).format(d=sql.Identifier(date), stage=sql.Identifier(staging.name))
    )
    months = cursor.fetchall()
    if len(months) > 1:  # each month's insert then reads only its rows
        cursor.execute(
            sql.SQL("CREATE INDEX ON {} ({})").format(
                sql.Identifier(staging.name), sql.Identifier(date)
            )
        )
    batch.rows_inserted = 0
    for start, rows in months:
        _, end = partitioning.month_bounds(start)
        in_month = select + sql.SQL(" WHERE {d} >= %s AND {d} < %s").format(d=sql.Identifier(date))
        params = [batch.pk, start, end]
        # A few rows into a big month: insert them. Many rows, or a new
        # month: rebuild the month and attach it (checks run set-based).
        if rows < partitioning.month_rows(cursor, target, start, up_to=rows + 1):
            cursor.execute(_insert(target, cols, in_month), params)
            batch.rows_inserted += cursor.rowcount
        else:

            def fill(part, in_month=in_month, params=params):
                cursor.execute(_insert(part, cols, in_month), params)
                batch.rows_inserted += cursor.rowcount

            partitioning.build_month(cursor, target, date, start, fill)


def _insert(table: str, cols, select) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}, batch_id) ").format(sql.Identifier(table), cols) + select


def upsert(cursor, staging: Staging, batch: Batch) -> None:
    """Insert new rows, update changed ones by key; keep each changed row's
    earlier state and each new row's key for a rollback."""
    key, target, stage = staging.key, staging.target, staging.name
    others = [c for c in staging.columns if c not in key]
    t = sql.Identifier(target)
    changed = sql.SQL("({}) IS DISTINCT FROM ({})").format(
        sql.SQL(", ").join(sql.SQL("{}.{}").format(t, sql.Identifier(c)) for c in others),
        sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in others),
    )
    if others:
        on_conflict = sql.SQL("DO UPDATE SET {} WHERE {}").format(
            sql.SQL(", ").join(
                sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in others
            ),
            changed,
        )
    else:
        on_conflict = sql.SQL("DO NOTHING")
    join, differs = _match_and_differs(key, others)
    cursor.execute(
        sql.SQL(
            "INSERT INTO etl_rowimage (batch_id, key, before) "
            "SELECT %s, {key_json}, to_jsonb(t) FROM {target} t JOIN {stage} s ON {join} "
            "WHERE {differs}"
        ).format(
            key_json=_key_json("t", key),
            target=t,
            stage=sql.Identifier(stage),
            join=join,
            differs=differs,
        ),
        [batch.pk],
    )
    cols = ident(*staging.columns)
    cursor.execute(
        sql.SQL(
            "WITH up AS (INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} "
            "ON CONFLICT ({key}) {on_conflict} RETURNING {key}, (xmax = 0) AS inserted), "
            "img AS (INSERT INTO etl_rowimage (batch_id, key, before) "
            "SELECT %s, {key_json}, NULL FROM up WHERE inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
        ).format(
            target=t,
            cols=cols,
            stage=sql.Identifier(stage),
            key=ident(*key),
            on_conflict=on_conflict,
            key_json=_key_json("up", key),
        ),
        [batch.pk],
    )
    batch.rows_inserted, batch.rows_updated = cursor.fetchone()


def delete_scope(cursor, staging: Staging, batch: Batch, scope: dict) -> None:
    """For a replace: remove the scope's rows, keeping each for a rollback.
    A dimension keeps the rows the file still has (they are upserted)."""
    target, key = staging.target, staging.key
    spec = staging.spec
    if "from" in scope:
        date = spec.model._meta.get_field(spec.date_field).column
        where = sql.SQL("{} BETWEEN %s AND %s").format(sql.Identifier(date))
        params = [scope["from"], scope["to"]]
    elif spec.is_fact:
        where, params = sql.SQL("true"), []
    else:
        where = sql.SQL("NOT EXISTS (SELECT 1 FROM {stage} s WHERE {join})").format(
            stage=sql.Identifier(staging.name),
            join=sql.SQL(" AND ").join(
                sql.SQL("s.{c} = {t}.{c}").format(c=sql.Identifier(c), t=sql.Identifier(target))
                for c in key
            ),
        )
        params = []
    cursor.execute(
        sql.SQL(
            "WITH gone AS (DELETE FROM {target} WHERE {where} RETURNING *) "
            "INSERT INTO etl_rowimage (batch_id, key, before) "
            "SELECT %s, {key_json}, to_jsonb(gone) FROM gone"
        ).format(target=sql.Identifier(target), where=where, key_json=_key_json("gone", key)),
        [*params, batch.pk],
    )
    batch.rows_deleted = cursor.rowcount


# --- Undoing a batch ------------------------------------------------------


def roll_back(cursor, spec: TableSpec, batch: Batch) -> int:
    """Remove what the batch added and put back what it changed or
    deleted; return the number of rows removed."""
    table = sql.Identifier(spec.model._meta.db_table)
    key = [spec.model._meta.get_field(k).column for k in spec.key]
    months = _months_of(cursor, spec, batch) if spec.is_fact else []
    if spec.is_fact:
        cursor.execute(sql.SQL("DELETE FROM {} WHERE batch_id = %s").format(table), [batch.pk])
        removed = cursor.rowcount
    else:
        match = sql.SQL(" AND ").join(
            sql.SQL("{t}.{c} = (i.key ->> {k})::{typ}").format(
                t=table, c=sql.Identifier(c), k=sql.Literal(c), typ=sql.SQL(_sql_type(spec, c))
            )
            for c in key
        )
        cursor.execute(
            sql.SQL(
                "DELETE FROM {t} USING etl_rowimage i "
                "WHERE i.batch_id = %s AND i.before IS NULL AND {match}"
            ).format(t=table, match=match),
            [batch.pk],
        )
        removed = cursor.rowcount
    restore = sql.SQL(
        "INSERT INTO {t} SELECT (jsonb_populate_record(NULL::{t}, before)).* "
        "FROM etl_rowimage WHERE batch_id = %s AND before IS NOT NULL"
    ).format(t=table)
    if not spec.is_fact:
        columns = [f.column for f in spec.model._meta.concrete_fields if f.column not in key]
        restore += sql.SQL(" ON CONFLICT ({key}) DO UPDATE SET {sets}").format(
            key=ident(*key),
            sets=sql.SQL(", ").join(
                sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in columns
            ),
        )
    cursor.execute(restore, [batch.pk])
    for start in months:  # a month the batch made, left empty: drop it
        partitioning.drop_month_if_empty(cursor, spec.model._meta.db_table, start)
    return removed


def _months_of(cursor, spec: TableSpec, batch: Batch) -> list:
    """The months a fact batch wrote to, for a partitioned table."""
    table = spec.model._meta.db_table
    if not spec.date_field or not partitioning.is_partitioned(cursor, table):
        return []
    date = spec.model._meta.get_field(spec.date_field).column
    cursor.execute(
        sql.SQL(
            "SELECT DISTINCT date_trunc('month', {})::date FROM {} WHERE batch_id = %s"
        ).format(sql.Identifier(date), sql.Identifier(table)),
        [batch.pk],
    )
    return [m for (m,) in cursor.fetchall()]


def _sql_type(spec: TableSpec, column: str) -> str:
    from django.db import connection

    f = next(f for f in spec.model._meta.concrete_fields if f.column == column)
    return f.db_type(connection).split("(")[0] if f.db_type(connection) else "text"
