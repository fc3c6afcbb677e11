"""manage.py etl load|batches|rollback|watch: the command-line door."""

import shutil
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from etl.extract import ExtractError
from etl.models import Batch
from etl.pipeline import AlreadyLoaded, LoadFailed, fail_abandoned_batches, rollback, run


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))


class Command(BaseCommand):
    help = (
        "Load spreadsheets through the ETL pipeline, list batches, roll one back, watch a folder."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load files (table from the file name by default).")
        load.add_argument("paths", nargs="+", type=Path)
        load.add_argument("--table", help="FoodMart table name: store, sales_fact, ...")
        load.add_argument("--mode", choices=["append", "upsert", "replace"])
        load.add_argument("--from", dest="date_from", help="replace: first day of the range")
        load.add_argument("--to", dest="date_to", help="replace: last day of the range")
        load.add_argument("--dry-run", action="store_true", help="Validate and report only.")
        load.add_argument(
            "--keep-valid",
            action="store_true",
            help="Load the valid rows, write the rejected ones to FILE.errors.csv.",
        )
        load.add_argument("--force", action="store_true", help="Append a file loaded before.")
        load.add_argument("--user", help="Record the load as this user's.")
        batches = sub.add_parser("batches", help="List the latest batches.")
        batches.add_argument("--limit", type=int, default=20)
        batches.add_argument("--table")
        undo = sub.add_parser("rollback", help="Undo a batch as a unit.")
        undo.add_argument("batch_id", type=int)
        watch = sub.add_parser("watch", help="Load files dropped into a folder.")
        watch.add_argument("directory", type=Path)
        watch.add_argument("--once", action="store_true", help="Load what is there, then stop.")
        watch.add_argument("--interval", type=float, default=5.0)
        watch.add_argument("--user")

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    # -- load ---------------------------------------------------------------

    def do_load(
        self, *, paths, table, mode, date_from, date_to, dry_run, keep_valid, force, user, **_
    ):
        user = self._user(user)
        failed = 0
        for path in paths:
            ok = self.load_one(
                path,
                table=table,
                mode=mode,
                scope={"from": date_from, "to": date_to},
                dry_run=dry_run,
                keep_valid=keep_valid,
                force=force,
                user=user,
                door="command",
            )
            failed += not ok
        if failed:
            raise CommandError(f"{failed} of {len(paths)} file(s) not (fully) loaded.")

    def load_one(self, path: Path, **options) -> bool:
        """Load one file and print its summary line; True when all of it
        was loaded (or, with --dry-run, would be)."""
        if not path.is_file():
            self.stderr.write(f"{path}: no such file")
            return False
        with self._progress(path) as progress:
            try:
                batch = run(path, progress=progress, **options)
            except AlreadyLoaded as exc:
                self.stderr.write(str(exc))
                return False
            except LoadFailed as exc:
                self.stderr.write(self.style.ERROR(f"{path.name}: not loaded"))
                self.stderr.write(str(exc))
                if exc.problems:
                    self.stderr.write(f"report: {path}.errors.csv")
                return False
            except (ExtractError, ValueError, LookupError, PermissionError) as exc:
                self.stderr.write(self.style.ERROR(f"{path.name}: {exc}"))
                return False
        if options["dry_run"]:
            valid = batch.rows_read - batch.rows_rejected
            self.stdout.write(
                f"dry run, nothing written: {batch.source_name} -> {batch.table} "
                f"({batch.mode}): read {batch.rows_read}, valid {valid}, "
                f"rejected {batch.rows_rejected}"
            )
        else:
            self.stdout.write(batch.summary())
        if batch.warnings:
            self.stdout.write(f"  warning: {batch.warnings}")
        if batch.rows_rejected:
            self.stdout.write(f"  {batch.rows_rejected} row(s) rejected: {path}.errors.csv")
        return not batch.rows_rejected

    def _progress(self, path: Path):
        """A progress bar on a terminal (rows, against the file's line
        count); silent when the output is not a terminal."""
        from tqdm import tqdm

        interactive = sys.stderr.isatty()
        total = _count_lines(path) - 1 if interactive and path.suffix != ".xlsx" else None
        bar = tqdm(
            total=total,
            unit=" rows",
            unit_scale=True,
            desc=path.name,
            disable=not interactive,
            leave=False,
        )

        class Progress:
            def __enter__(self):
                return self.update

            def update(self, rows):
                bar.update(rows - bar.n)

            def __exit__(self, *exc):
                bar.close()

        return Progress()

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None

    # -- batches and rollback -------------------------------------------------

    def do_batches(self, *, limit, table, **_):
        fail_abandoned_batches()
        batches = Batch.objects.select_related("created_by")
        if table:
            batches = batches.filter(table=table)
        row = "{:>6}  {:<11} {:<16} {:<8} {:>9} {:>9} {:>8} {:>8}  {:<16} {}"
        self.stdout.write(
            row.format(
                "batch",
                "status",
                "table",
                "mode",
                "read",
                "inserted",
                "updated",
                "rejected",
                "started",
                "source",
            )
        )
        for b in batches[:limit]:
            self.stdout.write(
                row.format(
                    b.pk,
                    b.status,
                    b.table,
                    b.mode,
                    b.rows_read,
                    b.rows_inserted,
                    b.rows_updated,
                    b.rows_rejected,
                    f"{b.started_at:%Y-%m-%d %H:%M}",
                    b.source_name,
                )
            )

    def do_rollback(self, *, batch_id, **_):
        try:
            batch = Batch.objects.get(pk=batch_id)
        except Batch.DoesNotExist:
            raise CommandError(f"No batch {batch_id}.") from None
        try:
            removed = rollback(batch)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"batch {batch.pk} rolled back: {removed} row(s) removed, "
            f"{batch.images.exclude(before=None).count()} row(s) put back"
        )

    # -- watch ------------------------------------------------------------------

    def do_watch(self, *, directory, once, interval, user, **_):
        user = self._user(user)
        for sub in ("done", "failed"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"watching {directory} (table from each file's name)")
        while True:
            for path in sorted(directory.iterdir()):
                if (
                    path.is_file()
                    and self._settled(path)
                    and not path.name.endswith(".errors.csv")
                ):
                    self.watch_one(path, directory, user)
            if once:
                return
            time.sleep(interval)

    def watch_one(self, path: Path, directory: Path, user) -> None:
        ok = self.load_one(
            path,
            table=None,
            mode=None,
            scope={},
            dry_run=False,
            keep_valid=False,
            force=False,
            user=user,
            door="watch",
        )
        target = directory / ("done" if ok else "failed")
        shutil.move(str(path), target / path.name)
        report = path.with_name(path.name + ".errors.csv")
        if report.exists():
            shutil.move(str(report), target / report.name)

    @staticmethod
    def _settled(path: Path, quiet_seconds: float = 2.0) -> bool:
        """A file still being copied in is left for the next round."""
        return time.time() - path.stat().st_mtime >= quiet_seconds
