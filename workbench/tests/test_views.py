"""The workbench's pages: who gets in, running, saving, sharing,
parameters, exports, and the refusals as an analyst meets them."""

import io

import openpyxl
import pytest
from django.urls import reverse
from explorer.models import Query

from sales.models import SaleLine
from workbench.models import Run

pytestmark = pytest.mark.django_db(databases=["default", "workbench"])


def starter(title_start: str) -> Query:
    return Query.objects.get(title__startswith=title_start)


@pytest.mark.parametrize("username", ["manager", "hq", "executive"])
@pytest.mark.parametrize(
    "url",
    [
        "/workbench/",
        "/workbench/play/",
        "/workbench/new/",
        "/workbench/logs/",
        "/workbench/schema/workbench",
    ],
)
def test_other_roles_get_403(admin_client_for, username, url):
    assert admin_client_for(username).get(url).status_code == 403


@pytest.mark.parametrize("username", ["manager", "hq", "executive"])
def test_other_roles_cannot_run_or_export_a_saved_query(admin_client_for, username):
    client = admin_client_for(username)
    query = starter("Monthly sales")
    assert client.get(f"/workbench/{query.pk}/").status_code == 403
    assert client.get(f"/workbench/{query.pk}/download?format=csv").status_code == 403
    assert client.post("/workbench/play/", {"sql": "SELECT 1"}).status_code == 403
    assert not Run.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("username", ["analyst", "admin"])
def test_analysts_and_superusers_see_the_starter_queries(admin_client_for, username):
    response = admin_client_for(username).get("/workbench/")
    assert response.status_code == 200
    assert b"Promotion lift by media type" in response.content
    assert b"Products often bought together" in response.content


def test_analyst_runs_a_starter_query_and_sees_the_table_and_chart(admin_client_for):
    query = starter("Monthly sales")
    response = admin_client_for("analyst").get(f"/workbench/{query.pk}/")
    assert response.status_code == 200
    assert response.context["error"] is None
    assert response.context["headers"][0].title == "month"
    assert [row[0] for row in response.context["data"]][:2] == ["1997-01", "1997-02"]
    assert response.context["line_chart_svg"].lstrip().startswith("<?xml")


def test_parameters_choose_the_store_and_dates(admin_client_for):
    query = starter("Sales of one store by month")
    url = f"/workbench/{query.pk}/?params=store_id:7|start:1997-03-01|end:1997-05-01"
    response = admin_client_for("analyst").get(url)
    rows = response.context["data"]
    assert [row[0] for row in rows] == ["1997-03", "1997-04"]
    march = SaleLine.objects.filter(store_id=7, sale_date__month=3)
    assert rows[0][2] == pytest.approx(float(sum(s.store_sales for s in march)))


def test_analyst_saves_a_query_and_a_colleague_sees_and_runs_it(admin_client_for):
    from people.models import User
    from people.roles import ANALYSTS

    client = admin_client_for("analyst")
    response = client.post(
        "/workbench/new/",
        {
            "title": "Store 6 by product family",
            "description": "For the Beverly Hills review.",
            "sql": "SELECT c.product_family, count(*) AS lines FROM sales_saleline s "
            "JOIN inventory_product p ON p.id = s.product_id "
            "JOIN inventory_productclass c ON c.id = p.product_class_id "
            "WHERE s.store_id = 6 GROUP BY 1 ORDER BY 1",
            "database_connection": Query.objects.first().database_connection_id,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    saved = Query.objects.get(title="Store 6 by product family")
    assert saved.created_by_user.username == "analyst"

    colleague = User.objects.create_user("analyst2", password="another-demo-pass")
    colleague.is_staff = True
    colleague.save()
    colleague.groups.add(*User.objects.get(username="analyst").groups.filter(name=ANALYSTS))
    client.logout()
    client.force_login(colleague)
    assert b"Store 6 by product family" in client.get("/workbench/").content
    response = client.get(f"/workbench/{saved.pk}/")
    assert [row[0] for row in response.context["data"]] == ["Drink", "Food", "Non-Consumable"]


def test_a_write_is_refused_and_changes_nothing(admin_client_for):
    client = admin_client_for("analyst")
    before = SaleLine.objects.count()
    # The keyword blacklist stops this one before the database sees it ...
    response = client.post("/workbench/play/", {"sql": "DELETE FROM sales_saleline"})
    assert "Query failed the SQL blacklist" in response.context["error"]
    # ... and the database stops what the blacklist does not recognise.
    response = client.post(
        "/workbench/play/",
        {"sql": "SELECT set_config('transaction_read_only', 'off', true)"},
    )
    assert "read-write mode" in response.context["error"]
    assert SaleLine.objects.count() == before


def test_csv_export_of_a_saved_query(admin_client_for):
    query = starter("Stores ranked by sales per square foot")
    response = admin_client_for("analyst").get(f"/workbench/{query.pk}/download?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    filename = 'filename="Stores_ranked_by_sales_per_square_foot.csv"'
    assert filename in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "store_name,store_type,store_city,store_sqft,sales,sales_per_sqft,rank"
    assert len(lines) > 10


def test_exports_neutralise_formulas(admin_client_for):
    sql = """SELECT '=HYPERLINK("http://evil.example")' AS "=cmd", -5 AS n"""
    client = admin_client_for("analyst")
    csv = client.post("/workbench/download?format=csv", {"sql": sql}).content.decode("utf-8-sig")
    assert csv.splitlines() == ["'=cmd,n", """"'=HYPERLINK(""http://evil.example"")",-5"""]
    xlsx = client.post("/workbench/download?format=excel", {"sql": sql})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[2]] == ["""'=HYPERLINK("http://evil.example")""", -5]


def test_xlsx_export(admin_client_for):
    query = starter("Promotion lift by media type")
    response = admin_client_for("analyst").get(f"/workbench/{query.pk}/download?format=excel")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:2] == ["media_type", "promotions"]
    assert sheet.max_row > 5


def test_a_cut_export_says_so_in_its_name(admin_client_for, settings):
    settings.WORKBENCH_MAX_ROWS = 10
    response = admin_client_for("analyst").post(
        "/workbench/download?format=csv", {"sql": "SELECT generate_series(1, 50) AS n"}
    )
    assert "-first-10-rows.csv" in response["Content-Disposition"]
    assert len(response.content.decode("utf-8-sig").splitlines()) == 11


@pytest.mark.parametrize(
    "name", ["explorer_connections", "explorer_connection_create", "explorer_upload", "assistant"]
)
def test_other_databases_uploads_and_the_assistant_are_switched_off(admin_client_for, name):
    assert admin_client_for("admin").get(reverse(name)).status_code == 404


def test_analysts_cannot_open_the_run_log_in_the_admin(admin_client_for):
    assert admin_client_for("analyst").get("/admin/workbench/run/").status_code == 403
    assert admin_client_for("admin").get("/admin/workbench/run/").status_code == 200


@pytest.mark.parametrize("username, shown", [("analyst", True), ("admin", True), ("hq", False)])
def test_the_admin_index_links_to_the_workbench(admin_client_for, username, shown):
    content = admin_client_for(username).get("/admin/").content
    assert (b'<a href="/workbench/">SQL workbench</a>' in content) is shown
