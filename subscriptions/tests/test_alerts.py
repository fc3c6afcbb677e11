"""Alert rules against the FoodMart data: raised by a load that makes them
true, cleared by rolling that load back, shown on the overview with links
to the report and to the rows; the owner's scope; the demo rules."""

import datetime as dt
import io
from decimal import Decimal
from html import escape
from urllib.parse import urlencode

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, Sum

from etl.pipeline import rollback, run
from inventory.models import Delivery, Product, Store
from reports.cubes import Query, run_query
from reports.freshness import freshness
from subscriptions.alerts import check_alerts, window
from subscriptions.models import Alert, AlertRule

pytestmark = pytest.mark.django_db

STORE = "Store 13"


def user(name):
    return get_user_model().objects.get(username=name)


def fill_rate_rule(owner="executive", **kwargs) -> AlertRule:
    fields = {
        "name": "Fill rate below 90 %",
        "fact": "deliveries",
        "measure": "fill_rate",
        "levels": "store_name,warehouse_name",
        "comparison": "below",
        "threshold": Decimal(90),
        "window_count": 4,
        "window_unit": "weeks",
        **kwargs,
    }
    return AlertRule.objects.create(owner=user(owner), **fields)


def low_fill_rate_file(store: Store, warehouse_id: int, day: dt.date) -> pd.DataFrame:
    """One delivery of nothing against a large order: the store and
    warehouse's fill rate falls far below 90 %."""
    return pd.DataFrame(
        {
            "product_id": [Product.objects.order_by("pk").first().pk],
            "delivery_date": [day.isoformat()],
            "warehouse_id": [warehouse_id],
            "store_id": [store.pk],
            "units_ordered": [5000],
            "units_shipped": [0],
            "warehouse_sales": ["0.00"],
            "warehouse_cost": ["0.00"],
            "supply_time": [2],
            "store_invoice": ["0.00"],
        }
    )


def groups(rule) -> set[tuple]:
    return {tuple(a.values.values()) for a in rule.alerts.open()}


def expected_low_fill_rates(start, end) -> set[tuple]:
    """The store and warehouse pairs below 90 %, from the ORM, not the layer."""
    rows = (
        Delivery.objects.filter(delivery_date__range=(start, end))
        .values(s=F("store__store_name"), w=F("warehouse__warehouse_name"))
        .annotate(shipped=Sum("units_shipped"), ordered=Sum("units_ordered"))
    )
    return {(r["s"], r["w"]) for r in rows if r["ordered"] and r["shipped"] / r["ordered"] < 0.9}


def test_a_load_raises_an_alert_and_its_rollback_clears_it(django_capture_on_commit_callbacks):
    rule = fill_rate_rule()
    check_alerts()
    start, end = window(rule, freshness().up_to)
    before = groups(rule)
    assert before == expected_low_fill_rates(start, end)
    store = Store.objects.get(store_name=STORE)
    delivery = Delivery.objects.filter(store=store, delivery_date__range=(start, end)).first()
    pair = (STORE, delivery.warehouse.warehouse_name)
    assert pair not in before

    with django_capture_on_commit_callbacks(execute=True):
        batch = run(
            low_fill_rate_file(store, delivery.warehouse_id, end - dt.timedelta(days=3)),
            table="inventory_fact",
        )
    assert groups(rule) == before | {pair}
    alert = rule.alerts.open().get(values__store_name=STORE)
    assert alert.values == {"store_name": STORE, "warehouse_name": pair[1]}
    assert alert.value < Decimal("0.5")
    assert (alert.window_from, alert.window_to) == (start, end)
    assert alert.record_ids == {"store_name": store.pk, "warehouse_name": delivery.warehouse_id}

    with django_capture_on_commit_callbacks(execute=True):
        rollback(batch)
    assert groups(rule) == before
    alert.refresh_from_db()
    assert alert.cleared_at is not None


def test_the_alert_shows_on_the_overview_with_its_two_links(admin_client_for):
    rule = fill_rate_rule()
    store = Store.objects.get(store_name=STORE)
    start, end = window(rule, freshness().up_to)
    delivery = Delivery.objects.filter(store=store, delivery_date__range=(start, end)).first()
    run(low_fill_rate_file(store, delivery.warehouse_id, end), table="inventory_fact")
    check_alerts()
    alert = rule.alerts.open().get(values__store_name=STORE)
    wh = delivery.warehouse
    pairs = [("warehouse_name", wh.warehouse_name), ("store_name", STORE)]
    pairs += [("from", start), ("to", end)]
    assert alert.report_url == "/reports/deliveries/?" + urlencode(pairs)
    assert alert.admin_url == (
        f"/admin/inventory/delivery/?store__id__exact={store.pk}&warehouse__id__exact={wh.pk}"
        f"&delivery_date__gte={start}&delivery_date__lte={end}"
    )
    client = admin_client_for("executive")
    page = client.get("/reports/overview/").content.decode()
    assert 'class="alerts"' in page and rule.name in page
    assert escape(alert.report_url) in page and escape(alert.admin_url) in page

    report = client.get(alert.report_url)
    assert report.status_code == 200
    assert report.context["page"].filters == {
        "warehouse_name": [wh.warehouse_name],
        "store_name": [STORE],
    }
    changelist = client.get(alert.admin_url)
    assert changelist.status_code == 200
    rows = Delivery.objects.filter(store=store, warehouse=wh, delivery_date__range=(start, end))
    assert changelist.context["cl"].result_count == rows.count()
    alerts = client.get("/admin/subscriptions/alert/").content.decode()
    assert escape(alert.report_url) in alerts and escape(alert.admin_url) in alerts


