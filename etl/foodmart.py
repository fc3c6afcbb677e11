"""Load a directory of FoodMart-layout CSV files, every table in one
transaction: all of it lands, or none of it."""

import time
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from etl.load import LoadResult, already_appended, file_sha256, load_frame
from etl.specs import TableSpec, specs_in_load_order
from etl.transform import read_csv, to_model_frame
from inventory.models import CalendarDay


def calendar_lookup() -> dict[str, str]:
    """FoodMart time_id (as text) -> ISO date, from the loaded calendar."""
    return {str(pk): d.isoformat() for pk, d in CalendarDay.objects.values_list("id", "the_date")}


def files_for(spec: TableSpec, directory: Path) -> list[Path]:
    return sorted(p for pattern in spec.files for p in directory.glob(pattern))


def load_file(spec: TableSpec, path: Path, *, calendar: dict[str, str], user=None) -> LoadResult:
    """Validate and load one file; an already appended file is skipped."""
    sha256 = file_sha256(path)
    if spec.mode == "append" and already_appended(spec, sha256):
        with open(path, "rb") as fh:
            rows = sum(1 for _ in fh) - 1
        return LoadResult(spec.name, read=rows, unchanged=rows, skipped_file=True)
    frame = to_model_frame(read_csv(path), spec, file=path.name, calendar=calendar)
    return load_frame(frame, spec, source_name=path.name, sha256=sha256, user=user)


def load_directory(
    directory: Path, *, user=None, report: Callable[[str, LoadResult, float], None] = None
) -> list[LoadResult]:
    """Load every FoodMart table found in ``directory``, dimensions first."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"No such directory: {directory}")
    results = []
    with transaction.atomic():
        calendar = calendar_lookup()
        for spec in specs_in_load_order():
            for path in files_for(spec, directory):
                started = time.perf_counter()
                result = load_file(spec, path, calendar=calendar, user=user)
                if spec.model is CalendarDay:
                    calendar = calendar_lookup()
                results.append(result)
                if report:
                    report(path.name, result, time.perf_counter() - started)
    return results
