"""The executive overview: KPI tiles for a period against the period
before and the same period a year before, a monthly trend, and the
states to drill into. All from the layer, so the same scope and rollups
apply."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from reports.cache import cached_run
from reports.cubes import Query, QueryError, get_fact, period_bounds
from reports.freshness import latest_sale_day
from reports.periods import add_months, change

KPIS = (
    "store_sales",
    "profit",
    "margin",
    "unit_sales",
    "sale_lines",
    "customers",
    "sales_per_customer",
)
GRAINS = ("month", "quarter", "year")


@dataclass
class Tile:
    name: str
    label: str
    format: str
    value: Decimal | None
    previous: Decimal | None
    last_year: Decimal | None

    @property
    def vs_previous(self):
        return change(self.value, self.previous)

    @property
    def vs_last_year(self):
        return change(self.value, self.last_year)


def period_of(params) -> tuple[str, str]:
    """The (grain, value) asked for, by default the quarter of the latest
    sale (against the quarter before and the same quarter a year before)."""
    for grain in GRAINS:
        if params.get(grain):
            period_bounds(grain, params[grain])  # QueryError when malformed
            return grain, params[grain]
    unknown = [k for k in params if k not in GRAINS]
    if unknown:
        raise QueryError(f"unknown filter {unknown[0]!r} for the overview")
    latest = latest_sale_day() or dt.date.today()
    return "quarter", f"{latest.year}-Q{(latest.month - 1) // 3 + 1}"


def shift(grain: str, value: str, months: int) -> str:
    """The period ``months`` earlier, written like ``value``."""
    start = add_months(period_bounds(grain, value)[0], -months)
    if grain == "year":
        return str(start.year)
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


STEP = {"year": 12, "quarter": 3, "month": 1}


def tiles(grain: str, value: str, store_ids) -> tuple[list[Tile], list]:
    fact = get_fact("sales")
    periods = [value, shift(grain, value, STEP[grain]), shift(grain, value, 12)]
    results = [
        cached_run(Query("sales", [], list(KPIS), {grain: [p]}), store_ids=store_ids)
        for p in periods
    ]
    values = [r.rows[0] if r.rows else (None,) * len(KPIS) for r in results]
    out = [
        Tile(m, fact.measures[m].label, fact.measures[m].format, *(v[i] for v in values))
        for i, m in enumerate(KPIS)
    ]
    return out, results


def trend(grain: str, value: str, store_ids):
    year = period_bounds(grain, value)[0].year
    query = Query("sales", ["month"], ["store_sales", "profit"], {"year": [str(year)]})
    return cached_run(query, store_ids=store_ids)


def by_state(grain: str, value: str, store_ids):
    query = Query(
        "sales",
        ["store_country", "store_state"],
        ["store_sales", "profit", "margin"],
        {grain: [value]},
        sort=["-store_sales"],
    )
    return cached_run(query, store_ids=store_ids)


def nearby(grain: str, value: str) -> list[tuple[str, str]]:
    """Links to the period's year and its quarters: (label, query string)."""
    year = period_bounds(grain, value)[0].year
    links = [(str(year - 1), f"year={year - 1}"), (str(year), f"year={year}")]
    links += [(f"Q{q}", f"quarter={year}-Q{q}") for q in range(1, 5)]
    return links
