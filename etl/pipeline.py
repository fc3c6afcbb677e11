"""The one pipeline every door calls: extract -> validate -> transform ->
load, for a file or a DataFrame, recorded as a Batch.

    run(path, table=None, mode=None, user=None, door="python",
        dry_run=False, keep_valid=False, force=False, scope=None)

The same input gives the same result, problems and batch record whether
it comes from ``manage.py etl load``, the admin, a notebook or a watched
folder. One transaction per file: a failure anywhere (a bad row, the
database refusing a row, the process being killed) leaves the tables as
they were; only the batch record of the failure is kept.
"""

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from etl import load
from etl.extract import ExtractError, read_chunks
from etl.models import Batch
from etl.specs import TableSpec, get_spec
from etl.transform import (
    Problem,
    RepeatFinder,
    ValidationFailed,
    resolve_columns,
    to_model_frame,
)
from inventory.models import CalendarDay
from inventory.scoping import store_ids_for

Progress = Callable[[int], None]


class AlreadyLoaded(Exception):
    def __init__(self, source: str, batch: Batch):
        self.batch = batch
        super().__init__(
            f"{source} was already loaded into {batch.table} (batch {batch.pk}, "
            f"{batch.started_at:%Y-%m-%d %H:%M}); use force to load it again."
        )


class LoadFailed(Exception):
    """The load was refused; ``batch`` records why, ``problems`` lists the
    bad cells (empty when the file could not be read at all)."""

    def __init__(self, batch: Batch | None, message: str, problems: list[Problem] = ()):
        self.batch, self.problems = batch, list(problems)
        super().__init__(message)


def table_for(path: Path) -> str:
    """FoodMart table name from a file name: sales_fact_1997.csv -> sales_fact."""
    stem = Path(path).stem.lower()
    return re.sub(r"(_\d{4}(_\d{2})?(_\d{2})?)$", "", stem)


def calendar_lookup() -> dict[str, str]:
    """FoodMart time_id (as text) -> ISO date, from the loaded calendar."""
    return {str(pk): d.isoformat() for pk, d in CalendarDay.objects.values_list("id", "the_date")}


def content_hash(source) -> str:
    digest = hashlib.sha256()
    if isinstance(source, pd.DataFrame):
        digest.update(pd.util.hash_pandas_object(source, index=False).values.tobytes())
        digest.update(",".join(map(str, source.columns)).encode())
        return digest.hexdigest()
    with open(source, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run(
    source,
    *,
    table: str | None = None,
    mode: str | None = None,
    user=None,
    door: str = "python",
    dry_run: bool = False,
    keep_valid: bool = False,
    force: bool = False,
    scope: dict | None = None,
    progress: Progress | None = None,
    source_name: str | None = None,
    report_dir: Path | None = None,
    collect: dict | None = None,
) -> Batch:
    """Load one file or DataFrame into one table; return its Batch.

    Raises AlreadyLoaded (an append of a file loaded before, unless
    ``force``) or LoadFailed (nothing was loaded; the batch says why).
    ``collect``, a dict, receives the file's rows as read ("raw", text) and,
    on a dry run, each valid row's fate ("states": new, update, skip): what
    the admin's preview shows."""
    is_frame = isinstance(source, pd.DataFrame)
    name = source_name or ("DataFrame" if is_frame else Path(source).name)
    spec = get_spec(table or table_for(name if is_frame else source))
    mode = mode or spec.mode
    scope = _check_mode(spec, mode, scope or {})
    _check_permission(user, spec, mode)
    sha256 = content_hash(source)
    if mode == "append" and not force and not dry_run:
        earlier = _earlier_append(spec, sha256)
        if earlier:
            raise AlreadyLoaded(name, earlier)
    batch = Batch(
        table=spec.name,
        source_name=name,
        sha256=sha256,
        mode=mode,
        forced=force,
        keep_valid=keep_valid,
        scope=scope,
        created_by=user if getattr(user, "pk", None) else None,
        started_by=door,
    )
    if not dry_run:
        fail_abandoned_batches()
        batch.save()  # committed now: a failed load keeps its record
        _hold(batch, "lock")
    try:
        with transaction.atomic():
            _load(
                source,
                spec,
                batch,
                name=name,
                dry_run=dry_run,
                progress=progress,
                user=user,
                collect=collect,
            )
            if dry_run:
                transaction.set_rollback(True)
    except (ValidationFailed, ExtractError, DatabaseError) as exc:
        problems = getattr(exc, "problems", [])
        message = _failure_message(exc, name)
        _record_failure(batch, message, problems, dry_run=dry_run)
        _write_report(source, problems, report_dir, is_frame)
        raise LoadFailed(batch if not dry_run else None, message, problems) from exc
    finally:
        if not dry_run:
            _hold(batch, "unlock")
    if batch.rows_rejected:
        _write_report(source, _rejected(batch), report_dir, is_frame)
    if not dry_run:
        batch.status, batch.finished_at = Batch.Status.DONE, timezone.now()
        batch.save()
    return batch


# Advisory-lock namespace for running loads: a batch whose lock nobody holds
# while it says "running" belongs to a load that died (killed, crashed).
ETL_LOCK = 7_342


def _hold(batch: Batch, action: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_{action}(%s, %s)", [ETL_LOCK, batch.pk])


def fail_abandoned_batches() -> int:
    """Mark "running" batches whose load is gone as failed; nothing of
    theirs was kept (their transaction died with them). Returns how many."""
    count = 0
    for batch in Batch.objects.filter(status=Batch.Status.RUNNING):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ETL_LOCK, batch.pk])
            if not cursor.fetchone()[0]:
                continue  # still loading
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ETL_LOCK, batch.pk])
        batch.status, batch.finished_at = Batch.Status.FAILED, timezone.now()
        batch.error_report = "The load was interrupted before it finished; nothing was loaded."
        batch.save(update_fields=["status", "finished_at", "error_report"])
        count += 1
    return count


