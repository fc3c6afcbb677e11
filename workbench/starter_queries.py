"""The example queries every analyst finds in the workbench.

They show the schema at work: the tables are named ``<app>_<model>``
(``sales_saleline``, ``inventory_store``); money columns are numeric,
cast to float8 where the result is meant for the chart (SQL Explorer
charts int and float columns, the first column being the x axis).
``$$name|Label:default$$`` is a parameter: a field above the result.
``services.install_starter_queries`` saves them; each is run by
``workbench/tests/test_starter_queries.py``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class StarterQuery:
    title: str
    description: str
    sql: str


STARTER_QUERIES = [
    StarterQuery(
        "Start here: the tables you can read",
        "Every table this workbench may read, with its columns. The sale lines "
        "(sales_saleline) are the heart: one row per product on a customer's "
        "receipt, with store, day, promotion and amounts.",
        """\
SELECT c.table_name, string_agg(c.column_name, ', ' ORDER BY c.ordinal_position) AS columns
FROM information_schema.columns c
JOIN pg_class t ON t.relname = c.table_name AND t.relnamespace = c.table_schema::regnamespace
WHERE c.table_schema = current_schema()
  AND has_table_privilege(t.oid, 'SELECT')
  AND NOT t.relispartition
  AND c.table_name NOT LIKE '%historical%'
GROUP BY c.table_name
ORDER BY c.table_name""",
    ),
    StarterQuery(
        "Sales of one store by month",
        "Units, sales and margin of one store per month over a date range: "
        "change the store and dates above the result.",
        """\
SELECT to_char(date_trunc('month', s.sale_date), 'YYYY-MM') AS month,
       sum(s.unit_sales)::float8 AS units,
       sum(s.store_sales)::float8 AS sales,
       sum(s.store_sales - s.store_cost)::float8 AS margin
FROM sales_saleline s
WHERE s.store_id = $$store_id|Store id:6$$
  AND s.sale_date >= '$$start|From (date):1997-01-01$$'
  AND s.sale_date < '$$end|Until (date, excluded):1998-01-01$$'
GROUP BY 1
ORDER BY 1""",
    ),
    StarterQuery(
        "Stores ranked by sales per square foot",
        "1997 store sales divided by the store's floor area; stores without a "
        "known area are left out.",
        """\
SELECT st.store_name, st.store_type, st.store_city, st.store_sqft,
       round(sum(s.store_sales), 2) AS sales,
       round(sum(s.store_sales) / st.store_sqft, 2) AS sales_per_sqft,
       rank() OVER (ORDER BY sum(s.store_sales) / st.store_sqft DESC) AS rank
FROM sales_saleline s
JOIN inventory_store st ON st.id = s.store_id
WHERE st.store_sqft > 0
  AND s.sale_date >= '1997-01-01' AND s.sale_date < '1998-01-01'
GROUP BY st.id
ORDER BY rank""",
    ),
    StarterQuery(
        "Baskets: by customer and day",
        "A basket is what one customer bought in one store on one day. How many "
        "baskets hold how many products, with their average value.",
        """\
WITH basket AS (
    SELECT customer_id, store_id, sale_date,
           count(*) AS products, sum(store_sales) AS value
    FROM sales_saleline
    GROUP BY customer_id, store_id, sale_date
)
SELECT products AS products_in_basket,
       count(*) AS baskets,
       round(avg(value), 2)::float8 AS average_value
FROM basket
GROUP BY products
ORDER BY products""",
    ),
    StarterQuery(
        "Products often bought together",
        "Pairs of products found in the same basket (customer, store, day) at "
        "least a few times, with the share of the first product's baskets that "
        "also hold the second (confidence).",
        """\
WITH basket_line AS (
    SELECT DISTINCT customer_id, store_id, sale_date, product_id
    FROM sales_saleline
),
pair AS (
    SELECT a.product_id AS first_id, b.product_id AS second_id, count(*) AS baskets
    FROM basket_line a
    JOIN basket_line b USING (customer_id, store_id, sale_date)
    WHERE a.product_id < b.product_id
    GROUP BY 1, 2
    HAVING count(*) >= $$min_baskets|At least this many baskets:3$$
),
product_baskets AS (
    SELECT product_id, count(*) AS baskets FROM basket_line GROUP BY product_id
)
SELECT p1.product_name AS first_product, p2.product_name AS second_product,
       pair.baskets,
       round(100.0 * pair.baskets / pb.baskets, 1) AS confidence_pct
FROM pair
JOIN inventory_product p1 ON p1.id = pair.first_id
JOIN inventory_product p2 ON p2.id = pair.second_id
JOIN product_baskets pb ON pb.product_id = pair.first_id
ORDER BY pair.baskets DESC, confidence_pct DESC
LIMIT 50""",
    ),
    StarterQuery(
        "Promotion lift by media type",
        "Average units per sale line under each kind of promotion media, "
        "against lines sold without a promotion (promotion 0): a lift of 10% "
        "means promoted lines sold a tenth more units.",
        """\
WITH base AS (
    SELECT avg(unit_sales) AS units FROM sales_saleline WHERE promotion_id = 0
)
SELECT p.media_type,
       count(DISTINCT p.id) AS promotions,
       count(*) AS lines,
       round(avg(s.unit_sales), 3)::float8 AS units_per_line,
       round(100 * (avg(s.unit_sales) / base.units - 1), 1)::float8 AS lift_pct
