"""load_foodmart against the full FoodMart directory, checked against what
pandas computes independently from the same CSV files."""

import shutil
from decimal import Decimal

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from etl.foodmart import load_directory
from etl.models import Batch
from etl.pipeline import LoadFailed
from inventory.models import (
    CalendarDay,
    Currency,
    Delivery,
    ExchangeRate,
    Product,
    ProductClass,
    Region,
    Store,
    Warehouse,
    WarehouseClass,
)
from people.models import Department, Employee, PayrollLine, Position
from sales.models import Account, Customer, Expense, ExpenseCategory, Promotion, SaleLine

pytestmark = pytest.mark.django_db

# Model -> the FoodMart files it is loaded from.
TABLE_FILES = {
    Region: ["region.csv"],
    Store: ["store.csv"],
    CalendarDay: ["time_by_day.csv"],
    ExchangeRate: ["currency.csv"],
    WarehouseClass: ["warehouse_class.csv"],
    Warehouse: ["warehouse.csv"],
    ProductClass: ["product_class.csv"],
    Product: ["product.csv"],
    Delivery: ["inventory_fact_1997.csv", "inventory_fact_1998.csv"],
    Department: ["department.csv"],
    Position: ["position.csv"],
    Employee: ["employee.csv"],
    PayrollLine: ["salary.csv"],
    Promotion: ["promotion.csv"],
    Customer: ["customer.csv"],
    SaleLine: ["sales_fact_1997.csv"],
    Account: ["account.csv"],
    ExpenseCategory: ["category.csv"],
    Expense: ["expense_fact.csv"],
}

# Fact model -> its money and unit columns (file column = field name).
FACT_MEASURES = {
    SaleLine: ["store_sales", "store_cost", "unit_sales"],
    Delivery: [
        "units_ordered",
        "units_shipped",
        "warehouse_sales",
        "warehouse_cost",
        "supply_time",
        "store_invoice",
    ],
    PayrollLine: ["salary_paid", "overtime_paid", "vacation_accrued", "vacation_used"],
    Expense: ["amount"],
}


def read(foodmart_dir, files) -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(foodmart_dir / f, dtype=str, keep_default_na=False) for f in files]
    )


def exact_sum(column: pd.Series) -> Decimal:
    """Sum of the file's text values as exact decimals (no float rounding)."""
    return sum((Decimal(v) for v in column if v != ""), Decimal(0))


def snapshot():
    counts = {m.__name__: m.objects.count() for m in [*TABLE_FILES, Currency]}
    totals = {
        f"{m.__name__}.{c}": m.objects.aggregate(t=Sum(c))["t"]
        for m, cols in FACT_MEASURES.items()
        for c in cols
    }
    return counts, totals


@pytest.mark.parametrize("model", TABLE_FILES, ids=lambda m: m.__name__)
def test_every_table_holds_every_csv_row(model, foodmart_dir):
    assert model.objects.count() == len(read(foodmart_dir, TABLE_FILES[model]))


def test_currencies_are_the_distinct_ids_of_the_rate_file(foodmart_dir):
    rates = read(foodmart_dir, ["currency.csv"])
    expected = dict(rates.drop_duplicates("currency_id")[["currency_id", "currency"]].values)
    assert {str(c.pk): c.currency for c in Currency.objects.all()} == expected


@pytest.mark.parametrize(
    "model,column",
    [(m, c) for m, cols in FACT_MEASURES.items() for c in cols],
    ids=lambda x: x if isinstance(x, str) else x.__name__,
)
def test_fact_totals_equal_the_csv_totals(model, column, foodmart_dir):
    values = read(foodmart_dir, TABLE_FILES[model])[column]
    assert len(values) > 1000
    assert model.objects.aggregate(t=Sum(column))["t"] == exact_sum(values)


def test_sales_per_store_equal_pandas_groupby(foodmart_dir):
    frame = read(foodmart_dir, ["sales_fact_1997.csv"])
    frame["store_sales"] = frame["store_sales"].map(Decimal)
    expected = {int(k): v for k, v in frame.groupby("store_id")["store_sales"].sum().items()}
    loaded = dict(
        SaleLine.objects.values("store_id")
        .annotate(t=Sum("store_sales"))
        .values_list("store_id", "t")
    )
    assert loaded == expected


def test_time_ids_are_resolved_to_real_dates(foodmart_dir):
    calendar = read(foodmart_dir, ["time_by_day.csv"])
    dates = dict(zip(calendar.time_id, calendar.the_date.str.slice(0, 10), strict=True))
    sales = read(foodmart_dir, ["sales_fact_1997.csv"])
    expected = sales.time_id.map(dates).value_counts().sort_index()
    loaded = pd.Series(
        dict(
            (d.isoformat(), n)
            for d, n in SaleLine.objects.values("sale_date")
            .annotate(n=Count("id"))
            .values_list("sale_date", "n")
        )
    ).sort_index()
    assert loaded.to_dict() == expected.to_dict()
    assert min(loaded.index) == "1997-01-01" and max(loaded.index) < "1998-01-01"


