"""Report benchmark: every catalogue page and the drill-down path, on 10
million sale lines, with the rollups against the raw fact table.

    .venv/bin/python bench/reports.py [--lines 10000000] [--runs 20] [--fresh]

It works in its own database, ``<your database>_bench_reports`` on the
same server (the embedded PostgreSQL or DATABASE_URL's): migrated, FoodMart
loaded through the pipeline, then FoodMart's 1997 sale lines repeated
until ``--lines``: each year from 1997 on gets copies whose product ids are
shifted (so the product mix differs), same stores and customers (a store
keeps its customer base, who buy more often). The rows are inserted with
SQL through the table (so the triggers keep the rollups, as a load
would); the database is kept for the next run (``--fresh`` rebuilds it).

Each page is requested through Django's test client as the executive,
with the result cache off (every request runs its SQL), ``--runs`` times
after two warm-ups, first as the app serves it (rollups), then with every
query forced onto the fact table (``reports.cubes.without_rollups``); it
prints median and 95th percentile server time and the ratio. See
bench/README.md for figures.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEARS_FROM = 1997

PAGES = [
    ("overview", "/reports/overview/?year=1998"),
    ("overview (quarter)", "/reports/overview/?quarter=1998-Q2"),
    ("sales over time", "/reports/sales-over-time/"),
    ("sales over time: 1998 by month", "/reports/sales-over-time/?year=1998&quarter=1998-Q2"),
    ("sales over time: days of a month", "/reports/sales-over-time/?year=1998&month=1998-05"),
    ("geography", "/reports/geography/?year=1998"),
    ("products", "/reports/products/?year=1998"),
    ("products: top 10", "/reports/products/?year=1998&product_family=Food&top=10"),
    ("promotions", "/reports/promotions/?year=1998&promoted=yes"),
    ("customers", "/reports/customers/?year=1998&by=yearly_income"),
    ("deliveries", "/reports/deliveries/"),
    ("staff and payroll", "/reports/staff/"),
    ("expenses and profit", "/reports/expenses/"),
]
DRILL = [
    ("drill: state", "/reports/geography/?year=1998&store_country=USA&store_state=CA"),
    (
        "drill: city",
        "/reports/geography/?year=1998&store_country=USA&store_state=CA&store_city=Beverly+Hills",
    ),
    ("drill: store", "/reports/products/?year=1998&store_state=CA&store_name=Store+6"),
    (
        "drill: family",
        "/reports/products/?year=1998&store_name=Store+6&product_family=Food",
    ),
    (
        "drill: category",
        "/reports/products/?year=1998&store_name=Store+6&product_family=Food"
        "&product_department=Produce&product_category=Vegetables",
    ),
    (
        "drill: sale lines",
        "/reports/products/?year=1998&store_name=Store+6&product_family=Food"
        "&product_department=Produce&product_category=Vegetables"
        "&product_subcategory=Fresh+Vegetables&brand_name=Hermanos"
        "&product_name=Hermanos+Shitake+Mushrooms",
    ),
]


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodmart_site.settings")
    import django
    from django.conf import settings

    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    django.setup()


def bench_name() -> str:
    from django.conf import settings

    return f"{settings.DATABASES['default']['NAME']}_bench_reports"


def use_database(name: str, *, fresh: bool) -> bool:
    """Point Django at the bench database, creating it when needed; True
    when it is new."""
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and fresh:
            cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    for alias in connections:
        connections[alias].close()
        connections[alias].settings_dict["NAME"] = name
    return not exists


def populate(lines: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from etl.models import Batch

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_saleline")
        have = cursor.fetchone()[0]
    if have == 0:
        call_command("load_foodmart", verbosity=0)
        call_command("demo_users", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_saleline")
        have = cursor.fetchone()[0]
        if have >= lines:
            print(f"{have:,} sale lines already there")
            return
        # FoodMart's own lines (its load's batch) are the pattern.
        cursor.execute(
            "SELECT batch_id, count(*) FROM sales_saleline GROUP BY 1 ORDER BY 1 LIMIT 1"
        )
        source, per_copy = cursor.fetchone()
    generated = Batch.objects.create(
        table="sales_fact",
        source_name="bench/reports.py",
        sha256="-",
        mode="append",
        status=Batch.Status.DONE,
        started_by="bench",
    )
    copies = -(-(lines - have) // per_copy)
    years = max(2, -(-copies // 25))  # at most 25 copies a year
    print(f"generating {copies * per_copy:,} sale lines: {copies} copies over {years} years")
    started = time.perf_counter()
    for copy in range(1, copies + 1):
        year = copy % years
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO sales_saleline (product_id, sale_date, customer_id, promotion_id,"
                " store_id, store_sales, store_cost, unit_sales, batch_id) "
                "SELECT (product_id + %s * 37) %% 1560 + 1,"
                " sale_date + make_interval(years => %s), customer_id, promotion_id,"
                " store_id, store_sales, store_cost, unit_sales, %s "
                "FROM sales_saleline WHERE batch_id = %s",
                [copy, year, generated.pk, source],
            )
        if copy % 10 == 0:
            print(f"  {copy}/{copies} copies, {time.perf_counter() - started:.0f} s", flush=True)
    print(f"generated in {time.perf_counter() - started:.0f} s (rollups kept by the triggers)")
    # Each copy updated every rollup row it touched: compact them, as after
    # any bulk backfill (daily loads leave far fewer dead rows; autovacuum).
    call_command("rollups", "compact")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def measure(client, url: str, runs: int) -> tuple[list[float], set[str]]:
    """Server times in ms of ``runs`` requests after two warm-ups, and the
    tables the page read."""
    times = []
    for i in range(runs + 2):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code} {response.content[:300]!r}")
        if i >= 2:
            times.append(elapsed * 1000)
    context = response.context
    sql = context["page"].sql if "page" in context else context.get("sql", [])
    return times, {source for source, _, _ in sql}


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench database")
    args = parser.parse_args()
    setup_django()
    name = bench_name()
    use_database(name, fresh=args.fresh)
    populate(args.lines)

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from people.models import User
    from reports.cubes import without_rollups
    from reports.rollups import ROLLUPS

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="executive"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_saleline")
        total = cursor.fetchone()[0]
        sizes = {}
        for table in [r.table for r in ROLLUPS]:
            cursor.execute(f"SELECT count(*) FROM {table}")
            sizes[table] = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(
        f"\n{total:,} sale lines; rollups: "
        + ", ".join(f"{t} {n:,}" for t, n in sizes.items())
        + f"\nPostgreSQL {server}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}; {args.runs} runs per page, cache off\n"
    )
    header = f"{'page':38} {'p50 ms':>8} {'p95 ms':>8} {'raw p50':>9} {'raw p95':>9} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for page, url in PAGES + DRILL:
        fast, sources = measure(client, url, args.runs)
        with without_rollups():
            raw, _ = measure(client, url, max(5, args.runs // 4))
        ratio = statistics.median(raw) / statistics.median(fast)
        rolled = any(s.startswith("rollup_") for s in sources)
        print(
            f"{page:38} {statistics.median(fast):8.1f} {p95(fast):8.1f} "
            f"{statistics.median(raw):9.1f} {p95(raw):9.1f} "
            + (f"{ratio:6.1f}x" if rolled else "   (no rollup)"),
            flush=True,
        )
    print(
        "\nratio: the raw fact-table page's median over the served page's median, "
        "same run; (no rollup): the page reads fact tables either way.\n"
        "The bench database stays for the next run: "
        f'DROP DATABASE "{name}" removes it.'
    )


if __name__ == "__main__":
    main()
