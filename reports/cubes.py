"""The semantic layer: each fact with its measures and dimension levels,
declared once, and the one query builder that every report, the ``report``
command, the JSON endpoint and notebooks go through.

A query names a fact, the levels to group by, the measures, filters
(level = value, or a date range), a sort and a limit. ``compile_query``
turns it into one parameterised SQL statement on the cheapest source that
can answer it (a rollup of ``reports.rollups`` or the fact table itself)
and always applies the user's store scope (``inventory.scoping``). Values
are bound as parameters; SQL text comes only from the declarations below.

The names are FoodMart's (and Mondrian's on this data set), so that anyone
who knows the data recognises them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connections

from inventory.scoping import store_ids_for
from reports.periods import add_months


class QueryError(ValueError):
    """A query the layer cannot answer: unknown names, bad values. The
    message says what is wrong, for a page, a command or an API client."""


@dataclass(frozen=True)
class Join:
    table: str
    on: str
    after: tuple[str, ...] = ()  # joins this one needs first
    # (column, on): the join when the source itself holds ``column``.
    direct: tuple[str, str] | None = None


@dataclass(frozen=True)
class Level:
    name: str
    sql: str
    joins: tuple[str, ...] = ()
    key: str | None = None  # the fact column the level hangs on
    via: str | None = None  # or a column the key is joined from (product -> class)
    grain: str | None = None  # for time levels: year, quarter, month, day
    record: tuple[str, str, str] | None = None  # (app, model, id sql): admin page

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Measure:
    """An aggregate. ``sql`` runs on the fact table (alias ``f``);
    ``rolled`` on a rollup, whose columns carry the fact's sums under the
    same names and the line count as ``sale_lines``; None: only the fact
    table (or a rollup with ``needs``) can answer."""

    name: str
    sql: str
    format: str  # money, units, count, ratio, days
    doc: str
    rolled: str | None = "same"
    needs: tuple[str, ...] = ()
    joins: tuple[str, ...] = ()
    per: str | None = None  # meaningful only per value of this level
    # A KPI that reports.kpis computes after the query has run, from what
    # ``sql`` gathered for each row (ids): more than one aggregate can say.
    compute: str | None = None

    def on(self, source: Source) -> str | None:
        if source.rollup is None:
            return self.sql
        rollup = source.rollup
        if any(
            c not in rollup.keys and not (c == "day" and rollup.grain == "day") for c in self.needs
        ):
            return None
        return self.sql if self.rolled == "same" else self.rolled

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


def _has(rollup, column: str) -> bool:
    """A rollup holds a fact column, or "day": its grain is the day."""
    return column in rollup.keys or (column == "day" and rollup.grain == "day")


BASKETS = "count(DISTINCT (f.customer_id, f.store_id, f.sale_date))"


@dataclass(frozen=True)
class Fact:
    name: str
    table: str
    date: str  # the date column
    store: str  # SQL of the row's store id
    levels: dict[str, Level]
    measures: dict[str, Measure]
    joins: dict[str, Join]
    store_joins: tuple[str, ...] = ()
    lines_model: tuple[str, str] = ("", "")  # app and model of the rows
    line_levels: tuple[str, ...] = ()  # what a list of the rows shows
    line_values: tuple[str, ...] = ()
    doc: str = ""

    def level(self, name: str) -> Level:
        try:
            return self.levels[name]
        except KeyError:
            raise QueryError(
                f"{self.name} has no level {name!r}; levels: {', '.join(self.levels)}"
            ) from None

    def measure(self, name: str) -> Measure:
        try:
            return self.measures[name]
        except KeyError:
            raise QueryError(
                f"{self.name} has no measure {name!r}; measures: {', '.join(self.measures)}"
            ) from None


# --- Declarations ---------------------------------------------------------

GRAINS = ["year", "quarter", "month", "day"]


def time_levels(date: str) -> list[Level]:
    d = f"f.{date}"
    return [
        Level("year", f"extract(year FROM {d})::int", grain="year"),
        Level("quarter", f"to_char({d}, 'YYYY-\"Q\"Q')", grain="quarter"),
        Level("month", f"to_char({d}, 'YYYY-MM')", grain="month"),
        Level("day", d, grain="day"),
        # The 4-5-4 retail calendar (reports/fiscal.py): FY1997, FY1997-Q1,
        # FY1997-P01, FY1997-W01.
        *(
            Level(f"fiscal_{unit}", f"fd.fiscal_{unit}", ("fd",), grain="fiscal")
            for unit in ("year", "quarter", "period", "week")
        ),
    ]


FISCAL_JOIN = {"fd": Join("reports_fiscalday", "fd.day = {date}")}


STORE_JOIN = {"s": Join("inventory_store", "s.id = {store}")}
STORE_LEVELS = [
    Level("store_country", "s.store_country", ("s",), key="store_id"),
    Level("store_state", "s.store_state", ("s",), key="store_id"),
    Level("store_city", "s.store_city", ("s",), key="store_id"),
    Level(
        "store_name",
        "s.store_name",
        ("s",),
        key="store_id",
        record=("inventory", "store", "s.id"),
    ),
    Level("store_type", "s.store_type", ("s",), key="store_id"),
]
PRODUCT_JOINS = {
    "p": Join("inventory_product", "p.id = f.product_id"),
    "pc": Join(
        "inventory_productclass",
        "pc.id = p.product_class_id",
        ("p",),
        direct=("product_class_id", "pc.id = f.product_class_id"),
    ),
}
PRODUCT_LEVELS = [
    Level(
        "product_family", "pc.product_family", ("pc",), key="product_class_id", via="product_id"
    ),
    Level(
        "product_department",
        "pc.product_department",
        ("pc",),
        key="product_class_id",
        via="product_id",
    ),
    Level(
        "product_category",
        "pc.product_category",
        ("pc",),
        key="product_class_id",
        via="product_id",
    ),
    Level(
        "product_subcategory",
        "pc.product_subcategory",
        ("pc",),
        key="product_class_id",
        via="product_id",
    ),
    Level("brand_name", "p.brand_name", ("p",), key="product_id"),
    Level(
        "product_name",
        "p.product_name",
        ("p",),
        key="product_id",
        record=("inventory", "product", "p.id"),
    ),
]


def _levels(*groups) -> dict[str, Level]:
    return {level.name: level for group in groups for level in group}


def _measures(*measures: Measure) -> dict[str, Measure]:
    return {m.name: m for m in measures}


SALES = Fact(
    name="sales",
    table="sales_saleline",
    date="sale_date",
    store="f.store_id",
    lines_model=("sales", "saleline"),
    line_levels=("store_name", "product_name", "customer_name", "promotion_name"),
    line_values=("unit_sales", "store_sales", "store_cost"),
    doc="Sale lines: one product sold to one customer at one store on one day.",
    joins={
        **FISCAL_JOIN,
        **STORE_JOIN,
        **PRODUCT_JOINS,
        "pr": Join("sales_promotion", "pr.id = f.promotion_id"),
        "c": Join("sales_customer", "c.id = f.customer_id"),
    },
    levels=_levels(
        time_levels("sale_date"),
        STORE_LEVELS,
        PRODUCT_LEVELS,
        [
            Level(
                "promotion_name",
                "pr.promotion_name",
                ("pr",),
                key="promotion_id",
                record=("sales", "promotion", "pr.id"),
            ),
            Level("media_type", "pr.media_type", ("pr",), key="promotion_id"),
            Level("promotion_start", "pr.start_date", ("pr",), key="promotion_id"),
            # FoodMart's promotion 0 is "No Promotion".
            Level(
                "promoted",
                "CASE WHEN f.promotion_id = 0 THEN 'no' ELSE 'yes' END",
                key="promotion_id",
            ),
        ],
        [
            Level(name, f"c.{column}", ("c",), key="customer_id")
            for name, column in [
                ("gender", "gender"),
                ("marital_status", "marital_status"),
                ("yearly_income", "yearly_income"),
                ("education", "education"),
                ("occupation", "occupation"),
                ("member_card", "member_card"),
                ("customer_country", "country"),
                ("customer_state", "state_province"),
                ("customer_city", "city"),
            ]
        ],
        [
            Level(
                "customer_name",
                "c.fullname",
                ("c",),
                key="customer_id",
                record=("sales", "customer", "c.id"),
            )
        ],
    ),
    measures=_measures(
        Measure("unit_sales", "sum(f.unit_sales)", "units", "Units sold."),
        Measure("store_sales", "sum(f.store_sales)", "money", "Sales at store prices."),
        Measure("store_cost", "sum(f.store_cost)", "money", "The store's cost of what it sold."),
        Measure(
            "profit",
            "sum(f.store_sales) - sum(f.store_cost)",
            "money",
            "profit = store_sales - store_cost.",
        ),
        Measure(
            "margin",
            "(sum(f.store_sales) - sum(f.store_cost)) / nullif(sum(f.store_sales), 0)",
            "ratio",
            "margin = (store_sales - store_cost) / store_sales.",
        ),
        Measure(
            "sale_lines",
            "count(*)",
            "count",
            "Number of sale lines.",
            rolled="sum(f.sale_lines)",
        ),
        Measure(
            "customers",
            "count(DISTINCT f.customer_id)",
            "count",
            "Distinct customers who bought.",
            needs=("customer_id",),
        ),
        Measure(
            "sales_per_customer",
            "sum(f.store_sales) / nullif(count(DISTINCT f.customer_id), 0)",
            "money",
            "Average sale per customer = store_sales / customers.",
            needs=("customer_id",),
        ),
        Measure(
            "baskets",
            BASKETS,
            "count",
            "baskets = distinct (customer, store, day). FoodMart has no receipt ids, so a "
            "customer's purchases at one store on one day count as one basket.",
            needs=("customer_id", "day"),
        ),
        Measure(
            "basket_value",
            f"sum(f.store_sales) / nullif({BASKETS}, 0)",
            "money",
            "basket_value = store_sales / baskets (a basket: one customer, store and day).",
            needs=("customer_id", "day"),
        ),
        Measure(
            "units_per_basket",
            f"sum(f.unit_sales) / nullif({BASKETS}, 0)",
            "units",
            "units_per_basket = unit_sales / baskets (a basket: one customer, store and day).",
            needs=("customer_id", "day"),
        ),
        Measure(
            "sales_per_sqft",
            "sum(f.store_sales) / nullif(max(s.store_sqft), 0)",
            "money",
            "store_sales / the store's size in square feet; per store only, "
            "blank where the size is unknown.",
            joins=("s",),
            per="store_name",
        ),
        Measure(
            "lift",
            "array_agg(DISTINCT f.promotion_id) FILTER (WHERE f.promotion_id <> 0)",
            "ratio",
            "lift = (promoted daily sales - baseline daily sales) / baseline daily sales, "
            "over the group's promotions; the baseline is the same products' daily sales "
            "at the same stores in the 4 weeks before each promotion "
            "(reports.kpis.promotion_lift).",
            needs=("promotion_id",),
            compute="promotion_lift",
        ),
        Measure(
            "promotion_cost",
            "max(pr.cost)",
            "money",
            "What the promotion cost to run; per promotion only.",
            joins=("pr",),
            needs=("promotion_id",),
            per="promotion_name",
        ),
    ),
)

DELIVERIES = Fact(
    name="deliveries",
    table="inventory_delivery",
    date="delivery_date",
    store="f.store_id",
    lines_model=("inventory", "delivery"),
    line_levels=("store_name", "product_name", "warehouse_name"),
    line_values=(
        "units_ordered",
        "units_shipped",
        "supply_time",
        "warehouse_sales",
        "warehouse_cost",
        "store_invoice",
    ),
    doc="Deliveries from warehouses to stores (FoodMart's inventory facts).",
    joins={
        **FISCAL_JOIN,
        **STORE_JOIN,
        **PRODUCT_JOINS,
        "w": Join("inventory_warehouse", "w.id = f.warehouse_id"),
        "wc": Join("inventory_warehouseclass", "wc.id = w.warehouse_class_id", ("w",)),
    },
    levels=_levels(
        time_levels("delivery_date"),
        STORE_LEVELS,
        PRODUCT_LEVELS,
        [
            Level(
                "warehouse_name",
                "w.warehouse_name",
                ("w",),
                record=("inventory", "warehouse", "w.id"),
            ),
            Level("warehouse_country", "w.warehouse_country", ("w",)),
            Level("warehouse_state", "w.warehouse_state_province", ("w",)),
            Level("warehouse_class", "wc.description", ("wc",)),
        ],
    ),
    measures=_measures(
        Measure("units_ordered", "sum(f.units_ordered)", "units", "Units the store ordered."),
        Measure("units_shipped", "sum(f.units_shipped)", "units", "Units the warehouse shipped."),
        Measure(
            "fill_rate",
            "sum(f.units_shipped)::numeric / nullif(sum(f.units_ordered), 0)",
            "ratio",
            "fill_rate = units_shipped / units_ordered.",
        ),
        Measure(
            "avg_supply_time",
            "avg(f.supply_time)",
            "days",
            "avg_supply_time = mean of supply_time, days from order to delivery.",
        ),
        Measure(
            "supply_time_spread",
            "stddev_samp(f.supply_time)",
            "days",
            "supply_time_spread = sample standard deviation of supply_time, in days.",
        ),
        Measure("warehouse_sales", "sum(f.warehouse_sales)", "money", "Warehouse sales."),
        Measure("warehouse_cost", "sum(f.warehouse_cost)", "money", "Warehouse cost."),
        Measure("store_invoice", "sum(f.store_invoice)", "money", "What the store was invoiced."),
        Measure(
            "warehouse_margin",
            "(sum(f.warehouse_sales) - sum(f.warehouse_cost)) / nullif(sum(f.warehouse_sales), 0)",
            "ratio",
            "warehouse_margin = (warehouse_sales - warehouse_cost) / warehouse_sales.",
        ),
    ),
)

PAYROLL = Fact(
    name="payroll",
    table="people_payrollline",
    date="pay_date",
    store="e.store_id",
    store_joins=("e",),
    lines_model=("people", "payrollline"),
    line_levels=("store_name", "employee_name", "department"),
    line_values=("salary_paid", "overtime_paid"),
    doc="Payroll lines: one employee's pay for one month.",
    joins={
        **FISCAL_JOIN,
        "e": Join("people_employee", "e.id = f.employee_id"),
        "s": Join("inventory_store", "s.id = e.store_id", ("e",)),
        "d": Join("people_department", "d.id = f.department_id"),
        "po": Join("people_position", "po.id = e.position_id", ("e",)),
    },
    levels=_levels(
        time_levels("pay_date"),
        STORE_LEVELS,
        [
            Level("department", "d.department_description", ("d",)),
            Level("position_title", "po.position_title", ("po",)),
            Level("management_role", "po.management_role", ("po",)),
            Level(
                "employee_name",
                "e.full_name",
                ("e",),
                record=("people", "employee", "e.id"),
            ),
        ],
    ),
    measures=_measures(
        Measure("salary_paid", "sum(f.salary_paid)", "money", "Salary paid."),
        Measure("overtime_paid", "sum(f.overtime_paid)", "money", "Overtime paid."),
        Measure(
            "payroll",
            "sum(f.salary_paid) + sum(f.overtime_paid)",
            "money",
            "payroll = salary_paid + overtime_paid.",
        ),
        Measure(
            "headcount",
            "count(DISTINCT f.employee_id)",
            "count",
            "Distinct employees paid in the period.",
        ),
    ),
)

EXPENSES = Fact(
    name="expenses",
    table="sales_expense",
    date="exp_date",
    store="f.store_id",
    lines_model=("sales", "expense"),
    line_levels=("store_name", "account", "category"),
    line_values=("amount",),
    doc="Store expenses by account and month.",
    joins={
        **FISCAL_JOIN,
        **STORE_JOIN,
        "a": Join("sales_account", "a.id = f.account_id"),
        "ec": Join("sales_expensecategory", "ec.id = f.category_id"),
    },
    levels=_levels(
        time_levels("exp_date"),
        STORE_LEVELS,
        [
            Level("account", "a.account_description", ("a",)),
            Level("category", "ec.category_description", ("ec",)),
        ],
    ),
    measures=_measures(Measure("amount", "sum(f.amount)", "money", "Expense amount.")),
)

FACTS: dict[str, Fact] = {fact.name: fact for fact in (SALES, DELIVERIES, PAYROLL, EXPENSES)}


def get_fact(name: str) -> Fact:
    try:
        return FACTS[name]
    except KeyError:
        raise QueryError(f"no fact {name!r}; facts: {', '.join(FACTS)}") from None


# --- Queries --------------------------------------------------------------


@dataclass
class Query:
    """What to ask. ``filters`` maps a level to the values it may take;
    a time level's value is a period ("1997", "1997-Q3", "1997-07",
    "1997-07-14"); ``date_from``/``date_to`` bound the period, inclusive.
    ``sort`` names a level or measure, "-" first for descending."""

    fact: str
    by: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: list[str] = field(default_factory=list)
    limit: int | None = None


MAX_ROWS = 10_000


# --- Reading a query from text (the command line, the JSON endpoint) ---


def parse_names(text: str) -> list[str]:
    """Comma-separated names: "store_state, month" -> [store_state, month]."""
    return [n.strip() for n in text.split(",") if n.strip()]


def parse_date(text: str, name: str = "") -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise QueryError(f"{name} {text!r} is not a date such as 1997-03-31".lstrip()) from None


def parse_filters(items: list[str], sep: str) -> dict[str, list[str]]:
    """LEVEL{sep}VALUE items; a level named twice takes either value."""
    filters: dict[str, list[str]] = {}
    for item in items:
        level, found, value = item.partition(sep)
        if not found or not level.strip():
            raise QueryError(f"filter {item!r}: write LEVEL{sep}VALUE")
        filters.setdefault(level.strip(), []).append(value.strip())
    return filters


@dataclass(frozen=True)
class Source:
    """Where a query reads: the fact table (``rollup`` None) or a rollup."""

    table: str
    rollup: object | None = None  # reports.rollups.Rollup

    @property
    def name(self) -> str:
        return self.table


@dataclass
class Compiled:
    sql: str
    params: list
    source: Source
    columns: list[str]  # levels then measures, as named in the query
    records: dict[str, int]  # level -> index of its record id column


@dataclass
class Result:
    query: Query
    columns: list[str]
    rows: list[tuple]
    sql: str
    params: list
    source: str
    record_ids: list[dict[str, int]]  # per row: level -> record id


def period_bounds(grain: str, value: str, *, name: str = "") -> tuple[dt.date, dt.date]:
    """[start, end) of a time level's value; QueryError when malformed."""
    value = str(value).strip()
    if grain == "fiscal":
        from reports.fiscal import bounds

        found = bounds().get(value)
        if found is None or not value.startswith("FY"):
            raise QueryError(f"{name} {value!r} is not a fiscal period such as FY1997-P03")
        return found
    patterns = {
        "year": r"(\d{4})",
        "quarter": r"(\d{4})-Q([1-4])",
        "month": r"(\d{4})-(\d{2})",
        "day": r"(\d{4})-(\d{2})-(\d{2})",
    }
    match = re.fullmatch(patterns[grain], value)
    try:
        if not match:
            raise ValueError
        parts = [int(p) for p in match.groups()]
        if grain == "year":
            start = dt.date(parts[0], 1, 1)
            return start, dt.date(parts[0] + 1, 1, 1)
        if grain == "day":
            start = dt.date(*parts)
            return start, start + dt.timedelta(days=1)
        month = parts[1] if grain == "month" else 3 * parts[1] - 2
        start = dt.date(parts[0], month, 1)
        return start, add_months(start, 1 if grain == "month" else 3)
    except ValueError:
        examples = {"year": "1997", "quarter": "1997-Q3", "month": "1997-07", "day": "1997-07-14"}
        raise QueryError(f"{grain} {value!r} is not a {grain} such as {examples[grain]}") from None


