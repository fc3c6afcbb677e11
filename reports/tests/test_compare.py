"""Period comparisons on report pages: the period before, a year before
and to date, across a year boundary and in the 4-5-4 calendar, against
pandas."""

import pandas as pd
import pytest

from etl.pipeline import run
from reports.tests import foodmart_frames as fm
from reports.tests.utils import assert_refused, rows_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def january_1998():
    """FoodMart's January 1997 lines of three stores again in January
    1998 (1 to 20 January), at twice the sales."""
    frame = fm.sales()
    january = frame[(frame.month == "1997-01") & frame.store_id.isin(["6", "7", "24"])]
    january = january[january.sale_date.dt.day <= 20]
    moved = january.sale_date + pd.DateOffset(years=1)
    run(
        pd.DataFrame(
            {
                "product_id": january.product_id,
                "sale_date": moved.dt.strftime("%Y-%m-%d"),
                "customer_id": january.customer_id,
                "promotion_id": january.promotion_id,
                "store_id": january.store_id,
                "store_sales": (january.store_sales * 2).astype(str),
                "store_cost": january.store_cost.astype(str),
                "unit_sales": january.unit_sales.astype(str),
            }
        ),
        table="sales_fact",
    )
    return january


def sales_in(frame, first, last):
    return frame[(frame.sale_date >= first) & (frame.sale_date <= last)]["store_sales"].sum()


def test_months_of_a_quarter_against_the_quarter_before(admin_client_for):
    rows = rows_of(
        admin_client_for("executive").get(
            "/reports/sales-over-time/?year=1997&quarter=1997-Q2&compare=previous&format=csv"
        )
    )
    assert [r["month"] for r in rows] == ["1997-04", "1997-05", "1997-06"]
    months = fm.sales().groupby("month")["store_sales"].sum()
    for row, before in zip(rows, ["1997-01", "1997-02", "1997-03"], strict=True):
        assert row["store_sales_compared"] == fm.money(months[before])
        now = months[row["month"]]
        assert row["store_sales_change"] == fm.ratio(now - months[before], months[before])


def test_across_the_year_boundary(admin_client_for, january_1998):
    client = admin_client_for("executive")
    url = "/reports/geography/?store_country=USA&store_state=CA&month=1998-01&format=csv"
    previous = {r["store_city"]: r for r in rows_of(client.get(url + "&compare=previous"))}
    last_year = {r["store_city"]: r for r in rows_of(client.get(url + "&compare=last_year"))}
    frame = fm.sales()
    beverly = frame[frame.store_city == "Beverly Hills"]
    assert previous["Beverly Hills"]["store_sales_compared"] == fm.money(
        sales_in(beverly, "1997-12-01", "1997-12-31")
    )
    assert last_year["Beverly Hills"]["store_sales_compared"] == fm.money(
        sales_in(beverly, "1997-01-01", "1997-01-31")
    )
    now = 2 * sales_in(beverly, "1997-01-01", "1997-01-20")
    assert last_year["Beverly Hills"]["store_sales"] == fm.money(now)


def test_year_to_date_against_the_same_span_a_year_before(admin_client_for, january_1998):
    rows = rows_of(
        admin_client_for("executive").get(
            "/reports/geography/?store_country=USA&store_state=CA&compare=ytd&format=csv"
        )
    )
    frame = fm.sales()
    beverly = frame[frame.store_city == "Beverly Hills"]
    row = {r["store_city"]: r for r in rows}["Beverly Hills"]
    # The latest data is 20 January 1998: 1-20 January against 1-20 January 1997.
    assert row["store_sales_compared"] == fm.money(sales_in(beverly, "1997-01-01", "1997-01-20"))
    assert row["store_sales_change"] == "1.0000"


def test_fiscal_periods_compare_with_the_fiscal_period_before(admin_client_for):
    client = admin_client_for("executive")
    rows = rows_of(
        client.get(
            "/reports/geography/?fiscal_year=FY1997&fiscal_period=FY1997-P03"
            "&compare=previous&format=csv"
        )
    )
    frame = fm.sales()
    # P02 of FY1997: the 5 weeks from 2 March to 5 April 1997.
    assert rows[0]["store_sales_compared"] == fm.money(sales_in(frame, "1997-03-02", "1997-04-05"))
    assert rows[0]["store_sales"] == fm.money(sales_in(frame, "1997-04-06", "1997-05-03"))


@pytest.mark.parametrize(
    "url, message",
    [
        ("/reports/products/?compare=previous", "choose a period"),
        ("/reports/products/?year=1997&compare=sometime", "compare 'sometime'"),
        ("/reports/products/?fiscal_period=FY1990-P01&compare=previous", "no fiscal period"),
    ],
)
def test_a_comparison_that_cannot_be_made_says_why(admin_client_for, url, message):
    assert_refused(admin_client_for("executive").get(url), message)


def test_the_chart_shows_the_compared_period_as_a_second_series(admin_client_for):
    response = admin_client_for("executive").get(
        "/reports/sales-over-time/?year=1997&compare=previous"
    )
    page = response.context["page"]
    assert [s["label"] for s in page.chart["series"]][-1].startswith("Store sales (1996-01-01")
