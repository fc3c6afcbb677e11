"""Every run is logged: who, which page, which query, the SQL, how long
and how many rows; failed runs with their error."""

import pytest
from explorer import models as explorer_models
from explorer.models import Query

from workbench.models import Run
from workbench.runs import RecordedQueryResult

pytestmark = pytest.mark.django_db(databases=["default", "workbench"])


def test_explorer_runs_its_queries_through_the_recording_result():
    assert explorer_models.QueryResult is RecordedQueryResult


def test_a_page_run_is_logged(admin_client_for):
    query = Query.objects.get(title="Monthly sales, whole chain")
    admin_client_for("analyst").get(f"/workbench/{query.pk}/")
    run = Run.objects.get()
    assert (run.username, run.user.username, run.door) == ("analyst", "analyst", "query_detail")
    assert run.query == query
    assert run.sql == query.sql
    assert run.rows == 12
    assert run.duration_ms > 0
    assert run.succeeded


def test_an_export_is_logged(admin_client_for):
    query = Query.objects.get(title="Staff tenure by position")
    admin_client_for("analyst").get(f"/workbench/{query.pk}/download?format=csv")
    run = Run.objects.get()
    assert (run.door, run.query, run.rows) == ("download_query", query, 18)


def test_a_refused_run_is_logged_with_its_error(admin_client_for):
    admin_client_for("admin").post("/workbench/play/", {"sql": "SELECT * FROM people_user"})
    run = Run.objects.get()
    assert (run.username, run.door, run.rows) == ("admin", "explorer_playground", None)
    assert "permission denied for table people_user" in run.error
    assert not run.succeeded


def test_the_log_says_how_many_rows_came_back_when_the_result_is_cut(admin_client_for, settings):
    settings.WORKBENCH_MAX_ROWS = 5
    admin_client_for("analyst").post("/workbench/play/", {"sql": "SELECT generate_series(1, 40)"})
    assert Run.objects.get().rows == 40