def date_range(fact: Fact, query: Query) -> tuple[dt.date | None, dt.date | None]:
    """The query's period as [start, end), from the range and time filters."""
    start = query.date_from
    end = query.date_to + dt.timedelta(days=1) if query.date_to else None
    for name, values in query.filters.items():
        level = fact.level(name)
        if level.grain is None:
            continue
        if len(values) != 1:
            raise QueryError(f"filter {name} takes one period, not {len(values)}")
        lo, hi = period_bounds(level.grain, values[0], name=name)
        start = max(start, lo) if start else lo
        end = min(end, hi) if end else hi
    return start, end


def _month_aligned(day: dt.date | None) -> bool:
    return day is None or day.day == 1


_RAW_ONLY = contextvars.ContextVar("raw_only", default=False)


@contextmanager
def without_rollups():
    """Every query inside reads the fact tables: the benchmark's
    reference, and a cross-check."""
    token = _RAW_ONLY.set(True)
    try:
        yield
    finally:
        _RAW_ONLY.reset(token)


def choose_source(fact: Fact, query: Query, *, raw: bool = False) -> Source:
    """The smallest rollup that holds every level, measure and filter of
    the query at the grain it needs; else the fact table."""
    from reports.rollups import rollups_for

    if not raw and not _RAW_ONLY.get():
        start, end = date_range(fact, query)
        names = set(query.by) | set(query.filters)
        levels = [fact.level(n) for n in names]
        for rollup in rollups_for(fact.name):
            source = Source(rollup.table, rollup)
            if rollup.grain == "month":
                if any(level.grain in ("day", "fiscal") for level in levels):
                    continue
                if not (_month_aligned(start) and _month_aligned(end)):
                    continue
            if any(level.grain is None and not _holds(rollup, level) for level in levels):
                continue
            if any(fact.measure(m).on(source) is None for m in query.measures):
                continue
            return source
    return Source(fact.table)