class NotAllowed(PermissionError):
    pass


def _check_permission(user, spec: TableSpec, mode: str) -> None:
    """A load on someone's behalf needs their model permissions: add for
    new facts, change (and add) for dimensions, delete too for a replace.
    Loads without a user (the command line, load_foodmart) run as the
    operator of the machine."""
    if user is None:
        return
    meta = spec.model._meta
    actions = {"append": ["add"], "upsert": ["add", "change"], "replace": ["add", "delete"]}
    missing = [
        a for a in actions[mode] if not user.has_perm(f"{meta.app_label}.{a}_{meta.model_name}")
    ]
    if missing:
        raise NotAllowed(
            f"{user} may not {' or '.join(missing)} {meta.verbose_name_plural} "
            f"(a {mode} of {spec.name} needs it)."
        )


def _check_mode(spec: TableSpec, mode: str, scope: dict) -> dict:
    if mode not in Batch.Mode.values:
        raise ValueError(f"Unknown mode {mode!r}: append, upsert or replace.")
    if mode == "append" and not spec.is_fact:
        raise ValueError(f"{spec.name} is a dimension table: load it with upsert or replace.")
    if mode == "upsert" and spec.is_fact:
        raise ValueError(f"{spec.name} is a fact table: load it with append or replace.")
    if mode != "replace":
        return {}
    if scope.get("from") or scope.get("to"):
        if not spec.date_field:
            raise ValueError(f"{spec.name} has no date to scope a replace by.")
        if not (scope.get("from") and scope.get("to")):
            raise ValueError("A replaced date range needs both a start and an end.")
        return {"from": str(scope["from"]), "to": str(scope["to"])}
    return {"table": spec.name}


def _earlier_append(spec: TableSpec, sha256: str) -> Batch | None:
    return Batch.objects.filter(
        table=spec.name, sha256=sha256, mode="append", status=Batch.Status.DONE
    ).first()


def _chunks(source) -> Iterable[pd.DataFrame]:
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        return [frame.astype(object).where(frame.notna(), None)]
    return read_chunks(Path(source))


