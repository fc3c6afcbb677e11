"""Every starter query is saved in the workbench and runs on the
FoodMart data, with its parameters' defaults, as the reader role."""

import pytest
from django.db.models import Sum
from explorer.models import Query

from sales.models import SaleLine
from workbench.services import WORKBENCH_ALIAS
from workbench.starter_queries import STARTER_QUERIES

pytestmark = pytest.mark.django_db(databases=["default", "workbench"])


def test_a_dozen_starter_queries_are_saved_on_the_read_only_connection():
    saved = Query.objects.filter(title__in=[s.title for s in STARTER_QUERIES])
    assert saved.count() == len(STARTER_QUERIES) >= 12
    assert {q.database_connection.alias for q in saved} == {WORKBENCH_ALIAS}
    assert all(q.description for q in saved)


@pytest.mark.parametrize("starter", STARTER_QUERIES, ids=lambda s: s.title)
def test_starter_query_runs_and_returns_rows(starter):
    query = Query.objects.get(title=starter.title)
    assert query.passes_blacklist()[0]
    result = query.execute()
    assert result.data, f"{starter.title} returned no rows"
    assert len(result.headers) >= 2


def test_monthly_sales_add_up_to_the_sale_lines():
    result = Query.objects.get(title="Monthly sales, whole chain").execute()
    total = SaleLine.objects.aggregate(total=Sum("store_sales"))["total"]
    assert sum(row[1] for row in result.data) == pytest.approx(float(total))


def test_fill_rate_query_finds_only_short_deliveries():
    result = Query.objects.get(title__startswith="Deliveries with a fill rate").execute()
    fill_rates = [row[-1] for row in result.data]
    assert fill_rates and max(fill_rates) < 95
    assert fill_rates == sorted(fill_rates)
