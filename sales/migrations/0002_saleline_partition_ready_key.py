"""Make (id, sale_date) the primary key of sales_saleline.

PostgreSQL requires a partitioned table's keys to contain the partition
column; the fact tables will be partitioned by month, so the key includes
the date from the start. Django still addresses rows by id, which the
identity column keeps unique.
"""

from django.db import migrations

TABLE = "sales_saleline"


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey, "
            f"ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id, sale_date)",
            reverse_sql=f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey, "
            f"ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id)",
        )
    ]