def _holds(rollup, level: Level) -> bool:
    """Whether a rollup can say ``level``: it holds the level's key, or
    the column the key is joined from."""
    return level.key in rollup.keys or (level.via is not None and level.via in rollup.keys)


def _joins_for(fact: Fact, aliases: set[str], source: Source | None = None) -> list[str]:
    held = set(source.rollup.keys) if source and source.rollup else set()
    ordered: list[str] = []
    on: dict[str, str] = {}

    def add(alias):
        if alias in ordered:
            return
        join = fact.joins[alias]
        if join.direct and join.direct[0] in held:
            on[alias] = join.direct[1]
        else:
            on[alias] = join.on.format(store=fact.store, date=f"f.{fact.date}")
            for before in join.after:
                add(before)
        ordered.append(alias)

    for alias in sorted(aliases):
        add(alias)
    return [f"JOIN {fact.joins[a].table} {a} ON {on[a]}" for a in ordered]


def compile_query(query: Query, *, store_ids: set[int] | None, raw: bool = False) -> Compiled:
    """One SQL statement for ``query``, within ``store_ids`` (None: all
    stores). ``raw`` forces the fact table (benchmarks, cross-checks)."""
    fact = get_fact(query.fact)
    if not query.measures:
        raise QueryError("name at least one measure")
    levels = [fact.level(n) for n in query.by]
    measures = [fact.measure(m) for m in query.measures]
    if len(set(query.by)) != len(query.by) or len(set(query.measures)) != len(query.measures):
        raise QueryError("a level or measure is named twice")
    for m in measures:
        if m.per and m.per not in query.by and len(query.filters.get(m.per, [])) != 1:
            raise QueryError(f"{m.name} is per {m.per}: group by it or filter one {m.per}")
    source = choose_source(fact, query, raw=raw)
    aliases: set[str] = set()
    select, params = [], []
    records: dict[str, int] = {}
    for level in levels:
        select.append(f"{level.sql} AS {level.name}")
        aliases.update(level.joins)
    for m in measures:
        select.append(f"{m.on(source)} AS {m.name}")
        aliases.update(m.joins)
    for level in levels:
        if level.record:
            records[level.name] = len(select)
            select.append(f"min({level.record[2]}) AS {level.name}__id")
    where = _where(fact, query, store_ids, aliases, params)
    text = f"SELECT {', '.join(select)}" + _from(source, fact, aliases, where)
    if levels:
        text += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(levels)))
    text += " ORDER BY " + _order_by(query, fact)
    limit = min(query.limit or MAX_ROWS, MAX_ROWS)
    text += " LIMIT %s"
    params.append(limit)
    return Compiled(text, params, source, [*query.by, *query.measures], records)


