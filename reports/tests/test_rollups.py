"""Rollups stay exact through every way sale lines change: the ETL's
appends (into a month, as a new month, rebuilding a month), replaces,
rollbacks, and single rows changed or deleted as the admin does."""

from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection

from etl.pipeline import rollback, run
from inventory.models import Product
from reports.cubes import Query, run_query
from reports.rollups import ROLLUPS, differences, rebuild
from reports.tests.utils import sale_lines
from sales.models import SaleLine

pytestmark = pytest.mark.django_db


def assert_exact():
    with connection.cursor() as cursor:
        for rollup in ROLLUPS:
            assert differences(rollup, cursor=cursor) == 0, rollup.table
            cursor.execute(f"SELECT count(*) FROM {rollup.table} WHERE sale_lines = 0")
            assert cursor.fetchone()[0] == 0, f"{rollup.table} keeps empty rows"


def month_sales(month: str) -> Decimal | None:
    query = Query("sales", ["month"], ["store_sales"], {"month": [month]})
    result = run_query(query, all_stores=True)
    assert result.source.startswith("rollup_")
    return result.rows[0][1] if result.rows else None


def test_the_foodmart_load_left_every_rollup_exact():
    assert_exact()


def test_appends_into_a_month_and_as_new_months_and_their_rollbacks():
    before = month_sales("1997-03")
    into_month = run(sale_lines(["1997-03-02", "1997-03-03"]), table="sales_fact")
    assert month_sales("1997-03") == before + Decimal("5.00")
    new_month = run(sale_lines(["2006-01-05"] * 3), table="sales_fact")  # built and attached
    assert month_sales("2006-01") == Decimal("7.50")
    rebuilt = run(
        sale_lines(["2006-01-06"] * 5, sales="1.00"), table="sales_fact"
    )  # month rebuilt
    assert month_sales("2006-01") == Decimal("12.50")
    assert_exact()
    for batch in (rebuilt, new_month, into_month):
        rollback(batch)
        assert_exact()
    assert month_sales("2006-01") is None
    assert month_sales("1997-03") == before


def test_a_replace_of_a_period_and_its_rollback():
    before = month_sales("1997-04")
    batch = run(
        sale_lines(["1997-04-10"]),
        table="sales_fact",
        mode="replace",
        scope={"from": "1997-04-01", "to": "1997-04-30"},
    )
    assert month_sales("1997-04") == Decimal("2.50")
    assert_exact()
    rollback(batch)
    assert month_sales("1997-04") == before
    assert_exact()


def test_rows_changed_moved_and_deleted_one_by_one():
    line = SaleLine.objects.filter(sale_date__month=5).first()
    line.store_sales += Decimal("100.00")
    line.save()
    assert_exact()
    line.sale_date = line.sale_date.replace(month=9)  # to another partition
    line.store = SaleLine.objects.exclude(store=line.store).first().store
    line.save()
    assert_exact()
    line.delete()
    assert_exact()


def test_a_product_moved_to_another_class_is_reported_under_its_new_family():
    query = Query("sales", ["product_family"], ["store_sales"])
    product = Product.objects.filter(product_class__product_family="Drink").first()
    food = Product.objects.filter(product_class__product_family="Food").first()
    product.product_class = food.product_class
    product.save()
    rolled = run_query(query, all_stores=True)
    assert rolled.source == "rollup_sales_month_store_class"
    assert rolled.rows == run_query(query, all_stores=True, raw=True).rows
    assert_exact()


def test_a_product_file_that_moves_a_product_and_its_rollback(tmp_path, foodmart_dir):
    products = pd.read_csv(foodmart_dir / "product.csv", dtype=str, keep_default_na=False)
    moved = products.index[products.product_id == "1"][0]
    old_class = products.at[moved, "product_class_id"]
    products.at[moved, "product_class_id"] = "12" if old_class != "12" else "13"
    products.to_csv(tmp_path / "product.csv", index=False)
    batch = run(tmp_path / "product.csv", table="product")
    assert batch.rows_updated == 1
    assert_exact()
    rollback(batch)
    assert str(Product.objects.get(pk=1).product_class_id) == old_class
    assert_exact()


def test_rebuild_recomputes_a_rollup_from_the_facts():
    rollup = ROLLUPS[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {rollup.table} SET store_sales = 0")  # damaged
        assert differences(rollup, cursor=cursor) > 0
        rebuild(rollup, cursor=cursor)
        assert differences(rollup, cursor=cursor) == 0


def test_the_rollups_command_checks_rebuilds_and_compacts():
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("rollups", "check", stdout=out)
    assert out.getvalue().count(" exact ") == len(ROLLUPS)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ROLLUPS[0].table} WHERE store_id = 6")
    with pytest.raises(CommandError, match="1 rollup"):
        call_command("rollups", "check", stdout=io.StringIO())
    call_command("rollups", "rebuild", stdout=io.StringIO())
    call_command("rollups", "check", stdout=io.StringIO())
