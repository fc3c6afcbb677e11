"""The demo's generated 1998: FoodMart's 1997 lines of January to June,
one year later, sales scaled per store; labelled, loaded once, undone by
a rollback; what it lets the overview show."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from etl.demo import GENERATED
from etl.models import Batch
from etl.pipeline import rollback
from reports.tests import foodmart_frames as fm
from sales.models import SaleLine

pytestmark = pytest.mark.django_db


def first_half(frame):
    return frame[frame.sale_date <= "1997-06-30"]


def test_the_generated_half_year_follows_its_rule(admin_client_for):
    out = io.StringIO()
    call_command("demo_sales_1998", stdout=out)
    batch = Batch.objects.get(source_name=GENERATED)
    source = first_half(fm.sales())
    assert batch.rows_inserted == len(source) == SaleLine.objects.filter(batch=batch).count()
    store_7 = SaleLine.objects.filter(batch=batch, store_id=7)
    total = sum(line.store_sales for line in store_7)
    expected = sum(
        (v * Decimal("0.80")).quantize(Decimal("0.0001"))
        for v in source[source.store_id == "7"]["store_sales"]
    )
    assert total == expected
    assert min(line.sale_date for line in store_7).year == 1998
    call_command("demo_sales_1998", stdout=out)  # a second run changes nothing
    assert "already loaded" in out.getvalue()
    assert SaleLine.objects.filter(batch__source_name=GENERATED).count() == len(source)

    # The overview now compares with a year before, and same-store growth has its base.
    response = admin_client_for("executive").get("/reports/overview/")
    assert response.context["value"] == "1998-Q2"
    tiles = {t.name: t for t in response.context["tiles"]}
    assert tiles["store_sales"].vs_last_year is not None
    same = response.context["same_store"]
    assert "Store 7" in same.stores and same.growth is not None

    rollback(batch)
    assert not SaleLine.objects.filter(sale_date__year=1998).exists()
