"""The pure steps on tiny frames: no database needed."""

import pandas as pd
import pytest

from etl.specs import get_spec
from etl.transform import parse_dates, resolve_columns, to_model_frame

SPEC = get_spec("sales_fact")
ROW = {
    "product_id": "1",
    "sale_date": "1998-01-05",
    "customer_id": "3",
    "promotion_id": "0",
    "store_id": "6",
    "store_sales": "2.5000",
    "store_cost": "1.0000",
    "unit_sales": "1",
}


def check(**changes):
    frame = pd.DataFrame([{**ROW, **changes}], dtype=str)
    columns = resolve_columns(list(frame.columns), SPEC, file="t.csv")
    return to_model_frame(frame, SPEC, file="t.csv", calendar={}, columns=columns)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1997-01-31", "1997-01-31"),
        ("1997-01-31 00:00:00.0", "1997-01-31"),
        ("01/31/1997", "1997-01-31"),
        ("35431", "1997-01-01"),
        ("1997-02-30", None),
        ("1998-01-011", None),
        ("yesterday", None),
    ],
)
def test_dates_in_the_forms_the_data_uses(text, expected):
    [parsed] = parse_dates(pd.Series([text], dtype=str))
    assert (None if pd.isna(parsed) else parsed.date().isoformat()) == expected


@pytest.mark.parametrize(
    "column,value,reason",
    [
        ("store_sales", "1.23456", "with at most 4 decimals"),
        ("store_sales", "-1", "cannot be negative"),
        ("unit_sales", "abc", "not a number"),
        ("customer_id", "3.5", "not a whole number"),
        ("sale_date", "1998-01-011", "not a date"),
    ],
)
def test_a_bad_cell_names_row_column_value_and_reason(column, value, reason):
    frame, [problem] = check(**{column: value})
    assert frame.empty
    assert (problem.row, problem.column, problem.value) == (2, column, value)
    assert reason in problem.reason


def test_money_as_people_type_it():
    frame, problems = check(store_sales="$1,234.50")
    assert not problems
    assert frame["store_sales"].iloc[0] == "1234.50"


def test_friendly_headers_and_case_do_not_matter():
    frame = pd.DataFrame(
        [["1", "1998-01-05", "3", "0", "6", "2.5", "1.0", "1"]],
        columns=["Product", "Date", "Customer", "Promotion", "STORE", "Sales", "Cost", "Units"],
        dtype=str,
    )
    columns = resolve_columns(list(frame.columns), SPEC, file="t.csv")
    typed, problems = to_model_frame(frame, SPEC, file="t.csv", calendar={}, columns=columns)
    assert not problems and typed["store_id"].iloc[0] == "6"
