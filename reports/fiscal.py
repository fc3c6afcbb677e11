"""The retail calendar: a 4-5-4 fiscal year of 52 or 53 weeks.

A fiscal year ends on the Saturday nearest the last day of the month
before ``FISCAL_YEAR_START_MONTH`` (2, February, by default: the NRF
calendar, whose year ends on the Saturday nearest January 31), so it
always starts on a Sunday and holds whole weeks. Each quarter has
periods of 4, 5 and 4 weeks; a 53rd week joins the last period. The
year is named by the calendar year it starts in (FY1997 starts on
2 February 1997).

The days are kept in the table ``reports_fiscalday`` (one row per day,
1990 to 2040) that the layer joins for the fiscal levels;
``manage.py fiscal_calendar`` rebuilds it after the start month changes.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from django.conf import settings
from django.db import connections

WEEKS = [4, 5, 4] * 4
FIRST_YEAR, LAST_YEAR = 1990, 2040


def start_month() -> int:
    return getattr(settings, "FISCAL_YEAR_START_MONTH", 2)


def year_end(year: int, month: int) -> dt.date:
    """The last day of fiscal year ``year``: the Saturday nearest the end
    of the month before ``month``, in the next calendar year (or this one
    for a January start)."""
    end_year = year + 1 if month > 1 else year
    end_month = month - 1 if month > 1 else 12
    next_month = dt.date(end_year + end_month // 12, end_month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    offset = (last.weekday() - 5) % 7  # days since the last Saturday
    return last - dt.timedelta(days=offset) if offset <= 3 else last + dt.timedelta(7 - offset)


def days(year: int, month: int):
    """(day, fiscal year, quarter, period, week) for each day of ``year``."""
    first = year_end(year - 1, month) + dt.timedelta(days=1)
    last = year_end(year, month)
    weeks = (last - first).days // 7 + 1
    lengths = WEEKS[:-1] + [WEEKS[-1] + weeks - 52]
    day, week = first, 1
    for period, length in enumerate(lengths, start=1):
        for _ in range(length):
            for _ in range(7):
                yield day, year, (period - 1) // 3 + 1, period, week
                day += dt.timedelta(days=1)
            week += 1


def rows(month: int | None = None):
    month = month or start_month()
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        for day, fy, quarter, period, week in days(year, month):
            yield (
                day,
                f"FY{fy}",
                f"FY{fy}-Q{quarter}",
                f"FY{fy}-P{period:02d}",
                f"FY{fy}-W{week:02d}",
            )


def fill(cursor, month: int | None = None) -> int:
    """(Re)write ``reports_fiscalday``; return its row count."""
    cursor.execute("DELETE FROM reports_fiscalday")
    data = list(rows(month))
    with cursor.copy(
        "COPY reports_fiscalday (day, fiscal_year, fiscal_quarter, fiscal_period, fiscal_week) "
        "FROM STDIN"
    ) as copy:
        for row in data:
            copy.write_row(row)
    bounds.cache_clear()
    return len(data)


@cache
def bounds(using: str = "default") -> dict[str, tuple[dt.date, dt.date]]:
    """{label: [start, end)} of every fiscal year, quarter, period, week."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT label, min(day), max(day) + 1 FROM reports_fiscalday, "
            "LATERAL (VALUES (fiscal_year), (fiscal_quarter), (fiscal_period), (fiscal_week)) "
            "AS v(label) GROUP BY label"
        )
        return {label: (start, end) for label, start, end in cursor.fetchall()}
