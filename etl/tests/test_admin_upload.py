"""Spreadsheet uploads in the admin: choose a file, preview, confirm, with
the pipeline's verdict (the same as on the command line)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from etl.models import Batch
from inventory.models import Store
from sales.models import Expense, SaleLine

pytestmark = pytest.mark.django_db

SALES = (
    "product_id,sale_date,customer_id,promotion_id,store_id,store_sales,store_cost,unit_sales\n"
)


def upload(client, model, name, text):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_import")
    form = client.get(url).context["form"]
    data = {"format": "0", "import_file": SimpleUploadedFile(name, text.encode())}
    if "resource" in form.fields:
        data["resource"] = "0"
    return client.post(url, data)


def confirm(client, model, preview):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_process_import")
    form = preview.context["confirm_form"]
    return client.post(url, {k: form.initial[k] for k in form.initial}, follow=True)


def test_a_bad_row_is_shown_with_its_error_and_nothing_loads(admin_client_for):
    client = admin_client_for("hq")
    text = SALES + "1,1998-04-02,3,0,6,2.50,1.00,1\n1,1998-04-03,3,0,999,2.50,1.00,1\n"
    before = SaleLine.objects.count()
    preview = upload(client, SaleLine, "april.csv", text)
    result = preview.context["result"]
    [invalid] = result.invalid_rows
    assert invalid.number == 3
    assert invalid.field_specific_errors == {"store_id": ["'999': unknown store"]}
    assert "999" in invalid.values
    assert preview.context.get("confirm_form") is None
    assert SaleLine.objects.count() == before


def test_a_good_file_previews_as_new_and_loads_on_confirm(admin_client_for):
    client = admin_client_for("hq")
    text = SALES + "1,1998-04-02,3,0,6,2.50,1.00,1\n2,1998-04-03,3,0,6,3.50,1.50,2\n"
    preview = upload(client, SaleLine, "april.csv", text)
    result = preview.context["result"]
    assert [r.import_type for r in result.valid_rows()] == ["new", "new"]
    assert not SaleLine.objects.filter(sale_date="1998-04-02").exists()  # a preview only
    done = confirm(client, SaleLine, preview)
    batch = Batch.objects.get(source_name="april.csv", status="done")
    assert done.redirect_chain[-1][0] == reverse("admin:etl_batch_change", args=[batch.pk])
    assert (batch.started_by, batch.created_by.username, batch.rows_inserted) == ("admin", "hq", 2)
    assert SaleLine.objects.filter(batch=batch).count() == 2


def test_a_dimension_preview_tells_new_changed_and_unchanged(admin_client_for):
    text = (
        "store_id,store_type,region_id,store_name,store_number,store_street_address,"
        "store_city,store_state,store_postal_code,store_country\n"
        "6,Gourmet Supermarket,47,Store 6,6,5495 Mitchell Canyon Road,Beverly Hills,CA,55555,USA\n"
        "7,Supermarket,3,Store Seven,7,1077 Wharf Drive,Los Angeles,CA,55555,USA\n"
        "99,Supermarket,3,Store 99,99,1 New Road,Los Angeles,CA,55555,USA\n"
    )
    preview = upload(admin_client_for("hq"), Store, "stores.csv", text)
    types = [r.import_type for r in preview.context["result"].valid_rows()]
    assert types == ["skip", "update", "new"]


def test_a_manager_cannot_upload_rows_for_another_store(admin_client_for):
    text = (
        "store_id,account_id,exp_date,category_id,currency_id,amount\n"
        "6,4100,1999-01-01,ACTUAL,1,10.00\n7,4100,1999-01-01,ACTUAL,1,10.00\n"
    )
    before = Expense.objects.count()
    preview = upload(admin_client_for("manager"), Expense, "expenses.csv", text)
    [invalid] = preview.context["result"].invalid_rows
    assert invalid.number == 3
    assert invalid.field_specific_errors["store_id"] == ["'7': store 7 is not one of your stores"]
    assert Expense.objects.count() == before


def test_an_unreadable_file_is_a_clear_error(admin_client_for):
    preview = upload(admin_client_for("hq"), SaleLine, "sales.csv", "\x00\x01\x02binary")
    [error] = preview.context["result"].base_errors
    assert "a binary file, not a CSV or XLSX sheet" in str(error.error)


def test_readers_cannot_upload(admin_client_for):
    url = reverse("admin:sales_saleline_import")
    assert admin_client_for("executive").get(url).status_code == 403