def _where(fact: Fact, query: Query, store_ids, aliases: set[str], params: list) -> list[str]:
    """The conditions of the query's period, filters and store scope;
    adds the joins they need to ``aliases`` and their values to ``params``."""
    where = []
    start, end = date_range(fact, query)
    if start:
        where.append(f"f.{fact.date} >= %s")
        params.append(start)
    if end:
        where.append(f"f.{fact.date} < %s")
        params.append(end)
    for name, values in query.filters.items():
        level = fact.level(name)
        if level.grain:
            continue
        if not values:
            raise QueryError(f"filter {name} has no value")
        where.append(f"{level.sql} = ANY(%s)")
        params.append([str(v) for v in values])
        aliases.update(level.joins)
    if store_ids is not None:
        where.append(f"{fact.store} = ANY(%s)")
        params.append(sorted(store_ids))
        aliases.update(fact.store_joins)
    return where


def _from(source: Source, fact: Fact, aliases: set[str], where: list[str]) -> str:
    text = f" FROM {source.table} f"
    joins = _joins_for(fact, aliases, source)
    if joins:
        text += " " + " ".join(joins)
    if where:
        text += " WHERE " + " AND ".join(where)
    return text


def _order_by(query: Query, fact: Fact) -> str:
    names = [*query.by, *query.measures]
    terms = []
    for item in query.sort:
        name = item.lstrip("-")
        if name not in names:
            raise QueryError(f"cannot sort by {name!r}: it is not a level or measure of the query")
        terms.append(
            f"{names.index(name) + 1} {'DESC' if item.startswith('-') else 'ASC'} NULLS LAST"
        )
    terms += [f"{i + 1}" for i in range(len(query.by)) if query.by[i] not in query.sort]
    return ", ".join(terms) or "1"


