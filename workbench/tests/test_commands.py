import io

import pytest
from django.core.management import call_command
from explorer.models import Query

from workbench.starter_queries import STARTER_QUERIES

pytestmark = pytest.mark.django_db


def test_setup_workbench_reports_and_resets_edited_starters():
    query = Query.objects.get(title=STARTER_QUERIES[0].title)
    query.sql = "SELECT 1"
    query.save()
    out = io.StringIO()
    call_command("setup_workbench", stdout=out)
    assert "starter queries added or reset: 0" in out.getvalue()
    call_command("setup_workbench", "--reset-starters", stdout=out)
    query.refresh_from_db()
    assert query.sql == STARTER_QUERIES[0].sql


def test_setup_workbench_sql_prints_what_a_dba_would_run():
    out = io.StringIO()
    call_command("setup_workbench", "--sql", stdout=out)
    text = out.getvalue()
    assert 'CREATE ROLE "foodmart_workbench" LOGIN NOSUPERUSER' in text
    assert "SET \"default_transaction_read_only\" = 'on'" in text
    assert 'GRANT SELECT ON TABLE "public"."etl_batch"' in text
    assert "people_user" not in text


def test_set_up_rewrites_explorers_connection_after_a_new_secret_key():
    """Explorer encrypts the row's host, user and password with the
    SECRET_KEY: after a new key it cannot read its own row back."""
    from django.core.signing import BadSignature
    from django.db import connection
    from explorer.ee.db_connections.models import DatabaseConnection

    from workbench import services

    with connection.cursor() as cursor:  # as if written under another key
        cursor.execute(
            "UPDATE explorer_databaseconnection SET host = %s WHERE alias = %s",
            [b"\x80written-with-another-key", services.WORKBENCH_ALIAS],
        )
    with pytest.raises(BadSignature):
        DatabaseConnection.objects.get(alias=services.WORKBENCH_ALIAS)
    services.set_up_explorer_connection()
    healed = DatabaseConnection.objects.get(alias=services.WORKBENCH_ALIAS)
    assert (healed.default, healed.host, healed.user) == (True, "", None)
