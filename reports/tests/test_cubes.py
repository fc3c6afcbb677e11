"""The semantic layer against pandas on the FoodMart CSV files, through
the command line (CSV) and the query runner, on rollups and on the raw
fact table."""

import csv
import datetime as dt
import io
import json

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports import kpis
from reports.cubes import Query, QueryError, choose_source, get_fact, run_query
from reports.tests import foodmart_frames as fm


def report_csv(*args) -> list[dict]:
    out = io.StringIO()
    call_command("report", *args, "--format", "csv", stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def keyed(rows: list[dict], *levels: str) -> dict:
    return {tuple(r[level] for level in levels): r for r in rows}


pytestmark = pytest.mark.django_db


def test_sales_by_state_and_quarter_equal_pandas():
    rows = keyed(
        report_csv(
            "sales",
            "--by",
            "store_state,quarter",
            "--measures",
            "store_sales,store_cost,unit_sales,sale_lines,profit,margin",
        ),
        "store_state",
        "quarter",
    )
    groups = fm.sales().groupby(["store_state", "quarter"])
    assert len(rows) == groups.ngroups == 12
    for key, g in groups:
        row = rows[key]
        sales, cost = g["store_sales"].sum(), g["store_cost"].sum()
        assert row["store_sales"] == fm.money(sales)
        assert row["store_cost"] == fm.money(cost)
        assert row["profit"] == fm.money(sales - cost)
        assert row["margin"] == fm.ratio(sales - cost, sales)
        assert row["sale_lines"] == str(len(g))
        assert float(row["unit_sales"]) == float(g["unit_sales"].sum())


def test_product_families_in_one_state_and_months_with_distinct_customers():
    rows = keyed(
        report_csv(
            "sales",
            "--by",
            "product_family",
            "--measures",
            "store_sales,customers",
            "--filter",
            "store_state=WA",
            "--from",
            "1997-03-01",
            "--to",
            "1997-05-31",
        ),
        "product_family",
    )
    frame = fm.sales()
    frame = frame[
        (frame.store_state == "WA")
        & (frame.sale_date >= "1997-03-01")
        & (frame.sale_date <= "1997-05-31")
    ]
    for family, g in frame.groupby("product_family"):
        assert rows[(family,)]["store_sales"] == fm.money(g["store_sales"].sum())
        assert rows[(family,)]["customers"] == str(g["customer_id"].nunique())
    assert len(rows) == frame["product_family"].nunique()


@pytest.mark.parametrize("level", ["gender", "member_card", "yearly_income", "customer_state"])
def test_customer_groups_in_one_quarter(level):
    rows = keyed(
        report_csv(
            "sales",
            "--by",
            level,
            "--measures",
            "store_sales,customers,sale_lines",
            "--filter",
            "quarter=1997-Q2",
        ),
        level,
    )
    frame = fm.sales()
    frame = frame[frame.quarter == "1997-Q2"]
    for value, g in frame.groupby(level):
        row = rows[(value,)]
        assert row["store_sales"] == fm.money(g["store_sales"].sum())
        assert row["customers"] == str(g["customer_id"].nunique())
        assert row["sale_lines"] == str(len(g))


def test_promotions_by_media_type_and_with_or_without():
    rows = keyed(
        report_csv("sales", "--by", "promoted,media_type", "--measures", "unit_sales,store_sales"),
        "promoted",
        "media_type",
    )
    for (promoted, media), g in fm.sales().groupby(["promoted", "media_type"]):
        assert rows[(promoted, media)]["store_sales"] == fm.money(g["store_sales"].sum())
    assert rows[("no", "No Media")]["store_sales"]


def test_top_products_sorted_and_limited():
    rows = report_csv(
        "sales",
        "--by",
        "product_name",
        "--measures",
        "store_sales",
        "--sort=-store_sales",
        "--limit",
        "5",
    )
    expected = fm.sales().groupby("product_name")["store_sales"].sum().sort_values(ascending=False)
    assert [r["product_name"] for r in rows] == list(expected.index[:5])
    assert [r["store_sales"] for r in rows] == [fm.money(v) for v in expected.iloc[:5]]


def test_deliveries_fill_rate_by_warehouse_class_and_year():
    rows = keyed(
        report_csv(
            "deliveries",
            "--by",
            "warehouse_class,year",
            "--measures",
            "units_ordered,units_shipped,fill_rate,warehouse_sales,store_invoice",
        ),
        "warehouse_class",
        "year",
    )
    for key, g in fm.deliveries().groupby(["warehouse_class", "year"]):
        row = rows[key]
        ordered, shipped = g["units_ordered"].sum(), g["units_shipped"].sum()
        assert row["units_ordered"] == str(ordered)
        assert row["units_shipped"] == str(shipped)
        assert row["fill_rate"] == fm.ratio(shipped, ordered)
        assert row["warehouse_sales"] == fm.money(g["warehouse_sales"].sum())
        assert row["store_invoice"] == fm.money(g["store_invoice"].sum())


def test_payroll_by_store_country_and_department_in_a_quarter():
    rows = keyed(
        report_csv(
            "payroll",
            "--by",
            "store_country,department",
            "--measures",
            "salary_paid,overtime_paid,headcount",
            "--filter",
            "quarter=1997-Q3",
        ),
        "store_country",
        "department",
    )
    frame = fm.payroll()
    frame = frame[frame.quarter == "1997-Q3"]
    groups = frame.groupby(["store_country", "department"])
    assert len(rows) == groups.ngroups
    for key, g in groups:
        assert rows[key]["salary_paid"] == fm.money(g["salary_paid"].sum())
        assert rows[key]["overtime_paid"] == fm.money(g["overtime_paid"].sum())
        assert rows[key]["headcount"] == str(g["employee_id"].nunique())


def test_expenses_by_category_and_month_for_one_city():
    rows = keyed(
        report_csv(
            "expenses",
            "--by",
            "category,month",
            "--measures",
            "amount",
            "--filter",
            "store_city=Seattle",
        ),
        "category",
        "month",
    )
    frame = fm.expenses()
    frame = frame[frame.store_city == "Seattle"]
    groups = frame.groupby(["category", "month"])
    assert len(rows) == groups.ngroups > 0
    for key, g in groups:
        assert rows[key]["amount"] == fm.money(g["amount"].sum())


QUERIES = [
    Query("sales", ["store_state", "month"], ["store_sales", "profit", "sale_lines"]),
    Query("sales", ["day"], ["unit_sales"], {"store_name": ["Store 6"], "month": ["1997-04"]}),
    Query("sales", ["media_type"], ["store_sales"], {"year": ["1997"]}),
    Query("sales", ["product_category"], ["store_cost"], {"product_family": ["Drink"]}),
    Query("sales", ["occupation"], ["customers", "store_sales"], {"quarter": ["1997-Q4"]}),
    Query("sales", ["store_type", "brand_name"], ["unit_sales"], sort=["-unit_sales"], limit=20),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: ",".join(q.by))
def test_rollups_answer_exactly_as_the_fact_table(query):
    rolled = run_query(query, all_stores=True)
    raw = run_query(query, all_stores=True, raw=True)
    assert rolled.source.startswith("rollup_")
    assert raw.source == "sales_saleline"
    assert rolled.rows == raw.rows
    assert rolled.rows


@pytest.mark.parametrize(
    "by, filters, expected",
    [
        (["store_state", "month"], {}, "rollup_sales_day_store_promotion"),
        (["day"], {"promoted": ["yes"]}, "rollup_sales_day_store_promotion"),
        (["gender"], {"year": ["1997"]}, "rollup_sales_month_store_customer"),
        (["product_family"], {}, "rollup_sales_month_store_class"),
        (["brand_name"], {"product_family": ["Food"]}, "rollup_sales_month_store_product"),
        (["product_family", "day"], {}, "sales_saleline"),
        (["gender", "product_family"], {}, "sales_saleline"),
    ],
)
def test_the_smallest_rollup_that_can_answer_is_chosen(by, filters, expected):
    query = Query("sales", by, ["store_sales"], filters)
    assert choose_source(get_fact("sales"), query).table == expected


def test_a_range_not_on_month_boundaries_skips_the_monthly_rollups():
    fact = get_fact("sales")
    aligned = Query("sales", ["product_family"], ["store_sales"])
    aligned.date_from, aligned.date_to = dt.date(1997, 2, 1), dt.date(1997, 2, 28)
    assert choose_source(fact, aligned).table == "rollup_sales_month_store_class"
    aligned.date_to = aligned.date_to.replace(day=27)
    assert choose_source(fact, aligned).table == "sales_saleline"


def test_the_store_manager_sees_only_their_store(django_user_model):
    manager = django_user_model.objects.get(username="manager")
    query = Query("sales", ["store_name"], ["store_sales"])
    assert [r[0] for r in run_query(query, user=manager).rows] == ["Store 6"]
    expected = fm.sales()
    expected = expected[expected.store_name == "Store 6"]["store_sales"].sum()
    assert fm.money(run_query(query, user=manager).rows[0][1]) == fm.money(expected)
    payroll = run_query(Query("payroll", ["store_name"], ["headcount"]), user=manager)
    assert [r[0] for r in payroll.rows] == ["Store 6"]


def test_a_query_must_say_whose_scope_it_runs_in():
    with pytest.raises(QueryError, match="say whose query"):
        run_query(Query("sales", [], ["store_sales"]))


@pytest.mark.parametrize(
    "args, message",
    [
        (["sales", "--by", "colour", "--measures", "store_sales"], "no level 'colour'"),
        (["sales", "--measures", "revenue"], "no measure 'revenue'"),
        (["sales", "--measures", "store_sales", "--filter", "month=1997-13"], "not a month"),
        (["sales", "--measures", "store_sales", "--filter", "quarter=Q3"], "not a quarter"),
        (["sales", "--measures", "store_sales", "--filter", "store_state"], "LEVEL=VALUE"),
        (["sales", "--measures", "store_sales", "--sort", "profit"], "cannot sort by 'profit'"),
        (["sales", "--measures", "sales_per_sqft"], "per store_name"),
        (["sales", "--measures", "store_sales", "--from", "1997-02-30"], "not a date"),
        (["sales", "--measures", "store_sales", "--user", "nobody"], "no user 'nobody'"),
    ],
)
def test_bad_queries_say_what_is_wrong(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("report", *args, stdout=io.StringIO())


def test_json_and_table_formats():
    out = io.StringIO()
    call_command(
        "report",
        "sales",
        "--by",
        "store_country",
        "--measures",
        "store_sales",
        "--format",
        "json",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["columns"] == [
        {"name": "store_country", "format": None},
        {"name": "store_sales", "format": "money"},
    ]
    assert {row[0] for row in data["rows"]} == {"USA"}
    assert data["rows"][0][1] == fm.money(fm.sales()["store_sales"].sum())
    out = io.StringIO()
    call_command(
        "report", "sales", "--by", "store_country", "--measures", "store_sales", stdout=out
    )
    assert out.getvalue().splitlines()[2].split() == ["USA", data["rows"][0][1]]


def test_baskets_are_customer_store_days_and_their_value_equals_pandas():
    query = Query(
        "sales",
        ["store_name"],
        ["baskets", "basket_value", "units_per_basket"],
        {"quarter": ["1997-Q1"], "store_state": ["WA"]},
    )
    result = run_query(query, all_stores=True)
    assert result.source == "rollup_sales_day_store_customer"
    assert result.rows == run_query(query, all_stores=True, raw=True).rows
    frame = fm.sales()
    frame = frame[(frame.quarter == "1997-Q1") & (frame.store_state == "WA")]
    rows = {r[0]: r for r in result.rows}
    for store, g in frame.groupby("store_name"):
        baskets = g.groupby(["customer_id", "sale_date"]).ngroups
        assert rows[store][1] == baskets
        assert fm.money(rows[store][2]) == fm.money(g["store_sales"].sum() / baskets)
        assert fm.ratio(rows[store][3], 1) == fm.ratio(g["unit_sales"].sum() / baskets, 1)


def test_supply_time_mean_and_spread_by_warehouse_equal_pandas():
    result = run_query(
        Query("deliveries", ["warehouse_name"], ["avg_supply_time", "supply_time_spread"]),
        all_stores=True,
    )
    frame = fm.deliveries()
    frame["supply_time"] = frame["supply_time"].astype(int)
    for name, mean, spread in result.rows:
        g = frame[frame.warehouse_name == name]["supply_time"]
        assert abs(float(mean) - g.mean()) < 1e-9
        assert abs(float(spread) - g.std(ddof=1)) < 1e-9
    assert len(result.rows) == frame["warehouse_name"].nunique()


def pandas_lift(frame, promotions, pid):
    promo = promotions[promotions.promotion_id == pid].iloc[0]
    start = pd.Timestamp(promo.start_date[:10])
    end = pd.Timestamp(promo.end_date[:10])
    during = frame[(frame.sale_date >= start) & (frame.sale_date <= end)]
    pairs = during[during.promotion_id == pid][["product_id", "store_id"]].drop_duplicates()
    sold = frame.merge(pairs, on=["product_id", "store_id"])
    in_span = sold[(sold.sale_date >= start) & (sold.sale_date <= end)]
    before = sold[(sold.sale_date >= start - pd.Timedelta(days=28)) & (sold.sale_date < start)]
    daily = in_span["store_sales"].sum() / ((end - start).days + 1)
    baseline = before["store_sales"].sum() / 28
    return None if not baseline else (daily - baseline) / baseline


def test_promotion_lift_equals_pandas_and_is_blank_without_a_baseline():
    frame = fm.sales()
    promotions = fm._read("promotion")
    promoted = frame[frame.promotion_id != "0"]
    first_day = promoted.groupby("promotion_id")["sale_date"].min()
    early = first_day[first_day < "1997-01-20"].index[0]  # no 4 weeks of history
    later = first_day[first_day > "1997-06-01"].index[:3]
    ids = [int(early), *(int(p) for p in later)]
    got = dict(
        zip(
            ids,
            kpis.promotion_lift([[i] for i in ids], store_ids=None, using="default"),
            strict=True,
        )
    )
    assert got[int(early)] is None
    for pid in later:
        expected = pandas_lift(frame, promotions, pid)
        assert expected is not None
        assert fm.ratio(got[int(pid)], 1) == fm.ratio(expected, 1)


def test_lift_is_a_measure_for_any_level_with_promotions():
    result = run_query(Query("sales", ["media_type"], ["lift", "store_sales"]), all_stores=True)
    assert result.source == "rollup_sales_day_store_promotion"
    lifts = {r[0]: r[1] for r in result.rows}
    assert lifts["No Media"] is None  # promotion 0, "No Promotion"
    assert sum(1 for v in lifts.values() if v is not None) >= 10


def test_the_command_compares_with_the_quarter_before():
    rows = report_csv(
        "sales",
        "--measures",
        "store_sales",
        "--filter",
        "quarter=1997-Q4",
        "--compare",
        "previous",
    )
    frame = fm.sales()
    q4 = frame[frame.quarter == "1997-Q4"]["store_sales"].sum()
    q3 = frame[frame.quarter == "1997-Q3"]["store_sales"].sum()
    assert rows == [
        {
            "store_sales": fm.money(q4),
            "store_sales_compared": fm.money(q3),
            "store_sales_change": fm.ratio(q4 - q3, q3),
        }
    ]


def test_sales_per_square_foot_per_store_and_blank_without_a_size():
    result = run_query(
        Query("sales", ["store_name"], ["store_sales", "sales_per_sqft"], {"store_state": ["CA"]}),
        all_stores=True,
    )
    stores = fm._read("store").set_index("store_name")["store_sqft"]
    frame = fm.sales()
    for name, sales, per_sqft in result.rows:
        expected = frame[frame.store_name == name]["store_sales"].sum()
        assert fm.money(sales) == fm.money(expected)
        if stores[name]:
            assert fm.money(per_sqft) == fm.money(expected / int(stores[name]))
        else:
            assert per_sqft is None  # no size: shown as such, not as 0
    assert any(r[2] is None for r in result.rows)  # Store 24 has no size


def test_lift_follows_the_querys_store_filters():
    query = Query("sales", ["media_type"], ["lift"], {"store_state": ["CA"]})
    result = run_query(query, all_stores=True)
    in_ca = run_query(query, store_ids={0, 6, 7, 14, 24})  # the stores in CA
    assert result.rows == in_ca.rows
    everywhere = dict(run_query(Query("sales", ["media_type"], ["lift"]), all_stores=True).rows)
    assert dict(result.rows) != {k: everywhere[k] for k in dict(result.rows)}
