"""The day x store x customer rollup (one row per basket), and the
sale-line triggers recreated to keep it too (generated from
reports/rollups.py, then frozen here)."""

import importlib

from django.db import migrations

SECOND = importlib.import_module("reports.migrations.0002_class_rollup")

CREATE = """
CREATE TABLE rollup_sales_day_store_customer (
  sale_date date NOT NULL,
  store_id integer NOT NULL,
  customer_id integer NOT NULL,
  unit_sales numeric(20, 4) NOT NULL,
  store_sales numeric(20, 4) NOT NULL,
  store_cost numeric(20, 4) NOT NULL,
  sale_lines bigint NOT NULL,
  PRIMARY KEY (sale_date, store_id, customer_id)
);
CREATE INDEX rollup_sales_day_store_customer_empty ON rollup_sales_day_store_customer (sale_date, store_id, customer_id) WHERE sale_lines = 0;
CREATE INDEX rollup_sales_day_store_customer_store_id ON rollup_sales_day_store_customer (store_id, sale_date);
CREATE INDEX rollup_sales_day_store_customer_customer_id ON rollup_sales_day_store_customer (customer_id, sale_date);
"""

TRIGGERS = """
DROP FUNCTION reports_sales_saleline_rollups() CASCADE;

CREATE FUNCTION reports_sales_saleline_rollups() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO rollup_sales_day_store_promotion AS r (sale_date, store_id, promotion_id, unit_sales, store_sales, store_cost, sale_lines) SELECT x.sale_date, x.store_id, x.promotion_id, -sum(x.unit_sales), -sum(x.store_sales), -sum(x.store_cost), -count(*) FROM old_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, promotion_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', x.sale_date)::date, x.store_id, x.customer_id, -sum(x.unit_sales), -sum(x.store_sales), -sum(x.store_cost), -count(*) FROM old_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_class AS r (sale_date, store_id, product_class_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', x.sale_date)::date, x.store_id, v.product_class_id, -sum(x.unit_sales), -sum(x.store_sales), -sum(x.store_cost), -count(*) FROM old_rows x JOIN inventory_product v ON v.id = x.product_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, product_class_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_day_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT x.sale_date, x.store_id, x.customer_id, -sum(x.unit_sales), -sum(x.store_sales), -sum(x.store_cost), -count(*) FROM old_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_product AS r (sale_date, store_id, product_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', x.sale_date)::date, x.store_id, x.product_id, -sum(x.unit_sales), -sum(x.store_sales), -sum(x.store_cost), -count(*) FROM old_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, product_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    DELETE FROM rollup_sales_day_store_promotion WHERE sale_lines = 0;
    DELETE FROM rollup_sales_month_store_customer WHERE sale_lines = 0;
    DELETE FROM rollup_sales_month_store_class WHERE sale_lines = 0;
    DELETE FROM rollup_sales_day_store_customer WHERE sale_lines = 0;
    DELETE FROM rollup_sales_month_store_product WHERE sale_lines = 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO rollup_sales_day_store_promotion AS r (sale_date, store_id, promotion_id, unit_sales, store_sales, store_cost, sale_lines) SELECT x.sale_date, x.store_id, x.promotion_id, sum(x.unit_sales), sum(x.store_sales), sum(x.store_cost), count(*) FROM new_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, promotion_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', x.sale_date)::date, x.store_id, x.customer_id, sum(x.unit_sales), sum(x.store_sales), sum(x.store_cost), count(*) FROM new_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_class AS r (sale_date, store_id, product_class_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', x.sale_date)::date, x.store_id, v.product_class_id, sum(x.unit_sales), sum(x.store_sales), sum(x.store_cost), count(*) FROM new_rows x JOIN inventory_product v ON v.id = x.product_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, product_class_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_day_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT x.sale_date, x.store_id, x.customer_id, sum(x.unit_sales), sum(x.store_sales), sum(x.store_cost), count(*) FROM new_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_product AS r (sale_date, store_id, product_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', x.sale_date)::date, x.store_id, x.product_id, sum(x.unit_sales), sum(x.store_sales), sum(x.store_cost), count(*) FROM new_rows x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, product_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
  END IF;
  RETURN NULL;
END
$body$;
CREATE TRIGGER reports_sales_saleline_rollups_insert AFTER INSERT ON sales_saleline
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_sales_saleline_rollups();
CREATE TRIGGER reports_sales_saleline_rollups_update AFTER UPDATE ON sales_saleline
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION reports_sales_saleline_rollups();
CREATE TRIGGER reports_sales_saleline_rollups_delete AFTER DELETE ON sales_saleline
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_sales_saleline_rollups();
"""

BACKFILL = """
INSERT INTO rollup_sales_day_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT x.sale_date, x.store_id, x.customer_id, sum(x.unit_sales), sum(x.store_sales), sum(x.store_cost), count(*) FROM sales_saleline x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_class_rollup")]

    operations = [
        migrations.RunSQL(
            CREATE + TRIGGERS + BACKFILL,
            # 0002's triggers drop the function of this one first.
            "DROP TABLE rollup_sales_day_store_customer CASCADE;" + SECOND.TRIGGERS,
        ),
    ]

