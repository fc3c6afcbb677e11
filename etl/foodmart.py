"""Load a directory of FoodMart-layout CSV files through the pipeline,
dimensions first, each file as its own batch."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from etl.models import Batch
from etl.pipeline import AlreadyLoaded, run
from etl.specs import TableSpec, specs_in_load_order


@dataclass
class FileResult:
    file: str
    table: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_file: bool = False

    @classmethod
    def of(cls, path: Path, batch: Batch) -> "FileResult":
        return cls(
            path.name,
            batch.table,
            batch.rows_read,
            batch.rows_inserted,
            batch.rows_updated,
            batch.rows_unchanged,
        )


def files_for(spec: TableSpec, directory: Path) -> list[Path]:
    return sorted(p for pattern in spec.files for p in directory.glob(pattern))


def load_directory(
    directory: Path, *, user=None, report: Callable[[FileResult, float], None] | None = None
) -> list[FileResult]:
    """Load every FoodMart table found in ``directory``. A fact file that was
    loaded before is skipped (counted as unchanged); the first file that
    fails stops the load with LoadFailed, earlier files stay loaded."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"No such directory: {directory}")
    results = []
    for spec in specs_in_load_order():
        for path in files_for(spec, directory):
            started = time.perf_counter()
            try:
                batch = run(path, table=spec.name, user=user, door="load_foodmart")
                result = FileResult.of(path, batch)
            except AlreadyLoaded as exc:
                rows = exc.batch.rows_read
                result = FileResult(path.name, spec.name, rows, 0, 0, rows, skipped_file=True)
            results.append(result)
            if report:
                report(result, time.perf_counter() - started)
    return results
