"""Every admin page of every model opens, fast, on the full FoodMart data."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from etl.models import UploadJob
from etl.tasks import load_upload
from sales.models import SaleLine

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
# A changelist's queries do not grow with its rows: session, user,
# permissions, count, page, filters and date hierarchy.
MAX_CHANGELIST_QUERIES = 16


def label(model):
    return model._meta.label


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_changelist_opens_without_n_plus_one(model, admin_client_for):
    client = admin_client_for("admin")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) <= MAX_CHANGELIST_QUERIES, [q["sql"] for q in queries]


def make_a_row_if_foodmart_has_none(model):
    """Tables that loads and jobs fill, not FoodMart: give them one row."""
    if model.objects.exists():
        return
    if model is UploadJob:
        UploadJob.objects.create(
            table="sales_fact", source_name="a.csv", path="/tmp/a.csv", size=1, rows_total=1
        )
    elif model._meta.model_name == "dbtaskresult":
        load_upload.enqueue(0)  # queued, never run here
    elif model._meta.app_label == "axes":  # login throttling's records
        fields = {"username": "hq", "ip_address": "203.0.113.7", "path_info": "/admin/login/"}
        if model._meta.model_name == "accessattempt":
            fields |= {"get_data": "", "post_data": "", "failures_since_start": 1}
        model.objects.create(user_agent="test", http_accept="*/*", **fields)
    elif model._meta.label == "workbench.Run":  # the workbench's run log
        model.objects.create(username="analyst", sql="SELECT 1", started_at=timezone.now(), rows=1)
    elif model._meta.app_label == "subscriptions":
        make_subscription_rows()


def make_subscription_rows():
    """A subscription, an alert rule and an alert of the admin user's."""
    from people.models import User
    from subscriptions.models import Alert, AlertRule, Subscription

    admin_user = User.objects.get(username="admin")
    Subscription.objects.create(user=admin_user, report="products", frequency="weekly")
    rule = AlertRule.objects.create(
        owner=admin_user,
        name="Fill rate below 90 %",
        fact="deliveries",
        measure="fill_rate",
        levels="store_name",
        comparison=AlertRule.Comparison.choices[0][0],
        threshold="0.9",
    )
    Alert.objects.create(
        rule=rule,
        values={"store_name": "Store 6"},
        value="0.8",
        window_from="1998-01-01",
        window_to="1998-01-28",
    )


@pytest.mark.parametrize("model", REGISTERED, ids=label)
def test_change_view_of_first_row_opens(model, admin_client_for):
    make_a_row_if_foodmart_has_none(model)
    obj = model.objects.order_by("pk").first()
    client = admin_client_for("admin")
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url_name,query,expected",
    [
        ("admin:sales_customer_changelist", "Nowmer", "Sheri Nowmer"),
        ("admin:inventory_product_changelist", "Berry Juice", "Washington Berry Juice"),
        ("admin:people_employee_changelist", "Whelply", "Derrick Whelply"),
        ("admin:inventory_store_changelist", "Beverly Hills", "Store 6"),
    ],
)
def test_search_finds_the_row(url_name, query, expected, admin_client_for):
    response = admin_client_for("admin").get(reverse(url_name), {"q": query})
    assert expected in response.content.decode()


def test_sale_lines_drill_by_date_hierarchy(admin_client_for):
    url = reverse("admin:sales_saleline_changelist")
    response = admin_client_for("admin").get(url, {"sale_date__year": 1997, "sale_date__month": 3})
    march = SaleLine.objects.filter(sale_date__year=1997, sale_date__month=3)
    assert response.context["cl"].queryset.count() == march.count() > 0


def test_autocomplete_returns_customers(admin_client_for):
    response = admin_client_for("admin").get(
        reverse("admin:autocomplete"),
        {
            "term": "Nowmer",
            "app_label": "sales",
            "model_name": "saleline",
            "field_name": "customer",
        },
    )
    assert response.status_code == 200
    assert any("Nowmer" in r["text"] for r in response.json()["results"])


def test_pages_need_login(client):
    url = reverse("admin:sales_saleline_changelist")
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/").status_code == 302
