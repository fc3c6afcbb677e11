import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from etl.foodmart import load_directory
from etl.pipeline import LoadFailed

ROW = "{:<24} {:<16} {:>8} {:>8} {:>8} {:>9}  {}"


class Command(BaseCommand):
    help = (
        "Load a directory of FoodMart-layout CSV files (default: the copy that "
        "ships with the project). Dimensions are upserted by id, fact files "
        "appended once each; running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default=str(settings.FOODMART_DATA_DIR))

    def handle(self, *args, directory, **options):
        started = time.perf_counter()
        header = ROW.format("file", "table", "read", "loaded", "updated", "unchanged", "time")
        self.stdout.write(header)
        try:
            results = load_directory(Path(directory), report=self.report)
        except (FileNotFoundError, LoadFailed) as exc:
            raise CommandError(str(exc)) from exc
        totals = [
            sum(getattr(r, f) for r in results)
            for f in ("read", "inserted", "updated", "unchanged")
        ]
        self.stdout.write("-" * len(header))
        elapsed = f"{time.perf_counter() - started:.1f}s"
        self.stdout.write(ROW.format("total", "", *totals, elapsed))

    def report(self, result, seconds):
        note = "  (file already loaded)" if result.skipped_file else ""
        counts = (result.read, result.inserted, result.updated, result.unchanged)
        self.stdout.write(ROW.format(result.file, result.table, *counts, f"{seconds:.2f}s{note}"))
