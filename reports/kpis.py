"""Retail KPIs that are more than one aggregate: each a function with its
formula in its docstring, used by the layer's measures (``lift``), the
overview (same-store sales growth) and the admin.

Simple KPIs are plain measures in ``reports/cubes.py`` (margin, baskets,
basket value, units per basket, fill rate, supply time mean and spread,
sales per square foot); their formulas are in their declarations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections

from reports.periods import add_months

BASELINE_DAYS = 28
COMPARABLE_MONTHS = 13


def promotion_lift(groups: list[list[int]], *, store_ids: set[int] | None, using: str) -> list:
    """Promotion lift of each group of promotion ids (a row of a report:
    one promotion, a media type's, ...): (promoted daily sales - baseline
    daily sales) / baseline daily sales, summed over the group's
    promotions that have a baseline, within ``store_ids``.

    The promoted products are the (product, store) pairs sold under the
    promotion between its start and end dates; promoted daily sales are
    those pairs' store_sales in that span divided by its days; the
    baseline is the same pairs' store_sales in the 28 days before the
    start, divided by 28. Daily averages, so that a 3-day promotion and a
    4-week baseline compare. None where there is no baseline (no sales in
    the 4 weeks before, or before the data begins) or no dates."""
    parts = promotion_days(
        {pk for group in groups for pk in group}, store_ids=store_ids, using=using
    )
    out = []
    for group in groups:
        pairs = [parts[pk] for pk in group if pk in parts and parts[pk][1]]
        out.append(lift(sum(p[0] for p in pairs), sum(p[1] for p in pairs)) if pairs else None)
    return out


def promotion_days(promotion_ids, *, store_ids, using: str) -> dict:
    """{promotion id: (promoted daily sales, baseline daily sales)}."""
    scope = "" if store_ids is None else "AND f.store_id = ANY(%(stores)s)"
    sql = f"""
    WITH promo AS (
        SELECT id, start_date, end_date, end_date - start_date + 1 AS days
        FROM sales_promotion
        WHERE id = ANY(%(ids)s) AND start_date IS NOT NULL AND end_date IS NOT NULL
    ), pairs AS (
        SELECT DISTINCT f.promotion_id, f.product_id, f.store_id
        FROM sales_saleline f JOIN promo p ON p.id = f.promotion_id
        WHERE f.sale_date BETWEEN p.start_date AND p.end_date {scope}
    ), spans AS (
        SELECT pa.promotion_id,
               sum(f.store_sales) FILTER (WHERE f.sale_date >= p.start_date) AS during,
               sum(f.store_sales) FILTER (WHERE f.sale_date < p.start_date) AS before
        FROM pairs pa
        JOIN promo p ON p.id = pa.promotion_id
        JOIN sales_saleline f ON f.product_id = pa.product_id AND f.store_id = pa.store_id
             AND f.sale_date BETWEEN p.start_date - %(baseline)s AND p.end_date
        GROUP BY 1
    )
    SELECT p.id, s.during / p.days, s.before / %(baseline)s
    FROM promo p JOIN spans s ON s.promotion_id = p.id
    """
    params = {"ids": list(promotion_ids), "stores": sorted(store_ids or []), "baseline": 28}
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {pk: (during or Decimal(0), before) for pk, during, before in rows}


def lift(during_daily, baseline_daily) -> Decimal | None:
    if not baseline_daily or during_daily is None:
        return None
    return (Decimal(during_daily) - Decimal(baseline_daily)) / Decimal(baseline_daily)


@dataclass
class SameStoreGrowth:
    """Same-store sales growth = (sales this period - sales in the same
    period a year before) / sales in the same period a year before, over
    the comparable stores only: those open at least 13 months when the
    period starts (by ``first_opened_date``) that sold in both periods."""

    start: dt.date
    end: dt.date  # exclusive
    stores: list[str]  # the comparable store base
    excluded: list[str]  # selling now, but younger or with no opening date
    sales: Decimal | None
    sales_last_year: Decimal | None

    @property
    def growth(self) -> Decimal | None:
        if self.sales is None or not self.sales_last_year:
            return None
        return (self.sales - self.sales_last_year) / self.sales_last_year


def same_store_growth(start: dt.date, end: dt.date, *, store_ids, using: str) -> SameStoreGrowth:
    """``SameStoreGrowth`` for [start, end) within ``store_ids``."""
    cutoff = add_months(start, -COMPARABLE_MONTHS)
    scope = "" if store_ids is None else "AND s.id = ANY(%(stores)s)"
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.store_name, s.first_opened_date <= %(cutoff)s,
                   sum(r.store_sales) FILTER (WHERE r.sale_date >= %(start)s),
                   sum(r.store_sales) FILTER (WHERE r.sale_date < %(ly_end)s)
            FROM inventory_store s
            LEFT JOIN rollup_sales_day_store_promotion r ON r.store_id = s.id
                 AND (r.sale_date >= %(start)s AND r.sale_date < %(end)s
                      OR r.sale_date >= %(ly_start)s AND r.sale_date < %(ly_end)s)
            WHERE true {scope}
            GROUP BY s.store_name, s.first_opened_date ORDER BY s.store_name
            """,
            {
                "cutoff": cutoff,
                "start": start,
                "end": end,
                "ly_start": add_months(start, -12),
                "ly_end": add_months(end, -12),
                "stores": sorted(store_ids or []),
            },
        )
        rows = cursor.fetchall()
    comparable = [r for r in rows if r[1] and r[2] and r[3]]
    return SameStoreGrowth(
        start,
        end,
        [r[0] for r in comparable],
        [r[0] for r in rows if not r[1] and r[2]],
        _sum(r[2] for r in comparable),
        _sum(r[3] for r in comparable),
    )


def _sum(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    return sum(values, Decimal(0)) if values else None
