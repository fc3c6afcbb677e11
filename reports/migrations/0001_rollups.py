"""The sales rollups and the triggers that keep them exact (generated
from reports/rollups.py's declarations, then frozen here)."""

from django.db import migrations

CREATE = """
CREATE TABLE rollup_sales_day_store_promotion (
  sale_date date NOT NULL,
  store_id integer NOT NULL,
  promotion_id integer NOT NULL,
  unit_sales numeric(20, 4) NOT NULL,
  store_sales numeric(20, 4) NOT NULL,
  store_cost numeric(20, 4) NOT NULL,
  sale_lines bigint NOT NULL,
  PRIMARY KEY (sale_date, store_id, promotion_id)
);
CREATE INDEX rollup_sales_day_store_promotion_empty ON rollup_sales_day_store_promotion (sale_date, store_id, promotion_id) WHERE sale_lines = 0;
CREATE INDEX rollup_sales_day_store_promotion_store_id ON rollup_sales_day_store_promotion (store_id, sale_date);
CREATE INDEX rollup_sales_day_store_promotion_promotion_id ON rollup_sales_day_store_promotion (promotion_id, sale_date);
CREATE TABLE rollup_sales_month_store_customer (
  sale_date date NOT NULL,
  store_id integer NOT NULL,
  customer_id integer NOT NULL,
  unit_sales numeric(20, 4) NOT NULL,
  store_sales numeric(20, 4) NOT NULL,
  store_cost numeric(20, 4) NOT NULL,
  sale_lines bigint NOT NULL,
  PRIMARY KEY (sale_date, store_id, customer_id)
);
CREATE INDEX rollup_sales_month_store_customer_empty ON rollup_sales_month_store_customer (sale_date, store_id, customer_id) WHERE sale_lines = 0;
CREATE INDEX rollup_sales_month_store_customer_store_id ON rollup_sales_month_store_customer (store_id, sale_date);
CREATE INDEX rollup_sales_month_store_customer_customer_id ON rollup_sales_month_store_customer (customer_id, sale_date);
CREATE TABLE rollup_sales_month_store_product (
  sale_date date NOT NULL,
  store_id integer NOT NULL,
  product_id integer NOT NULL,
  unit_sales numeric(20, 4) NOT NULL,
  store_sales numeric(20, 4) NOT NULL,
  store_cost numeric(20, 4) NOT NULL,
  sale_lines bigint NOT NULL,
  PRIMARY KEY (sale_date, store_id, product_id)
);
CREATE INDEX rollup_sales_month_store_product_empty ON rollup_sales_month_store_product (sale_date, store_id, product_id) WHERE sale_lines = 0;
CREATE INDEX rollup_sales_month_store_product_store_id ON rollup_sales_month_store_product (store_id, sale_date);
CREATE INDEX rollup_sales_month_store_product_product_id ON rollup_sales_month_store_product (product_id, sale_date);
"""

TRIGGERS = """
CREATE FUNCTION reports_sales_saleline_rollups() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO rollup_sales_day_store_promotion AS r (sale_date, store_id, promotion_id, unit_sales, store_sales, store_cost, sale_lines) SELECT sale_date, store_id, promotion_id, -sum(unit_sales), -sum(store_sales), -sum(store_cost), -count(*) FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, promotion_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', sale_date)::date, store_id, customer_id, -sum(unit_sales), -sum(store_sales), -sum(store_cost), -count(*) FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_product AS r (sale_date, store_id, product_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', sale_date)::date, store_id, product_id, -sum(unit_sales), -sum(store_sales), -sum(store_cost), -count(*) FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, product_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    DELETE FROM rollup_sales_day_store_promotion WHERE sale_lines = 0;
    DELETE FROM rollup_sales_month_store_customer WHERE sale_lines = 0;
    DELETE FROM rollup_sales_month_store_product WHERE sale_lines = 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO rollup_sales_day_store_promotion AS r (sale_date, store_id, promotion_id, unit_sales, store_sales, store_cost, sale_lines) SELECT sale_date, store_id, promotion_id, sum(unit_sales), sum(store_sales), sum(store_cost), count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, promotion_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', sale_date)::date, store_id, customer_id, sum(unit_sales), sum(store_sales), sum(store_cost), count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
    INSERT INTO rollup_sales_month_store_product AS r (sale_date, store_id, product_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', sale_date)::date, store_id, product_id, sum(unit_sales), sum(store_sales), sum(store_cost), count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, product_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
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

# Rows already loaded (a database that had sales before this migration).
BACKFILL = """
INSERT INTO rollup_sales_day_store_promotion AS r (sale_date, store_id, promotion_id, unit_sales, store_sales, store_cost, sale_lines) SELECT sale_date, store_id, promotion_id, sum(unit_sales), sum(store_sales), sum(store_cost), count(*) FROM sales_saleline GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, promotion_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
INSERT INTO rollup_sales_month_store_customer AS r (sale_date, store_id, customer_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', sale_date)::date, store_id, customer_id, sum(unit_sales), sum(store_sales), sum(store_cost), count(*) FROM sales_saleline GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, customer_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
INSERT INTO rollup_sales_month_store_product AS r (sale_date, store_id, product_id, unit_sales, store_sales, store_cost, sale_lines) SELECT date_trunc('month', sale_date)::date, store_id, product_id, sum(unit_sales), sum(store_sales), sum(store_cost), count(*) FROM sales_saleline GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 ON CONFLICT (sale_date, store_id, product_id) DO UPDATE SET unit_sales = r.unit_sales + EXCLUDED.unit_sales, store_sales = r.store_sales + EXCLUDED.store_sales, store_cost = r.store_cost + EXCLUDED.store_cost, sale_lines = r.sale_lines + EXCLUDED.sale_lines;
"""

DROP = """
DROP FUNCTION reports_sales_saleline_rollups() CASCADE;
DROP TABLE rollup_sales_day_store_promotion;
DROP TABLE rollup_sales_month_store_customer;
DROP TABLE rollup_sales_month_store_product;
"""


class Migration(migrations.Migration):
    dependencies = [("sales", "0006_brin_for_batches")]

    operations = [
        migrations.RunSQL(CREATE + TRIGGERS + BACKFILL, DROP),
        migrations.RunSQL(
            "CREATE SEQUENCE reports_data_version", "DROP SEQUENCE reports_data_version"
        ),
    ]

