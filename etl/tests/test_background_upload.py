"""Big uploads load in the background (django-tasks' database backend and
its real worker), with a progress page and their batch at the end."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from etl.models import UploadJob
from sales.models import SaleLine

pytestmark = pytest.mark.django_db

HEADER = (
    "product_id,sale_date,customer_id,promotion_id,store_id,store_sales,store_cost,unit_sales\n"
)


@pytest.fixture(autouse=True)
def worker_keeps_the_test_connection(monkeypatch):
    """The worker closes stale connections between tasks; in a test that
    would close the one holding the test's transaction."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def big_file(rows):
    lines = [f"{1 + i % 50},1998-05-{1 + i % 28:02d},3,0,6,{i}.25,1.00,1\n" for i in range(rows)]
    return (HEADER + "".join(lines)).encode()


def test_a_big_upload_runs_in_the_background_with_progress(
    admin_client_for, settings, django_capture_on_commit_callbacks
):
    settings.ETL_BACKGROUND_BYTES = 1_000
    client = admin_client_for("hq")
    upload = SimpleUploadedFile("may.csv", big_file(500))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:sales_saleline_import"), {"format": "0", "import_file": upload}
        )
    job = UploadJob.objects.get(source_name="may.csv")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:etl_uploadjob_change", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and "queued" in page
    progress = reverse("admin:etl_uploadjob_progress", args=[job.pk])
    assert client.get(progress).json()["status"] == "queued"

    call_command("db_worker", "--batch", "--no-startup-delay", "--max-tasks", "1")

    state = client.get(progress).json()
    assert (state["status"], state["percent"], state["rows_done"]) == ("done", 100, 500)
    job.refresh_from_db()
    assert job.batch.rows_inserted == 500 and job.batch.created_by.username == "hq"
    assert state["batch_url"] == reverse("admin:etl_batch_change", args=[job.batch.pk])
    assert SaleLine.objects.filter(batch=job.batch).count() == 500


def test_a_failed_background_load_says_why_and_loads_nothing(
    admin_client_for, settings, django_capture_on_commit_callbacks
):
    settings.ETL_BACKGROUND_BYTES = 1_000
    client = admin_client_for("hq")
    data = big_file(300).replace(b",6,7.25,", b",999,7.25,")
    before = SaleLine.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:sales_saleline_import"),
            {"format": "0", "import_file": SimpleUploadedFile("bad.csv", data)},
        )
    call_command("db_worker", "--batch", "--no-startup-delay", "--max-tasks", "1")
    job = UploadJob.objects.get(source_name="bad.csv")
    state = client.get(reverse("admin:etl_uploadjob_progress", args=[job.pk])).json()
    assert state["status"] == "failed"
    assert "row 9, column store_id = '999': unknown store" in state["message"]
    assert SaleLine.objects.count() == before


def test_other_users_do_not_see_someone_elses_upload(admin_client_for, settings):
    job = UploadJob.objects.create(
        table="sales_fact", source_name="x.csv", path="/tmp/x.csv", size=1, rows_total=1
    )
    client = admin_client_for("manager")
    assert client.get(reverse("admin:etl_uploadjob_progress", args=[job.pk])).status_code == 404
