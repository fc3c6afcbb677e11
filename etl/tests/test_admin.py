"""Import batches in the admin: the list, the problem report, rollback."""

import pandas as pd
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from etl.models import Batch
from etl.pipeline import LoadFailed, run
from people.models import User
from sales.models import SaleLine

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:etl_batch_changelist")


def new_sales(store_id=6):
    frame = pd.DataFrame(
        {
            "product_id": [1, 2],
            "sale_date": ["1998-03-02", "1998-03-03"],
            "customer_id": [3, 3],
            "promotion_id": [0, 0],
            "store_id": [store_id, store_id],
            "store_sales": ["2.50", "3.50"],
            "store_cost": ["1.00", "1.50"],
            "unit_sales": [1, 2],
        }
    )
    return run(frame, table="sales_fact", source_name="march.csv")


def test_hq_confirms_and_rolls_back_a_batch(admin_client_for):
    batch = new_sales()
    before = SaleLine.objects.count()
    client = admin_client_for("hq")
    data = {"action": "roll_back", ACTION_CHECKBOX_NAME: [batch.pk]}
    confirm = client.post(CHANGELIST, data)
    page = confirm.content.decode()
    assert "Roll back these batches?" in page and "removes 2 inserted row(s)" in page
    assert SaleLine.objects.count() == before  # nothing happens before confirming
    done = client.post(CHANGELIST, {**data, "confirmed": "yes"}, follow=True)
    assert f"Batch {batch.pk} rolled back: 2 row(s) removed." in done.content.decode()
    assert SaleLine.objects.count() == before - 2
    batch.refresh_from_db()
    assert batch.status == Batch.Status.ROLLED_BACK


def test_executive_sees_batches_but_cannot_roll_back(admin_client_for):
    batch = new_sales()
    client = admin_client_for("executive")
    response = client.get(CHANGELIST)
    assert response.status_code == 200 and "march.csv" in response.content.decode()
    assert "roll_back" not in response.content.decode()
    data = {"action": "roll_back", ACTION_CHECKBOX_NAME: [batch.pk], "confirmed": "yes"}
    client.post(CHANGELIST, data)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE


def test_the_problem_report_downloads_as_csv(admin_client_for):
    with pytest.raises(LoadFailed) as failed:
        new_sales(store_id=999)
    batch = failed.value.batch
    response = admin_client_for("hq").get(reverse("admin:etl_batch_report", args=[batch.pk]))
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert body.splitlines()[0] == "file,row,column,value,reason"
    assert "march.csv,2,store_id,999,unknown store" in body


def test_a_manager_sees_only_their_own_loads(admin_client_for):
    theirs = run(
        pd.DataFrame(
            {
                "store_id": [6],
                "account_id": [4100],
                "exp_date": ["1999-02-01"],
                "category_id": ["ACTUAL"],
                "currency_id": [1],
                "amount": ["5.00"],
            }
        ),
        table="expense_fact",
        user=User.objects.get(username="manager"),
        source_name="mine.csv",
    )
    new_sales()  # someone else's
    shown = admin_client_for("manager").get(CHANGELIST).context["cl"].queryset
    assert list(shown) == [theirs]
