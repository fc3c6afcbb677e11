"""The 4-5-4 retail calendar, and sales by its periods against pandas."""

import datetime as dt

import pandas as pd
import pytest

from reports import fiscal
from reports.cubes import Query, run_query
from reports.tests import foodmart_frames as fm


@pytest.mark.parametrize(
    "year, start, end, weeks",
    [
        # The NRF calendar's published years.
        (2017, dt.date(2017, 1, 29), dt.date(2018, 2, 3), 53),
        (2018, dt.date(2018, 2, 4), dt.date(2019, 2, 2), 52),
        (2023, dt.date(2023, 1, 29), dt.date(2024, 2, 3), 53),
        (2024, dt.date(2024, 2, 4), dt.date(2025, 2, 1), 52),
        (1997, dt.date(1997, 2, 2), dt.date(1998, 1, 31), 52),
    ],
)
def test_fiscal_years_are_whole_weeks_ending_on_the_saturday_nearest_january_31(
    year, start, end, weeks
):
    days = list(fiscal.days(year, 2))
    assert days[0][0] == start and days[-1][0] == end
    assert days[0][0].weekday() == 6  # Sunday
    assert len(days) == 7 * weeks
    periods = pd.Series([d[3] for d in days]).value_counts().sort_index()
    expected = [28, 35, 28] * 4
    expected[-1] += 7 * (weeks - 52)  # a 53rd week joins the last period
    assert list(periods) == expected


def test_another_start_month_moves_the_year():
    days = list(fiscal.days(1997, 7))  # a July year: ends the Saturday nearest June 30
    assert days[-1][0] == dt.date(1998, 6, 27)
    assert days[0][0] == dt.date(1997, 6, 29)


@pytest.mark.django_db
def test_sales_by_fiscal_period_equal_pandas():
    result = run_query(
        Query(
            "sales", ["fiscal_period"], ["store_sales", "sale_lines"], {"fiscal_year": ["FY1997"]}
        ),
        all_stores=True,
    )
    frame = fm.sales()
    start = pd.Timestamp("1997-02-02")
    frame = frame[(frame.sale_date >= start) & (frame.sale_date < pd.Timestamp("1998-02-01"))]
    week = (frame.sale_date - start).dt.days // 7
    ends = pd.Series([4, 9, 13, 17, 22, 26, 30, 35, 39, 43, 48, 52])
    frame = frame.assign(period=week.map(lambda w: int((ends <= w).sum()) + 1))
    expected = frame.groupby("period")
    assert [r[0] for r in result.rows] == [f"FY1997-P{p:02d}" for p in expected.groups]
    for row, (_, g) in zip(result.rows, expected, strict=True):
        assert fm.money(row[1]) == fm.money(g["store_sales"].sum())
        assert row[2] == len(g)


@pytest.mark.django_db
def test_a_bad_fiscal_period_is_named():
    from reports.cubes import QueryError

    with pytest.raises(QueryError, match="not a fiscal period such as FY1997-P03"):
        run_query(Query("sales", [], ["store_sales"], {"fiscal_period": ["P3"]}), all_stores=True)
