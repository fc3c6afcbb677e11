"""The fact tables are partitioned by month, and the fast way of adding a
month keeps every rule of the database."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from foodmart_site import partitioning
from inventory.models import Delivery
from sales.models import SaleLine

pytestmark = pytest.mark.django_db

LINE = dict(product_id=1, customer_id=3, promotion_id=0, store_id=6)
MONEY = dict(store_sales=2, store_cost=1, unit_sales=1)


def parts(table):
    with connection.cursor() as cursor:
        return partitioning.partitions(cursor, table)


def test_loading_foodmart_made_a_partition_per_month():
    months = {f"sales_saleline_1997_{m:02d}" for m in range(1, 13)}
    assert months | {"sales_saleline_default"} == parts("sales_saleline")
    assert "inventory_delivery_1998_12" in parts("inventory_delivery")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_saleline_1997_03")
        assert cursor.fetchone()[0] == SaleLine.objects.filter(sale_date__month=3).count() > 0
        cursor.execute("SELECT count(*) FROM sales_saleline_default")
        assert cursor.fetchone()[0] == 0


def insert_into(part, customer_id, day):
    def fill(name):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {name} (product_id, sale_date, customer_id, promotion_id, "
                "store_id, store_sales, store_cost, unit_sales) "
                "VALUES (1, %s, %s, 0, 6, 2, 1, 1)",
                [day, customer_id],
            )

    return fill


def test_attaching_a_month_checks_its_foreign_keys():
    day = dt.date(2003, 5, 4)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        partitioning.build_month(
            cursor,
            "sales_saleline",
            "sale_date",
            day.replace(day=1),
            insert_into(None, 999999, day),
        )
    assert "sales_saleline_2003_05" not in parts("sales_saleline")


def test_attaching_a_month_checks_its_check_constraints():
    day = dt.date(2003, 6, 4)

    def negative(name):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {name} (product_id, sale_date, customer_id, promotion_id, "
                "store_id, store_sales, store_cost, unit_sales) "
                "VALUES (1, %s, 3, 0, 6, -2, 1, 1)",
                [day],
            )

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        partitioning.build_month(
            cursor, "sales_saleline", "sale_date", day.replace(day=1), negative
        )


def test_a_row_for_a_month_without_partition_waits_in_default_and_moves_over():
    day = dt.date(2004, 2, 10)
    typed_in = SaleLine.objects.create(sale_date=day, **LINE, **MONEY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_saleline_default")
        assert cursor.fetchone()[0] == 1
        partitioning.build_month(
            cursor, "sales_saleline", "sale_date", day.replace(day=1), insert_into(None, 3, day)
        )
        cursor.execute("SELECT count(*) FROM sales_saleline_2004_02")
        assert cursor.fetchone()[0] == 2
    assert SaleLine.objects.get(pk=typed_in.pk).sale_date == day


def test_rebuilding_an_existing_month_keeps_its_rows():
    before = SaleLine.objects.filter(sale_date__year=1997, sale_date__month=4).count()
    day = dt.date(1997, 4, 30)
    with connection.cursor() as cursor:
        partitioning.build_month(
            cursor, "sales_saleline", "sale_date", day.replace(day=1), insert_into(None, 3, day)
        )
    assert SaleLine.objects.filter(sale_date__year=1997, sale_date__month=4).count() == before + 1
    assert "sales_saleline_1997_04" in parts("sales_saleline")


def test_deliveries_are_partitioned_the_same_way():
    assert Delivery.objects.filter(delivery_date__year=1998).count() == 7282


def test_rolling_back_a_load_drops_the_months_it_left_empty():
    import pandas as pd

    from etl.pipeline import rollback, run

    frame = pd.DataFrame(
        {
            "product_id": [1, 1],
            "sale_date": ["2005-03-01", "1997-03-02"],
            "customer_id": [3, 3],
            "promotion_id": [0, 0],
            "store_id": [6, 6],
            "store_sales": ["1.00", "1.00"],
            "store_cost": ["0.50", "0.50"],
            "unit_sales": [1, 1],
        }
    )
    batch = run(frame, table="sales_fact")
    assert "sales_saleline_2005_03" in parts("sales_saleline")
    rollback(batch)
    assert "sales_saleline_2005_03" not in parts("sales_saleline")
    assert "sales_saleline_1997_03" in parts("sales_saleline")  # FoodMart's rows stay