def run_query(
    query: Query,
    *,
    user=None,
    store_ids: set[int] | None = None,
    all_stores: bool = False,
    raw: bool = False,
    using: str | None = None,
) -> Result:
    """Run ``query`` for ``user`` (their store scope), or for ``store_ids``,
    or for every store when ``all_stores`` says so out loud."""
    if user is not None:
        store_ids = store_ids_for(user)
    elif store_ids is None and not all_stores:
        raise QueryError("say whose query this is: a user, store_ids, or all_stores=True")
    compiled = compile_query(query, store_ids=store_ids, raw=raw)
    using = using or read_alias()
    with connections[using].cursor() as cursor:
        cursor.execute(compiled.sql, compiled.params)
        fetched = cursor.fetchall()
    width = len(compiled.columns)
    rows = [tuple(row[:width]) for row in fetched]
    ids = [{name: row[i] for name, i in compiled.records.items()} for row in fetched]
    rows = _computed(get_fact(query.fact), query, rows, store_ids, using)
    return Result(
        query, compiled.columns, rows, compiled.sql, compiled.params, compiled.source.name, ids
    )


def _computed(fact: Fact, query: Query, rows, store_ids, using) -> list[tuple]:
    """Replace what a computed measure gathered by its value."""
    from reports import kpis

    computed = [fact.measures[n] for n in query.measures if fact.measures[n].compute]
    if computed:
        store_ids = _stores_of(fact, query, store_ids, using)
    for m in computed:
        column = len(query.by) + query.measures.index(m.name)
        values = getattr(kpis, m.compute)(
            [row[column] or [] for row in rows], store_ids=store_ids, using=using
        )
        rows = [
            row[:column] + (v,) + row[column + 1 :] for row, v in zip(rows, values, strict=True)
        ]
    return rows