def test_foodmart_quirks_are_stored_as_what_they_mean():
    assert Employee.objects.get(pk=1).supervisor is None  # supervisor_id 0
    assert Employee.objects.get(pk=2).supervisor_id == 1
    hq = Store.objects.get(pk=0)
    assert hq.store_sqft is None and hq.first_opened_date is None  # empty cells
    assert Customer.objects.get(pk=1).houseowner is True  # "Y"
    assert Customer.objects.get(pk=2).houseowner is False  # "N"
    assert Customer.objects.get(pk=1).yearly_income == "$30K - $50K"
    assert Product.objects.get(pk=2).low_fat is True  # "true"
    assert str(Employee.objects.get(pk=1).hire_date) == "1994-12-01"  # "...00:00:00.0"
    assert Promotion.objects.get(pk=0).start_date is None


def test_fact_rows_carry_their_batch():
    batch = Batch.objects.get(table="sales_fact", source_name="sales_fact_1997.csv")
    assert batch.status == Batch.Status.DONE
    assert batch.rows_inserted == SaleLine.objects.filter(batch=batch).count() == 86837


def test_loading_twice_changes_no_count_and_no_total(foodmart_dir):
    before = snapshot()
    results = load_directory(foodmart_dir)
    assert snapshot() == before
    assert all(r.inserted == 0 and r.updated == 0 for r in results)
    assert sum(r.unchanged for r in results) == sum(r.read for r in results) > 100_000


def test_command_prints_a_line_per_table_and_a_summary(capsys):
    call_command("load_foodmart")
    out = capsys.readouterr().out
    assert "sales_fact_1997.csv" in out and "(file already loaded)" in out
    assert out.strip().splitlines()[-1].startswith("total")


def test_a_changed_dimension_row_is_updated_and_counted(foodmart_dir, tmp_path):
    shutil.copytree(foodmart_dir, tmp_path / "fm")
    path = tmp_path / "fm" / "store.csv"
    path.write_text(path.read_text().replace("Store 6,6,", "Store Six,6,"))
    results = {r.table: r for r in load_directory(tmp_path / "fm")}
    assert (results["store"].updated, results["store"].unchanged) == (1, 24)
    assert Store.objects.get(pk=6).store_name == "Store Six"


def test_a_bad_cell_is_reported_and_nothing_is_loaded(foodmart_dir, tmp_path):
    shutil.copytree(foodmart_dir, tmp_path / "fm")
    path = tmp_path / "fm" / "store.csv"
    lines = path.read_text().splitlines()
    lines[7] = (
        lines[7]
        .replace("Store 6,6,", "Store Six,6,")
        .replace(",true,true,true,true,true", ",maybe,true,true,true,true")
    )
    path.write_text("\n".join(lines) + "\n")
    before = snapshot()
    with pytest.raises(LoadFailed) as caught:
        load_directory(tmp_path / "fm")
    [problem] = caught.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "store.csv",
        8,
        "coffee_bar",
        "maybe",
    )
    assert snapshot() == before
    assert Store.objects.get(pk=6).store_name == "Store 6"


def test_a_fact_file_with_an_unknown_day_loads_nothing(foodmart_dir, tmp_path):
    shutil.copytree(foodmart_dir, tmp_path / "fm")
    extra = tmp_path / "fm" / "sales_fact_1998.csv"
    extra.write_text(
        "product_id,time_id,customer_id,promotion_id,store_id,store_sales,store_cost,unit_sales\n"
        "337,740,6280,0,2,1.5000,0.5100,2.0000\n"
        "337,99999,6280,0,2,1.5000,0.5100,2.0000\n"
    )
    before = snapshot()
    with pytest.raises(LoadFailed, match="row 3, column time_id = '99999'"):
        load_directory(tmp_path / "fm")
    assert snapshot() == before


def test_a_row_breaking_a_rule_loads_nothing(foodmart_dir, tmp_path):
    shutil.copytree(foodmart_dir, tmp_path / "fm")
    extra = tmp_path / "fm" / "inventory_fact_1999.csv"
    extra.write_text(
        "product_id,time_id,warehouse_id,store_id,units_ordered,units_shipped,"
        "warehouse_sales,warehouse_cost,supply_time,store_invoice\n"
        "350,369,2,2,42,43,23.9610,11.7409,6,13.7369\n"
    )
    before = snapshot()
    with pytest.raises(CommandError, match="Units shipped cannot exceed units ordered"):
        call_command("load_foodmart", str(tmp_path / "fm"))
    assert snapshot() == before


def test_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No such directory"):
        call_command("load_foodmart", str(tmp_path / "nowhere"))