def test_other_users_and_cleared_alerts_do_not_show(admin_client_for):
    rule = fill_rate_rule()
    check_alerts()
    assert rule.alerts.open().exists()
    assert b'class="alerts"' not in admin_client_for("hq").get("/reports/overview/").content
    AlertRule.objects.filter(pk=rule.pk).update(active=False)
    check_alerts()
    assert not rule.alerts.open().exists()
    assert b'class="alerts"' not in admin_client_for("executive").get("/reports/overview/").content


def test_sales_down_against_last_year_for_a_store():
    """The FoodMart sale lines cover 1997 only: the test makes a December
    1996 for Store 6 that December 1997 falls short of."""
    n = 40
    lines = pd.DataFrame(
        {
            "product_id": [Product.objects.order_by("pk").first().pk] * n,
            "sale_date": ["1996-12-10"] * n,
            "customer_id": list(range(3, 3 + n)),
            "promotion_id": [0] * n,
            "store_id": [6] * n,
            "store_sales": ["500.00"] * n,
            "store_cost": ["200.00"] * n,
            "unit_sales": [1] * n,
        }
    )
    run(lines, table="sales_fact")
    rule = AlertRule.objects.create(
        owner=user("executive"),
        name="Sales down more than 15 %",
        fact="sales",
        measure="store_sales",
        levels="store_name",
        comparison="change_below",
        threshold=-15,
        window_count=1,
        window_unit="months",
        report="sales-over-time",
    )
    check_alerts()
    [alert] = rule.alerts.open()
    assert alert.values == {"store_name": "Store 6"}
    start, end = window(rule, freshness().up_to)
    now = run_query(
        Query("sales", [], ["store_sales"], date_from=start, date_to=end), store_ids={6}
    )
    assert alert.value == pytest.approx((now.rows[0][0] - 20000) / 20000, abs=Decimal("1e-6"))
    assert alert.shown_value.startswith("-")
    assert alert.report_url == (
        f"/reports/sales-over-time/?store_name=Store+6&from=1996-12-01&to={end}"
    )
    assert alert.admin_url.startswith("/admin/sales/saleline/?store__id__exact=6&sale_date__gte=")


def test_a_rule_sees_only_its_owners_stores():
    rule = fill_rate_rule(owner="manager", levels="store_name", comparison="above", threshold=0)
    check_alerts()
    assert groups(rule) == {("Store 6",)}


def test_a_rule_the_layer_cannot_answer_is_reported_not_fatal():
    broken = fill_rate_rule()
    AlertRule.objects.filter(pk=broken.pk).update(measure="no_such_measure")
    fill_rate_rule(name="Sound rule")
    counts = check_alerts()
    assert (counts.errors, counts.rules) == (1, 1)
    assert counts.open > 0


def test_the_demo_rules_and_what_fires_on_foodmart():
    out = io.StringIO()
    call_command("demo_alerts", stdout=out)
    text = out.getvalue()
    rules = {r.name: r for r in AlertRule.objects.filter(owner__username="executive")}
    fill = rules["Fill rate below 90 % for a store and warehouse"]
    assert groups(fill) == expected_low_fill_rates(*window(fill, freshness().up_to))
    assert groups(fill)  # FoodMart has low fill rates in its last four weeks
    # No 1996 sale lines: nothing to compare against, no alert.
    assert not rules["Store sales down more than 15 % against last year"].alerts.exists()
    assert "Fill rate below 90 %" in text and "rules checked" in text
    if "Promotion lift below 0" in rules:  # every FoodMart promotion lifted its sales
        assert not rules["Promotion lift below 0"].alerts.exists()
    else:
        assert "skipped: Promotion lift below 0" in text
    call_command("demo_alerts", stdout=io.StringIO())  # again: nothing doubles
    assert AlertRule.objects.filter(owner__username="executive").count() == len(rules)
    assert Alert.objects.open().count() == sum(len(groups(r)) for r in rules.values())