FROM sales_saleline s
JOIN sales_promotion p ON p.id = s.promotion_id
CROSS JOIN base
WHERE s.promotion_id <> 0
GROUP BY p.media_type, base.units
ORDER BY lift_pct DESC""",
    ),
    StarterQuery(
        "Staff tenure by position",
        "Headcount, people still employed and average years of service per "
        "position (to their end date, or to the end of 1998 for current staff).",
        """\
SELECT pos.position_title,
       count(*) AS people,
       count(*) FILTER (WHERE e.end_date IS NULL) AS still_employed,
       round(avg((coalesce(e.end_date, DATE '1998-12-31') - e.hire_date) / 365.25), 1)::float8
           AS average_years
FROM people_employee e
JOIN people_position pos ON pos.id = e.position_id
GROUP BY pos.position_title
ORDER BY average_years DESC""",
    ),
    StarterQuery(
        "Deliveries with a fill rate under 95%",
        "Deliveries where the warehouse shipped less than the given share of the "
        "units the store ordered, worst first.",
        """\
SELECT d.delivery_date, st.store_name, w.warehouse_name, p.product_name,
       d.units_ordered, d.units_shipped,
       round(100.0 * d.units_shipped / d.units_ordered, 1) AS fill_rate_pct
FROM inventory_delivery d
JOIN inventory_store st ON st.id = d.store_id
JOIN inventory_warehouse w ON w.id = d.warehouse_id
JOIN inventory_product p ON p.id = d.product_id
WHERE d.units_ordered > 0
  AND d.units_shipped < $$fill_rate|Fill rate below:0.95$$ * d.units_ordered
ORDER BY fill_rate_pct, d.delivery_date""",
    ),
    StarterQuery(
        "Monthly sales, whole chain",
        "Sales and cost per month for every store together (the chart draws both lines).",
        """\
SELECT to_char(date_trunc('month', sale_date), 'YYYY-MM') AS month,
       sum(store_sales)::float8 AS sales,
       sum(store_cost)::float8 AS cost
FROM sales_saleline
GROUP BY 1
ORDER BY 1""",
    ),
    StarterQuery(
        "Margin by product category",
        "The product hierarchy (family > department > category) with sales and "
        "margin, through inventory_productclass.",
        """\
SELECT c.product_family, c.product_department, c.product_category,
       round(sum(s.store_sales), 2) AS sales,
       round(sum(s.store_sales - s.store_cost), 2) AS margin,
       round(100 * sum(s.store_sales - s.store_cost) / sum(s.store_sales), 1) AS margin_pct
FROM sales_saleline s
JOIN inventory_product p ON p.id = s.product_id
JOIN inventory_productclass c ON c.id = p.product_class_id
GROUP BY 1, 2, 3
ORDER BY sales DESC""",
    ),
    StarterQuery(
        "Best customers and who they are",
        "The customers who spent most over a date range, with their city, "
        "income band and membership card.",
        """\
SELECT cu.fullname, cu.city, cu.state_province, cu.yearly_income, cu.member_card,
       count(DISTINCT (s.store_id, s.sale_date)) AS baskets,
       round(sum(s.store_sales), 2) AS spent
FROM sales_saleline s
JOIN sales_customer cu ON cu.id = s.customer_id
WHERE s.sale_date >= '$$start|From (date):1997-01-01$$'
  AND s.sale_date < '$$end|Until (date, excluded):1998-01-01$$'
GROUP BY cu.id
ORDER BY spent DESC
LIMIT 100""",
    ),
    StarterQuery(
        "Payroll and expenses against sales, by store",
        "What each store cost to run in 1997 (payroll of its staff, and its "
        "booked expenses) next to what it sold.",
        """\
WITH sales AS (
    SELECT store_id, sum(store_sales) AS sales
    FROM sales_saleline
    WHERE sale_date >= '1997-01-01' AND sale_date < '1998-01-01'
    GROUP BY store_id
),
payroll AS (
    SELECT e.store_id, sum(pl.salary_paid + pl.overtime_paid) AS payroll
    FROM people_payrollline pl
    JOIN people_employee e ON e.id = pl.employee_id
    WHERE pl.pay_date >= '1997-01-01' AND pl.pay_date < '1998-01-01'
    GROUP BY e.store_id
),
expenses AS (
    SELECT store_id, sum(amount) AS expenses
    FROM sales_expense
    WHERE exp_date >= '1997-01-01' AND exp_date < '1998-01-01'
    GROUP BY store_id
)
SELECT st.store_name,
       round(coalesce(sales.sales, 0), 2) AS sales,
       round(coalesce(payroll.payroll, 0), 2) AS payroll,
       round(coalesce(expenses.expenses, 0), 2) AS expenses,
       round(100 * payroll.payroll / nullif(sales.sales, 0), 1) AS payroll_pct_of_sales
FROM inventory_store st
LEFT JOIN sales ON sales.store_id = st.id
LEFT JOIN payroll ON payroll.store_id = st.id
LEFT JOIN expenses ON expenses.store_id = st.id
ORDER BY st.store_name""",
    ),
    StarterQuery(
        "The latest loads",
        "The ETL's batch log (etl_batch): what was loaded, when, by whom and with how many rows.",
        """\
SELECT id, "table", source_name, mode, status, started_by, started_at,
       rows_read, rows_inserted, rows_updated, rows_rejected
FROM etl_batch
ORDER BY started_at DESC
LIMIT 50""",
    ),
]
