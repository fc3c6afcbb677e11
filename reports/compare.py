"""Period comparisons for any report: the period before, the same period
a year before, and month, quarter or year to date against the same span
a year before.

``plan`` turns a report's query and a comparison into the query to show
(to-date comparisons end it at the latest data) and the query to compare
with: the same levels, measures and filters over the other period.
``match`` pairs their rows: by value, or by position when the rows are
periods themselves (March 1998 faces March 1997).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from django.db import connections

from reports.cubes import Fact, Query, QueryError, date_range, read_alias
from reports.periods import add_months, change

CHOICES = {
    "previous": "the period before",
    "last_year": "a year before",
    "ytd": "year to date, a year before",
    "qtd": "quarter to date, a year before",
    "mtd": "month to date, a year before",
}
TO_DATE = {"ytd": 12, "qtd": 3, "mtd": 1}


@dataclass
class Plan:
    current: Query
    other: Query
    label: str  # the other period, for a column heading


def plan(fact: Fact, query: Query, compare: str) -> Plan:
    if compare not in CHOICES:
        raise QueryError(f"compare {compare!r}: choose {', '.join(CHOICES)}")
    start, end = date_range(fact, query)
    if compare in TO_DATE:
        start, end = _to_date(fact, query, TO_DATE[compare], end)
        current = _over(fact, query, start, end)
        return Plan(current, _over(fact, query, *_shift(start, end, 12)), _span(start, end, 12))
    if start is None or end is None:
        raise QueryError(
            "choose a period (a year, quarter, month, fiscal period or from and to) to compare"
        )
    step = 12 if compare == "last_year" else None
    other = _fiscal_step(fact, query, step) or (
        _shift(start, end, 12) if step else _previous(fact, query, start, end)
    )
    return Plan(query, _over(fact, query, *other), _span(*other))


def _over(fact: Fact, query: Query, start: dt.date, end: dt.date) -> Query:
    """``query`` over [start, end), its period filters replaced."""
    filters = {k: v for k, v in query.filters.items() if fact.level(k).grain is None}
    return replace(query, filters=filters, date_from=start, date_to=end - dt.timedelta(days=1))


def _shift(start: dt.date, end: dt.date, months: int) -> tuple[dt.date, dt.date]:
    return add_months(start, -months), add_months(end, -months)


def _previous(fact: Fact, query: Query, start, end) -> tuple[dt.date, dt.date]:
    """The span just before: one calendar unit back when the period is one
    (a month, quarter or year), else as many days back."""
    grains = {fact.level(k).grain for k in query.filters} - {None}
    units = {"year": 12, "quarter": 3, "month": 1}
    finest = [units[g] for g in grains if g in units]
    if finest and not (query.date_from or query.date_to) and "day" not in grains:
        return _shift(start, end, min(finest))
    length = end - start
    return start - length, start


def _fiscal_step(fact: Fact, query: Query, months: int | None):
    """The fiscal period before (``months`` None) or a year before, by its
    label: FY1998-P03 -> FY1998-P02 or FY1997-P03. Fiscal years have 52 or
    53 weeks and periods 4 or 5, so days cannot say it. None when the
    query has no fiscal period."""
    from reports.fiscal import bounds

    fiscal = [(k, v[0]) for k, v in query.filters.items() if fact.level(k).grain == "fiscal"]
    if not fiscal or query.date_from or query.date_to:
        return None
    name, value = max(fiscal, key=lambda kv: len(kv[1]))  # the finest
    year, unit, number = re.fullmatch(r"FY(\d{4})(?:-([QPW])(\d+))?", value).groups()
    year = int(year)
    if months or unit is None:
        label = f"FY{year - 1}" + (f"-{unit}{number}" if unit else "")
    elif int(number) > 1:
        label = f"FY{year}-{unit}{int(number) - 1:0{len(number)}d}"
    else:  # the last of the year before
        before = sorted(k for k in bounds() if k.startswith(f"FY{year - 1}-{unit}"))
        label = before[-1] if before else ""
    found = bounds().get(label)
    if found is None:
        raise QueryError(f"{name} {value!r} has no fiscal period to compare with")
    return found


def _to_date(fact: Fact, query: Query, months: int, end) -> tuple[dt.date, dt.date]:
    """[start of the year, quarter or month, day after the latest data],
    the latest data capped by the query's period end."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(f"SELECT max({fact.date}) FROM {fact.table}")
        latest = cursor.fetchone()[0]
    if latest is None:
        raise QueryError(f"there are no {fact.name} to compare")
    last = min(latest, end - dt.timedelta(days=1)) if end else latest
    first_month = (last.month - 1) // months * months + 1
    return dt.date(last.year, first_month, 1), last + dt.timedelta(days=1)


def _span(start: dt.date, end: dt.date, back: int = 0) -> str:
    if back:
        start, end = _shift(start, end, back)
    return f"{start:%Y-%m-%d} to {end - dt.timedelta(days=1):%Y-%m-%d}"


def match(rows: list, other_rows: list, *, by_position: bool) -> list:
    """The other period's row facing each row (None where there is none)."""
    if by_position:
        return [other_rows[i] if i < len(other_rows) else None for i in range(len(rows))]
    found = {row[0]: row for row in other_rows}
    return [found.get(row[0]) for row in rows]


def facing(rows: list, other_rows: list, column: int, *, by_position: bool) -> list[tuple]:
    """For each row: (the other period's value of ``column``, the change)."""
    pairs = []
    for row, then in zip(rows, match(rows, other_rows, by_position=by_position), strict=True):
        before = then[column] if then else None
        pairs.append((before, change(row[column], before)))
    return pairs


def compared(result, other, fact: Fact) -> None:
    """Add the first measure over the other period, and its change, to
    ``result`` (the command line's and the API's form of a comparison)."""
    measure = result.query.measures[0]
    column = result.columns.index(measure)
    level = result.query.by[0] if result.query.by else None
    # Without a level, the one row faces the other period's one row.
    by_position = level is None or fact.level(level).grain is not None
    pairs = facing(result.rows, other.rows, column, by_position=by_position)
    result.rows = [(*row, *pair) for row, pair in zip(result.rows, pairs, strict=True)]
    result.columns = [*result.columns, f"{measure}_compared", f"{measure}_change"]
