"""Partition inventory_delivery by month of delivery_date: see foodmart_site/partitioning.py."""

from django.db import migrations

from foodmart_site.partitioning import partition_by_month


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        partition_by_month(cursor, "inventory_delivery", "delivery_date")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0002_delivery_partition_ready_key")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
