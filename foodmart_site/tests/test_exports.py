"""Exports of changelists: scoped, filtered, and safe to open."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from foodmart_site.exports import neutralise
from inventory.models import Store
from people.models import Employee

pytestmark = pytest.mark.django_db

CSV, XLSX = "0", "1"


def export(client, model, file_format, query=""):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_export") + query
    form = client.get(url).context["form"]
    data = {name: "on" for name, field in form.fields.items() if field.initial is True}
    data.update(format=file_format, resource="")
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    "value,expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1-555-0100", "'+1-555-0100"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-12.5", "-12.5"),
        ("Jones", "Jones"),
        (42, 42),
    ],
)
def test_formula_like_text_is_neutralised_and_numbers_are_not(value, expected):
    assert neutralise(value) == expected


def test_manager_exports_only_their_store(admin_client_for):
    rows = csv_rows(export(admin_client_for("manager"), Employee, CSV))
    assert len(rows) == Employee.objects.filter(store_id=6).count() > 0
    assert {r["store"] for r in rows} == {"6"}


def test_export_follows_the_changelist_filters(admin_client_for):
    rows = csv_rows(export(admin_client_for("hq"), Store, CSV, "?store_type__exact=Supermarket"))
    assert {r["store_type"] for r in rows} == {"Supermarket"}
    assert len(rows) == Store.objects.filter(store_type="Supermarket").count()


def test_a_formula_in_a_record_does_not_run_in_the_csv_or_xlsx(admin_client_for):
    Store.objects.filter(pk=6).update(store_manager='=HYPERLINK("http://evil","x")')
    client = admin_client_for("analyst")
    [row] = [r for r in csv_rows(export(client, Store, CSV)) if r["id"] == "6"]
    assert row["store_manager"].startswith("'=")
    book = openpyxl.load_workbook(io.BytesIO(export(client, Store, XLSX).content))
    cells = [c for row in book.active.iter_rows() for c in row if c.value]
    evil = [c for c in cells if "HYPERLINK" in str(c.value)]
    assert evil and all(c.data_type == "s" and c.value.startswith("'=") for c in evil)
