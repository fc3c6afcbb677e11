"""The report pages and the JSON endpoint through Django's test client:
figures against pandas, drill-down links, scope, exports, bad filters,
caching and its invalidation by a load."""

import io
from urllib.parse import parse_qs, urlencode, urlparse

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from etl.pipeline import rollback, run
from inventory.models import Product
from reports import kpis
from reports.catalog import REPORTS
from reports.tests import foodmart_frames as fm
from reports.tests.utils import assert_refused, rows_of, sale_lines

pytestmark = pytest.mark.django_db


def test_every_page_needs_a_login(client):
    for url in ["/reports/", "/reports/overview/", "/reports/products/", "/reports/api/sales/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("user", ["executive", "hq", "analyst", "manager", "admin"])
def test_every_report_opens_for_every_role(admin_client_for, user):
    client = admin_client_for(user)
    catalogue = client.get("/reports/")
    for report in REPORTS:
        assert f'href="/reports/{report.slug}/"' in catalogue.content.decode()
        response = client.get(f"/reports/{report.slug}/")
        assert response.status_code == 200, report.slug
        assert b'id="chart-data"' in response.content
    assert client.get("/reports/overview/").status_code == 200


def test_a_user_without_a_role_sees_no_report(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-Long-pass-1")
    client.force_login(user)
    assert b"No report is open to you" in client.get("/reports/").content
    assert client.get("/reports/products/").status_code == 403
    assert client.get("/reports/overview/").status_code == 403
    assert client.get("/reports/api/sales/?measures=store_sales").status_code == 403


def test_overview_tiles_equal_pandas_and_compare_with_the_quarter_before(admin_client_for):
    response = admin_client_for("executive").get("/reports/overview/?quarter=1997-Q2")
    tiles = {t.name: t for t in response.context["tiles"]}
    frame = fm.sales()
    q2, q1 = frame[frame.quarter == "1997-Q2"], frame[frame.quarter == "1997-Q1"]
    assert fm.money(tiles["store_sales"].value) == fm.money(q2["store_sales"].sum())
    assert tiles["customers"].value == q2["customer_id"].nunique()
    assert tiles["sale_lines"].previous == len(q1)
    expected = (q2["store_sales"].sum() - q1["store_sales"].sum()) / q1["store_sales"].sum()
    assert fm.ratio(tiles["store_sales"].vs_previous, 1) == fm.ratio(expected, 1)
    assert tiles["store_sales"].last_year is None  # FoodMart has no 1996 sales
    assert b"no data to compare" in response.content


def test_the_manager_sees_only_store_6_everywhere(admin_client_for):
    client = admin_client_for("manager")
    overview = client.get("/reports/overview/?year=1997")
    store_6 = fm.sales()[fm.sales().store_name == "Store 6"]
    tiles = {t.name: t for t in overview.context["tiles"]}
    assert fm.money(tiles["store_sales"].value) == fm.money(store_6["store_sales"].sum())
    geography = rows_of(client.get("/reports/geography/?store_state=CA&format=csv"))
    assert [r["store_city"] for r in geography] == ["Beverly Hills"]
    staff = rows_of(client.get("/reports/staff/?format=csv"))
    assert [r["store_name"] for r in staff] == ["Store 6"]
    api = client.get("/reports/api/sales/?by=store_name&measures=store_sales").json()
    assert [row[0] for row in api["rows"]] == ["Store 6"]


def test_the_json_endpoint_equals_pandas(admin_client_for):
    data = (
        admin_client_for("analyst")
        .get(
            "/reports/api/sales/?by=store_state,month&measures=store_sales,sale_lines"
            "&filter=product_family:Drink&from=1997-01-01&to=1997-06-30"
        )
        .json()
    )
    frame = fm.sales()
    frame = frame[(frame.product_family == "Drink") & (frame.sale_date <= "1997-06-30")]
    expected = frame.groupby(["store_state", "month"])
    assert len(data["rows"]) == expected.ngroups
    got = {(r[0], r[1]): r for r in data["rows"]}
    for key, g in expected:
        assert got[key][2] == fm.money(g["store_sales"].sum())
        assert got[key][3] == len(g)


@pytest.mark.parametrize(
    "url, message",
    [
        ("/reports/api/sales/?measures=store_sales&filter=colour:red", "no level 'colour'"),
        ("/reports/api/sales/?measures=store_sales&from=1997-02-30", "not a date"),
        ("/reports/api/sales/?measures=store_sales&colour=red", "unknown parameter 'colour'"),
        ("/reports/api/sales/?measures=store_sales&limit=ten", "not a number"),
        ("/reports/api/sales/?measures=revenue", "no measure 'revenue'"),
    ],
)
def test_the_json_endpoint_says_what_is_wrong(admin_client_for, url, message):
    response = admin_client_for("executive").get(url)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    "url, message",
    [
        ("/reports/products/?colour=red", "unknown filter"),
        ("/reports/products/?from=1997-13-01", "not a date"),
        ("/reports/products/?from=1997-05-01&to=1997-04-01", "ends before it starts"),
        ("/reports/sales-over-time/?month=May", "not a month"),
        ("/reports/products/?top=-3", "not a number from 1 to 1000"),
        ("/reports/geography/?top=10", "has no top N"),
        ("/reports/customers/?by=store_name", "cannot be grouped by"),
        ("/reports/products/?format=pdf", "choose csv or xlsx"),
    ],
)
def test_bad_filters_get_a_clear_error(admin_client_for, url, message):
    assert_refused(admin_client_for("executive").get(url), message)


def test_filter_values_are_bound_not_spliced(admin_client_for):
    client = admin_client_for("executive")
    response = client.get("/reports/geography/?store_state=CA' OR '1'='1&format=csv")
    assert rows_of(response) == []
    assert client.get("/reports/geography/?store_state;DROP TABLE x=1").status_code == 400


def test_imported_text_shows_as_text(admin_client_for):
    product = Product.objects.filter(product_class__product_family="Drink").first()
    product.product_name = "<script>alert(1)</script>"
    product.save()
    response = admin_client_for("executive").get(
        "/reports/products/?product_family=Drink&product_department="
        f"{product.product_class.product_department}"
        f"&product_category={product.product_class.product_category}"
        f"&product_subcategory={product.product_class.product_subcategory}"
        f"&brand_name={product.brand_name}"
    )
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def drill(client, url, value):
    """Follow the drill-down link of ``value`` on the page at ``url``."""
    response = client.get(url, follow=True)
    page = response.context["page"]
    index = [str(row[0]) for row in page.rows].index(value)
    return page.links[index]


def test_drill_from_a_state_to_one_sale_line_and_its_admin_page(admin_client_for):
    client = admin_client_for("executive")
    url = "/reports/geography/?store_country=USA"
    for value in ["CA", "Beverly Hills", "Store 6", "Food", "Produce", "Vegetables"]:
        url = drill(client, url, value)
    assert urlparse(url).path == "/reports/products/"  # geography went on to products
    query = parse_qs(urlparse(url).query)
    assert query["store_name"] == ["Store 6"] and query["product_category"] == ["Vegetables"]
    for _ in range(3):  # subcategory, brand, product
        page = client.get(url).context["page"]
        url = page.links[0]
    page = client.get(url).context["page"]
    assert page.level is None  # the sale lines themselves
    frame = fm.sales()
    name = query_value(url, "product_name")
    expected = frame[(frame.store_name == "Store 6") & (frame.product_name == name)]
    assert len(page.rows) == len(expected) > 0
    line_admin = page.admin_links[0]["id"]
    assert line_admin.startswith("/admin/sales/saleline/")
    assert client.get(line_admin).status_code == 200
    crumbs = [label for label, _ in page.crumbs]
    assert crumbs[:4] == ["Reports", "Products", "Store country: USA", "Store state: CA"]


def query_value(url, name):
    return parse_qs(urlparse(url).query)[name][0]


def test_csv_and_xlsx_exports_hold_exactly_what_the_page_shows(admin_client_for):
    client = admin_client_for("executive")
    url = "/reports/products/?product_family=Drink&top=10"
    page = client.get(url).context["page"]
    exported = rows_of(client.get(url + "&format=csv"))
    assert [r["product_department"] for r in exported] == [row[0] for row in page.rows]
    assert len(exported) == len(page.rows) <= 10
    xlsx = client.get(url + "&format=xlsx")
    sheet = pd.read_excel(io.BytesIO(xlsx.content), engine="calamine")
    assert list(sheet["product_department"]) == [row[0] for row in page.rows]
    assert [round(v, 2) for v in sheet["store_sales"]] == [
        float(r["store_sales"]) for r in exported
    ]


def test_staff_report_adds_sales_per_employee_from_the_sales_fact(admin_client_for):
    rows = rows_of(admin_client_for("hq").get("/reports/staff/?year=1997&format=csv"))
    by_store = {r["store_name"]: r for r in rows}
    frame = fm.sales()
    sales_6 = frame[frame.store_name == "Store 6"]["store_sales"].sum()
    payroll = fm.payroll()
    heads = payroll[(payroll.store_name == "Store 6") & (payroll.year == "1997")]
    assert by_store["Store 6"]["store_sales"] == fm.money(sales_6)
    assert by_store["Store 6"]["headcount"] == str(heads["employee_id"].nunique())
    expected = sales_6 / heads["employee_id"].nunique()
    assert by_store["Store 6"]["sales_per_employee"] == fm.money(expected)
    payroll_6 = heads["salary_paid"].sum() + heads["overtime_paid"].sum()
    assert by_store["Store 6"]["payroll"] == fm.money(payroll_6)
    assert by_store["Store 6"]["payroll_pct_of_sales"] == fm.ratio(payroll_6, sales_6)


def test_a_load_and_its_rollback_show_at_once_despite_the_cache(admin_client_for):
    client = admin_client_for("executive")
    url = "/reports/sales-over-time/?year=1997&format=csv"
    first = rows_of(client.get(url))
    with CaptureQueriesContext(connection) as queries:
        assert rows_of(client.get(url)) == first
    assert not any("rollup_sales" in q["sql"] for q in queries.captured_queries)
    frame = sale_lines(["1997-02-03"], sales="1000.00")
    with django_capture_on_commit():
        batch = run(frame, table="sales_fact")
    after = {r["quarter"]: r for r in rows_of(client.get(url))}
    before = {r["quarter"]: r for r in first}
    assert float(after["1997-Q1"]["store_sales"]) == float(before["1997-Q1"]["store_sales"]) + 1000
    with django_capture_on_commit():
        rollback(batch)
    assert rows_of(client.get(url)) == first


def django_capture_on_commit():
    """Run on_commit callbacks (the cache's version bump) as the real
    commit would; tests run inside a transaction that never commits."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_filter_menus_offer_the_users_stores_and_all_means_no_filter(admin_client_for):
    client = admin_client_for("manager")
    response = client.get("/reports/sales-over-time/?store_state=&store_name=Store+6&year=1997")
    assert response.status_code == 200
    menus = {m["name"]: m for m in response.context["menus"]}
    assert menus["store_name"]["choices"] == ["Store 6"]
    assert menus["store_name"]["chosen"] == "Store 6"
    assert "media_type" in menus and "product_family" in menus
    executive = admin_client_for("executive")
    menus = {m["name"]: m for m in executive.get("/reports/deliveries/").context["menus"]}
    assert len(menus["store_name"]["choices"]) == 25
    assert "media_type" not in menus  # deliveries have no promotions


def test_store_and_product_pages_link_to_their_reports(admin_client_for):
    client = admin_client_for("executive")
    body = client.get("/admin/inventory/store/6/change/").content.decode()
    assert 'href="/reports/sales-over-time/?store_name=Store+6"' in body
    product = Product.objects.get(pk=1)
    body = client.get("/admin/inventory/product/1/change/").content.decode()
    link = "/reports/sales-over-time/?" + urlencode({"product_name": product.product_name})
    assert f'href="{link}"' in body
    page = client.get(link).context["page"]
    expected = fm.sales()[fm.sales().product_id == "1"]
    assert sum(r[-1] for r in page.rows) == len(expected)  # sale lines, by year


def test_every_page_says_how_fresh_its_data_is(admin_client_for):
    client = admin_client_for("hq")
    body = client.get("/reports/products/").content.decode()
    assert "Data up to 1997-12-30; last load: batch" in body
    frame = sale_lines(["1998-01-04"], sales="1.00", cost="0.50")
    batch = run(frame, table="sales_fact", source_name="january.csv")
    body = client.get("/reports/products/").content.decode()
    assert f"Data up to 1998-01-04; last load: batch {batch.pk} (january.csv)" in body
    assert f'href="/admin/etl/batch/{batch.pk}/change/"' in body
    rollback(batch)
    body = client.get("/reports/overview/").content.decode()
    assert f"Data up to 1997-12-30; last change: rollback of batch {batch.pk}" in body


def test_same_store_growth_counts_only_stores_open_13_months(admin_client_for):
    from inventory.models import Store

    # A year later at three stores: FoodMart's January 1997 lines again, in 1998.
    frame = fm.sales()
    january = frame[(frame.month == "1997-01") & frame.store_id.isin(["6", "7", "24"])]
    later = january.assign(sale_date=january.sale_date + pd.DateOffset(years=1))
    later = later[["product_id", "sale_date", "customer_id", "promotion_id", "store_id"]].assign(
        store_sales=(january.store_sales * 2).astype(str),
        store_cost=january.store_cost.astype(str),
        unit_sales=january.unit_sales.astype(str),
        sale_date=later.sale_date.dt.strftime("%Y-%m-%d"),
    )
    run(later, table="sales_fact")
    Store.objects.filter(store_name="Store 24").update(
        first_opened_date="1997-06-01", last_remodel_date=None
    )
    response = admin_client_for("executive").get("/reports/overview/?month=1998-01")
    same = response.context["same_store"]
    assert same.stores == ["Store 6", "Store 7"]
    assert "Store 24" in same.excluded
    base = january[january.store_name.isin(["Store 6", "Store 7"])]["store_sales"].sum()
    assert fm.ratio(same.growth, 1) == fm.ratio((2 * base - base) / base, 1)  # doubled: +100 %
    assert b"+100.0 %" in response.content


def test_time_charts_mark_the_promotions_that_started_in_each_month(admin_client_for):
    response = admin_client_for("executive").get("/reports/sales-over-time/?year=1997")
    assert response.context["page"].level == "quarter"
    assert "annotations" not in response.context["page"].chart
    page = (
        admin_client_for("executive")
        .get("/reports/sales-over-time/?year=1997&quarter=1997-Q1")
        .context["page"]
    )
    marks = page.chart["annotations"]
    frame = fm.sales()
    promoted = frame[(frame.quarter == "1997-Q1") & (frame.promotion_id != "0")]
    promotions = fm._read("promotion").set_index("promotion_id")
    started = promotions.loc[promoted.promotion_id.unique(), ["promotion_name", "start_date"]]
    started = started.drop_duplicates()  # as named on the chart: name and start
    starts = started["start_date"].str[:7]
    expected = starts[starts.isin(["1997-01", "1997-02", "1997-03"])].value_counts()
    labels = [str(r[0]) for r in page.rows]
    got = {labels[m["index"]]: len(m["title"].split(", ")) for m in marks}
    assert got == expected.to_dict()


@pytest.mark.parametrize(
    "url, budget",
    [
        ("/reports/products/?year=1997", 14),
        ("/reports/overview/?year=1997", 15),
        ("/reports/staff/", 14),
    ],
)
def test_report_pages_stay_within_a_query_budget(admin_client_for, url, budget):
    client = admin_client_for("executive")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= budget, [q["sql"][:120] for q in queries.captured_queries]


def test_admin_lists_show_promotion_lift_and_store_sales_per_square_foot(admin_client_for):
    client = admin_client_for("executive")
    response = client.get("/admin/sales/promotion/", {"q": "Price Savers"})
    changelist = response.context["cl"]
    shown = {p.pk: p.kpi for p in changelist.result_list}
    expected = kpis.promotion_lift([[pk] for pk in shown], store_ids=None, using="default")
    assert list(shown.values()) == expected
    assert any(v is not None for v in expected)
    assert "Lift" in response.content.decode()
    stores = client.get("/admin/inventory/store/", {"q": "Store 6"}).context["cl"].result_list
    store_6 = next(s for s in stores if s.store_name == "Store 6")
    sales = fm.sales()[fm.sales().store_name == "Store 6"]["store_sales"].sum()
    assert fm.money(store_6.kpi) == fm.money(sales / store_6.store_sqft)
