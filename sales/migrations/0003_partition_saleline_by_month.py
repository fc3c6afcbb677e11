"""Partition sales_saleline by month of sale_date: see foodmart_site/partitioning.py."""

from django.db import migrations

from foodmart_site.partitioning import partition_by_month


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        partition_by_month(cursor, "sales_saleline", "sale_date")


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_saleline_partition_ready_key")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