def _load(source, spec, batch, *, name, dry_run, progress, user=None, collect=None) -> None:
    """Stage every chunk, check the whole, write, inside the caller's
    transaction."""
    calendar = calendar_lookup()
    problems: list[Problem] = []
    warnings: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Memory for this load's sorts, hashes and index builds (the
        # defaults, 4 MB and 64 MB, make a million-row load spill to disk).
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        staging, columns, finders = None, None, None
        for chunk in _chunks(source):
            if columns is None:
                columns = resolve_columns(list(chunk.columns), spec, file=name)
                if columns.unknown:
                    warnings.append("ignored unknown columns: " + ", ".join(columns.unknown))
            frame, bad = to_model_frame(chunk, spec, file=name, calendar=calendar, columns=columns)
            problems += bad
            batch.rows_read += len(chunk)
            if collect is not None:
                collect.setdefault("raw", []).append(chunk)
            if staging is None:
                staging = load.create_staging(cursor, spec, list(frame.columns))
                finders = [(key, RepeatFinder()) for key in load.repeat_keys(staging)]
            for key, finder in finders:
                finder.add(frame[key])
            load.copy_rows(cursor, staging, frame)
            if progress:
                progress(batch.rows_read)
        if batch.rows_read == 0:
            raise ValidationFailed([Problem(name, 2, "", "", "the file has no data rows")])
        if spec.distinct:
            load.keep_first_per_key(cursor, staging)
        load.index_staging(cursor, staging)
        headers = columns.by_field
        problems += load.reference_problems(cursor, staging, name, headers)
        if user is not None:
            store_ids = store_ids_for(user)
            if store_ids is not None:
                problems += load.scope_problems(cursor, staging, store_ids, name, headers)
        if spec.distinct or any(finder.found_any() for _, finder in finders):
            problems += load.duplicate_problems(cursor, staging, name, headers)
        # A replace's rows may repeat the rows it is about to delete.
        if not batch.forced and batch.mode != "replace":
            problems += load.already_loaded_problems(cursor, staging, name, headers)
        problems += load.out_of_scope_problems(cursor, staging, batch.scope, name, headers)
        problems.sort(key=lambda p: (p.row, p.column))
        bad_rows = {p.row for p in problems}
        if problems and not batch.keep_valid:
            raise ValidationFailed(problems)
        if bad_rows:
            load.drop_rows(cursor, staging, bad_rows)
            batch.rows_rejected = len(bad_rows)
            batch.error_report = report_csv(problems)
        batch.warnings = "\n".join(warnings)
        if dry_run:
            if collect is not None:
                collect["states"] = load.row_states(cursor, staging)
            return
        _write(cursor, staging, batch)
    # Rows folded into an earlier row of the same key (``distinct``) count
    # as unchanged: they brought nothing new.
    good = batch.rows_read - batch.rows_rejected
    batch.rows_unchanged = good - batch.rows_inserted - batch.rows_updated


def _write(cursor, staging, batch) -> None:
    if batch.mode == "replace":
        load.delete_scope(cursor, staging, batch, batch.scope)
    if staging.spec.is_fact:
        load.append(cursor, staging, batch)
    else:
        load.upsert(cursor, staging, batch)


def report_csv(problems: list[Problem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["file", "row", "column", "value", "reason"])
    writer.writerows((p.file, p.row, p.column, p.value, p.reason) for p in problems)
    return out.getvalue()


def _rejected(batch: Batch) -> list[Problem]:
    rows = list(csv.reader(io.StringIO(batch.error_report)))[1:]
    return [Problem(f, int(r), c, v, why) for f, r, c, v, why in rows]


def _failure_message(exc: Exception, name: str) -> str:
    if isinstance(exc, DatabaseError):
        detail = str(exc).strip().splitlines()
        return f"{name}: the database refused the load, nothing was loaded: {' '.join(detail)}"
    return str(exc)


def _record_failure(batch: Batch, message: str, problems, *, dry_run: bool) -> None:
    if dry_run:
        return
    batch.status, batch.finished_at = Batch.Status.FAILED, timezone.now()
    batch.rows_inserted = batch.rows_updated = batch.rows_deleted = 0
    batch.rows_unchanged = 0
    batch.rows_rejected = len({p.row for p in problems})
    batch.error_report = report_csv(problems) if problems else message
    batch.save()


def _write_report(source, problems, report_dir, is_frame) -> Path | None:
    """The problems as CSV next to the input (or in ``report_dir``)."""
    if not problems or (is_frame and report_dir is None):
        return None
    path = Path(source) if not is_frame else Path("dataframe")
    folder = Path(report_dir) if report_dir else path.parent
    target = folder / f"{path.name}.errors.csv"
    try:
        target.write_text(report_csv(problems))
    except OSError:
        return None
    return target


def rollback(batch: Batch, *, user=None) -> int:
    """Undo a done batch as a unit; return the number of rows removed.
    Refuses when a later batch changed the same table in a way that this
    one's undo would clash with (roll that one back first)."""
    if batch.status != Batch.Status.DONE:
        raise ValueError(f"Batch {batch.pk} is {batch.status}: only a done batch can be undone.")
    spec = get_spec(batch.table)
    later = Batch.objects.filter(table=batch.table, status=Batch.Status.DONE, pk__gt=batch.pk)
    if not spec.is_fact or batch.mode == "replace":
        blocking = later
    else:
        blocking = later.filter(mode="replace")
    if blocking.exists():
        ids = ", ".join(str(b) for b in blocking.values_list("pk", flat=True))
        raise ValueError(f"Roll back the later batches of {batch.table} first: {ids}.")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            removed = load.roll_back(cursor, spec, batch)
            batch.status, batch.rolled_back_at = Batch.Status.ROLLED_BACK, timezone.now()
            batch.save()
    except DatabaseError as exc:
        raise ValueError(
            f"Batch {batch.pk} cannot be rolled back: other rows still use its rows ({exc})"
        ) from exc
    return removed
