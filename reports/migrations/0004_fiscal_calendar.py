"""The 4-5-4 retail calendar's days (reports/fiscal.py fills them)."""

from django.db import migrations


def fill(apps, schema_editor):
    from reports import fiscal

    with schema_editor.connection.cursor() as cursor:
        fiscal.fill(cursor)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_basket_rollup")]

    operations = [
        migrations.RunSQL(
            "CREATE TABLE reports_fiscalday ("
            " day date PRIMARY KEY,"
            " fiscal_year text NOT NULL,"
            " fiscal_quarter text NOT NULL,"
            " fiscal_period text NOT NULL,"
            " fiscal_week text NOT NULL)",
            "DROP TABLE reports_fiscalday",
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
