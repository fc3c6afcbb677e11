"""Model-typed frames -> PostgreSQL: COPY into a staging table, then one
set-based statement into the real table, recorded as a Batch.

Callers wrap a whole load in ``transaction.atomic()``: the staging tables
are dropped at commit, and a failure anywhere leaves nothing behind.
"""

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.db import connection
from django.utils import timezone
from psycopg import sql

from etl.models import Batch
from etl.specs import TableSpec


@dataclass
class LoadResult:
    table: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_file: bool = False


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def already_appended(spec: TableSpec, sha256: str) -> bool:
    return Batch.objects.filter(
        table=spec.name, sha256=sha256, mode="append", status=Batch.Status.DONE
    ).exists()


def copy_to_staging(cursor, frame: pd.DataFrame, target: str) -> str:
    """Create a temporary table shaped like ``target``'s columns in
    ``frame`` and COPY the frame into it; return its name."""
    stage = f"stage_{target}"
    columns = sql.SQL(", ").join(map(sql.Identifier, frame.columns))
    cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(stage)))
    cursor.execute(
        sql.SQL(
            "CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {target} WITH NO DATA"
        ).format(stage=sql.Identifier(stage), cols=columns, target=sql.Identifier(target))
    )
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(stage), columns
    )
    with cursor.copy(copy_sql) as copy:
        copy.write(buffer.getvalue())
    return stage


def upsert(cursor, stage: str, target: str, columns: list[str], key: list[str]):
    """Insert new rows, update changed ones by key; (inserted, updated)."""
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    others = [c for c in columns if c not in key]
    assignments = sql.SQL(", ").join(
        sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in others
    )
    current = sql.SQL(", ").join(
        sql.SQL("{t}.{c}").format(t=sql.Identifier(target), c=sql.Identifier(c)) for c in others
    )
    incoming = sql.SQL(", ").join(
        sql.SQL("EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in others
    )
    cursor.execute(
        sql.SQL(
            "WITH up AS (INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} "
            "ON CONFLICT ({key}) DO UPDATE SET {assignments} "
            "WHERE ({current}) IS DISTINCT FROM ({incoming}) "
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
        ).format(
            target=sql.Identifier(target),
            stage=sql.Identifier(stage),
            cols=cols,
            key=sql.SQL(", ").join(map(sql.Identifier, key)),
            assignments=assignments,
            current=current,
            incoming=incoming,
        )
    )
    return cursor.fetchone()


def append(cursor, stage: str, target: str, columns: list[str], batch_id: int) -> int:
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    cursor.execute(
        sql.SQL("INSERT INTO {target} ({cols}, batch_id) SELECT {cols}, %s FROM {stage}").format(
            target=sql.Identifier(target), stage=sql.Identifier(stage), cols=cols
        ),
        [batch_id],
    )
    return cursor.rowcount


def load_frame(
    frame: pd.DataFrame, spec: TableSpec, *, source_name: str, sha256: str, user=None
) -> LoadResult:
    """Load one validated frame in the spec's mode; record a Batch when the
    load changes anything."""
    target = spec.model._meta.db_table
    columns = list(frame.columns)
    result = LoadResult(spec.name, read=len(frame))
    batch = Batch(
        table=spec.name, source_name=source_name, sha256=sha256, mode=spec.mode, created_by=user
    )
    with connection.cursor() as cursor:
        stage = copy_to_staging(cursor, frame, target)
        if spec.mode == "append":
            batch.save()
            result.inserted = append(cursor, stage, target, columns, batch.pk)
        else:
            key = [spec.model._meta.get_field(k).column for k in spec.key]
            result.inserted, result.updated = upsert(cursor, stage, target, columns, key)
    result.unchanged = result.read - result.inserted - result.updated
    if result.inserted or result.updated:
        batch.rows_read, batch.rows_inserted = result.read, result.inserted
        batch.rows_updated, batch.rows_unchanged = result.updated, result.unchanged
        batch.status, batch.finished_at = Batch.Status.DONE, timezone.now()
        batch.save()
    elif batch.pk:
        batch.delete()  # an empty append file: nothing to record
    return result
