"""The preconstructed reports, each a saved query in the layer's terms.

A report names its fact, the path its drill-down walks (a click on a value
filters by it and opens the next level), its measures and chart. When the
path ends, a click goes on to ``then``: another report (the filters come
along) or ``"lines"``, the fact rows behind the figure, each linked to its
admin page. The executive overview is a page of its own (reports/views.py)
built from the same layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Companion:
    """Figures from a second fact joined on the report's current level
    (which both facts share), and a ratio of the two."""

    fact: str
    measures: tuple[str, ...]
    # (name, "ratio" or "difference", a, b, format): a / b or a - b.
    derived: tuple[tuple[str, str, str, str, str], ...] = ()


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    description: str
    fact: str
    drill: tuple[str, ...]
    measures: tuple[str, ...]
    chart: str = "bar"  # bar, line or doughnut
    chart_measures: tuple[str, ...] = ()  # default: the first measure
    then: str = "lines"
    sort: tuple[str, ...] = ()
    # Measures added on the levels where they mean something.
    level_measures: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The first level can be swapped for one of these (a "Group by" choice).
    pick: tuple[str, ...] = ()
    top: bool = False  # offers top and bottom N
    companion: Companion | None = None
    annotate_promotions: bool = False  # mark promotions' starts on a time chart

    @property
    def permission(self) -> str:
        from reports.cubes import get_fact

        app, model = get_fact(self.fact).lines_model
        return f"{app}.view_{model}"

    def path(self, first: str | None = None) -> tuple[str, ...]:
        if self.pick and first in self.pick:
            return (first, *self.drill[1:])
        return self.drill


TIME = ("year", "quarter", "month", "day")

REPORTS = [
    Report(
        "sales-over-time",
        "Sales over time",
        "Sales, profit and units by year, quarter, month and day, for the chain, "
        "a region or a store.",
        fact="sales",
        drill=TIME,
        measures=("store_sales", "profit", "margin", "unit_sales", "sale_lines"),
        chart="line",
        chart_measures=("store_sales", "profit"),
        annotate_promotions=True,
    ),
    Report(
        "geography",
        "Geography",
        "Country, state, city and store; sales per square foot where a store's size is known.",
        fact="sales",
        drill=("store_country", "store_state", "store_city", "store_name"),
        measures=("store_sales", "profit", "margin", "unit_sales"),
        level_measures={"store_name": ("sales_per_sqft",)},
        then="products",
        sort=("-store_sales",),
    ),
    Report(
        "products",
        "Products",
        "Family, department, category, subcategory, brand and product; top and bottom N.",
        fact="sales",
        drill=(
            "product_family",
            "product_department",
            "product_category",
            "product_subcategory",
            "brand_name",
            "product_name",
        ),
        measures=("store_sales", "profit", "margin", "unit_sales"),
        sort=("-store_sales",),
        top=True,
    ),
    Report(
        "promotions",
        "Promotions",
        "Sales and units with and without a promotion, by media type and promotion, "
        "and what each promotion cost against the sales it ran with.",
        fact="sales",
        drill=("promoted", "media_type", "promotion_name"),
        measures=("store_sales", "unit_sales", "sale_lines"),
        level_measures={"promotion_name": ("promotion_cost", "lift")},
        chart="doughnut",
        sort=("-store_sales",),
    ),
    Report(
        "customers",
        "Customers",
        "Sales by gender, marital status, income band, education, occupation and "
        "member card; the top customers of each group.",
        fact="sales",
        drill=("gender", "customer_name"),
        pick=(
            "gender",
            "marital_status",
            "yearly_income",
            "education",
            "occupation",
            "member_card",
        ),
        measures=("store_sales", "customers", "sales_per_customer", "unit_sales"),
        sort=("-store_sales",),
        top=True,
    ),
    Report(
        "deliveries",
        "Deliveries",
        "Units ordered against shipped (fill rate), supply time and warehouse margin, "
        "by warehouse and store.",
        fact="deliveries",
        drill=("warehouse_name", "store_name", "product_family", "product_name"),
        measures=(
            "units_ordered",
            "units_shipped",
            "fill_rate",
            "avg_supply_time",
            "warehouse_sales",
            "warehouse_margin",
        ),
        chart_measures=("units_ordered", "units_shipped"),
        sort=("fill_rate",),
    ),
    Report(
        "staff",
        "Staff and payroll",
        "Headcount and payroll by store, department and position; sales per employee by store.",
        fact="payroll",
        drill=("store_name", "department", "position_title", "employee_name"),
        pick=("store_name", "year", "month"),
        measures=("headcount", "salary_paid", "overtime_paid", "payroll"),
        chart_measures=("salary_paid",),
        sort=("-salary_paid",),
        companion=Companion(
            "sales",
            ("store_sales",),
            derived=(
                ("sales_per_employee", "ratio", "store_sales", "headcount", "money"),
                # payroll % of sales = (salary_paid + overtime_paid) / store_sales
                ("payroll_pct_of_sales", "ratio", "payroll", "store_sales", "ratio"),
            ),
        ),
    ),
    Report(
        "expenses",
        "Store expenses and profit",
        "Each month's store expenses against the store profit of its sales.",
        fact="expenses",
        drill=("month", "store_name", "account"),
        measures=("amount",),
        chart="line",
        chart_measures=("amount", "profit"),
        companion=Companion(
            "sales",
            ("profit",),
            derived=(("profit_after_expenses", "difference", "profit", "amount", "money"),),
        ),
    ),
]

BY_SLUG = {r.slug: r for r in REPORTS}


def reports_for(user) -> list[Report]:
    return [r for r in REPORTS if user.has_perm(r.permission)]
