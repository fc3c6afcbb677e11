"""The FoodMart facts joined to their dimensions with pandas, straight
from the CSV files: the independent side of the layer's correctness
tests. Money stays Decimal, so sums are exact."""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import pandas as pd
from django.conf import settings


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(
        settings.FOODMART_DATA_DIR / f"{name}.csv", dtype=str, keep_default_na=False
    )


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column].str[:10])


def _decimals(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].map(Decimal)
    return frame


def _with_time(frame: pd.DataFrame, date: str) -> pd.DataFrame:
    days = _read("time_by_day")[["time_id", "the_date"]]
    frame = frame.merge(days, on="time_id")
    frame[date] = _dates(frame, "the_date")
    return frame


def _time_levels(frame: pd.DataFrame, date: str) -> pd.DataFrame:
    d = frame[date].dt
    frame["year"] = d.year.astype(str)
    frame["quarter"] = d.year.astype(str) + "-Q" + d.quarter.astype(str)
    frame["month"] = d.strftime("%Y-%m")
    return frame


def _stores() -> pd.DataFrame:
    return _read("store")[
        ["store_id", "store_country", "store_state", "store_city", "store_name", "store_type"]
    ]


def _products() -> pd.DataFrame:
    return _read("product").merge(_read("product_class"), on="product_class_id")


@cache
def sales() -> pd.DataFrame:
    frame = _with_time(_read("sales_fact_1997"), "sale_date")
    frame = frame.merge(_stores(), on="store_id").merge(_products(), on="product_id")
    promotions = _read("promotion")[["promotion_id", "promotion_name", "media_type"]]
    frame = frame.merge(promotions, on="promotion_id")
    customers = _read("customer").rename(
        columns={"country": "customer_country", "state_province": "customer_state"}
    )
    frame = frame.merge(customers, on="customer_id", suffixes=("", "_customer"))
    frame["promoted"] = (frame["promotion_id"] != "0").map({True: "yes", False: "no"})
    return _time_levels(_decimals(frame, "store_sales", "store_cost", "unit_sales"), "sale_date")


@cache
def deliveries() -> pd.DataFrame:
    frame = pd.concat([_read("inventory_fact_1997"), _read("inventory_fact_1998")])
    frame = _with_time(frame, "delivery_date").merge(_stores(), on="store_id")
    warehouses = _read("warehouse").merge(_read("warehouse_class"), on="warehouse_class_id")
    frame = frame.merge(warehouses, on=["warehouse_id"], suffixes=("", "_w"))
    frame = frame.rename(columns={"description": "warehouse_class"})
    for column in ["units_ordered", "units_shipped"]:
        frame[column] = frame[column].astype(int)
    money = ["warehouse_sales", "warehouse_cost", "store_invoice"]
    return _time_levels(_decimals(frame, *money), "delivery_date")


@cache
def payroll() -> pd.DataFrame:
    frame = _read("salary")
    frame["pay_date"] = _dates(frame, "pay_date")
    employees = _read("employee")[["employee_id", "store_id"]]
    frame = frame.merge(employees, on="employee_id").merge(_stores(), on="store_id")
    frame = frame.merge(_read("department"), on="department_id")
    frame = frame.rename(columns={"department_description": "department"})
    return _time_levels(_decimals(frame, "salary_paid", "overtime_paid"), "pay_date")


@cache
def expenses() -> pd.DataFrame:
    frame = _read("expense_fact")
    frame["exp_date"] = _dates(frame, "exp_date")
    frame = frame.merge(_stores(), on="store_id")
    categories = _read("category").rename(columns={"category_description": "category"})
    frame = frame.merge(categories, on="category_id")
    return _time_levels(_decimals(frame, "amount"), "exp_date")


def money(value) -> str:
    return format(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def ratio(numerator, denominator) -> str:
    value = Decimal(str(numerator)) / Decimal(str(denominator))
    return format(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "f")