def _stores_of(fact: Fact, query: Query, store_ids, using) -> set[int] | None:
    """The stores a query is about: the user's, narrowed by its filters on
    store levels (a computed measure runs its own SQL on them)."""
    store_filters = {n: v for n, v in query.filters.items() if fact.level(n).key == "store_id"}
    if not store_filters:
        return store_ids
    # The levels' SQL is declared above (alias s); the values are bound.
    where = " AND ".join(f"{fact.level(n).sql} = ANY(%s)" for n in store_filters)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT s.id FROM inventory_store s WHERE {where}",  # noqa: S608
            [list(v) for v in store_filters.values()],
        )
        matching = {pk for (pk,) in cursor.fetchall()}
    return matching if store_ids is None else matching & set(store_ids)


LINES_LIMIT = 500


def run_lines(query: Query, *, user, limit: int = LINES_LIMIT, using: str | None = None) -> Result:
    """The fact rows behind a figure (the query's filters, period and the
    user's stores), latest first: the bottom of every drill-down."""
    fact = get_fact(query.fact)
    levels = [fact.level(n) for n in fact.line_levels]
    aliases: set[str] = set()
    select = ["f.id AS id", f"f.{fact.date} AS day"]
    records = {"id": 0}
    for level in levels:
        select.append(f"{level.sql} AS {level.name}")
        aliases.update(level.joins)
    select += [f"f.{v} AS {v}" for v in fact.line_values]
    for level in levels:
        if level.record:
            records[level.name] = len(select)
            select.append(f"{level.record[2]} AS {level.name}__id")
    params: list = []
    where = _where(fact, query, store_ids_for(user), aliases, params)
    text = f"SELECT {', '.join(select)}" + _from(Source(fact.table), fact, aliases, where)
    text += f" ORDER BY f.{fact.date} DESC, f.id DESC LIMIT %s"
    params.append(min(limit, MAX_ROWS))
    columns = ["id", "day", *fact.line_levels, *fact.line_values]
    with connections[using or read_alias()].cursor() as cursor:
        cursor.execute(text, params)
        fetched = cursor.fetchall()
    rows = [tuple(row[: len(columns)]) for row in fetched]
    ids = [{name: row[i] for name, i in records.items()} for row in fetched]
    return Result(query, columns, rows, text, params, fact.table, ids)


def read_alias() -> str:
    """The database reports read from: a replica when one is configured
    and up (foodmart_site.replica), else the primary."""
    try:
        from foodmart_site.replica import read_alias as replica_alias
    except ImportError:
        return "default"
    return replica_alias()
