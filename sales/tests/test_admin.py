"""The sale lines' admin search: the same answers as Django's own search,
found through indexes instead of a scan of every line."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.admin import periods, with_probed_dates
from sales.models import SaleLine

pytestmark = pytest.mark.django_db

URL = reverse("admin:sales_saleline_changelist")


def found(client, term):
    response = client.get(URL, {"q": term})
    assert response.status_code == 200
    return response.context["cl"].queryset


def test_a_word_finds_the_lines_of_every_product_whose_name_has_it(admin_client_for):
    lines = found(admin_client_for("hq"), "shitake")
    expected = SaleLine.objects.filter(product__product_name__icontains="shitake")
    assert set(lines.values_list("pk", flat=True)) == set(expected.values_list("pk", flat=True))
    assert lines.count() > 0


def test_every_word_must_match(admin_client_for):
    lines = found(admin_client_for("hq"), 'Washington "Berry Juice"')
    names = set(lines.values_list("product__product_name", flat=True))
    assert names == {"Washington Berry Juice", "Washington Cranberry Juice"}


def test_a_number_finds_a_line_or_a_customer(admin_client_for):
    line = SaleLine.objects.order_by("pk").first()
    by_id = found(admin_client_for("hq"), str(line.pk))
    assert line in by_id
    customer = found(admin_client_for("hq"), str(line.customer_id))
    assert set(customer.values_list("customer_id", flat=True)) >= {line.customer_id}
    expected = SaleLine.objects.filter(customer_id=line.customer_id).count()
    assert customer.filter(customer_id=line.customer_id).count() == expected


def test_the_search_reads_lines_by_product_id_not_through_a_join(admin_client_for):
    client = admin_client_for("hq")
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"q": "shitake"})
    lines = [q["sql"] for q in queries if 'FROM "sales_saleline"' in q["sql"]]
    assert lines
    for sql in lines:
        assert "product_name" not in sql.split("WHERE", 1)[-1]
        assert "::text" not in sql and "CAST(" not in sql


def test_a_manager_still_sees_only_their_store(admin_client_for):
    lines = found(admin_client_for("manager"), "shitake")
    assert set(lines.values_list("store_id", flat=True)) <= {6}


@pytest.mark.parametrize("kind", ["year", "month"])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_probed_dates_are_djangos_dates(kind, order):
    for lines in [
        SaleLine.objects.all(),
        SaleLine.objects.filter(store_id=6),
        SaleLine.objects.filter(sale_date__year=1997, product__product_name__icontains="juice"),
        SaleLine.objects.none(),
    ]:
        expected = list(lines.dates("sale_date", kind, order))
        assert with_probed_dates(lines).dates("sale_date", kind, order) == expected


def test_periods_cross_the_new_year():
    months = list(periods(dt.date(1997, 11, 20), dt.date(1998, 2, 1), "month"))
    assert [start for start, _ in months] == [
        dt.date(1997, 11, 1),
        dt.date(1997, 12, 1),
        dt.date(1998, 1, 1),
        dt.date(1998, 2, 1),
    ]
    assert months[1][1] == dt.date(1998, 1, 1)


def test_the_date_hierarchy_offers_the_years_and_months_with_lines(admin_client_for):
    client = admin_client_for("hq")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL).content.decode()
    # FoodMart's lines are all of 1997: the hierarchy opens on its months.
    assert "?sale_date__month=12&amp;sale_date__year=1997" in page
    assert not any("DATE_TRUNC" in q["sql"] for q in queries)
    days = client.get(URL, {"sale_date__year": "1997", "sale_date__month": "12"})
    assert "sale_date__day=30" in days.content.decode()
