"""Rollup rows are updated in place by every load: leave room on each page
for the new versions (HOT updates, no index change) and vacuum them
sooner than the default 20 % of dead rows."""

from django.db import migrations

TABLES = [
    "rollup_sales_day_store_promotion",
    "rollup_sales_month_store_customer",
    "rollup_sales_month_store_class",
    "rollup_sales_day_store_customer",
    "rollup_sales_month_store_product",
]
SETTINGS = (
    "fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, "
    "autovacuum_analyze_scale_factor = 0.02"
)
RESET = "fillfactor, autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor"


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_fiscal_calendar")]

    operations = [
        migrations.RunSQL(
            "".join(f"ALTER TABLE {t} SET ({SETTINGS});" for t in TABLES),
            "".join(f"ALTER TABLE {t} RESET ({RESET});" for t in TABLES),
        )
    ]
