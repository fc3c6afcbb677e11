"""A result as CSV, JSON or a text table: money with two decimals, ratios
with four, units as they are. The command line, the JSON endpoint and the
page exports all write through here, so they agree to the cent."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import ROUND_HALF_UP, Decimal

from reports.cubes import Result, get_fact

PLACES = {
    "money": Decimal("0.01"),
    "ratio": Decimal("0.0001"),
    "days": Decimal("0.01"),
    "units": Decimal("0.0001"),
}


def formats_of(result: Result) -> list[str | None]:
    """Each column's format: a measure's (its comparison's too), a
    change's (a ratio), or None for a level."""
    fact = get_fact(result.query.fact)

    def fmt(name):
        if name.endswith("_change"):
            return "ratio"
        base = name.removesuffix("_compared")
        return fact.measures[base].format if base in fact.measures else None

    return [fmt(c) for c in result.columns]


def plain(value, fmt: str | None):
    """A value for CSV and JSON: decimals rounded to their format's places
    (exact, half up), dates as ISO, counts as integers."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if fmt == "count":
        return int(value)
    if fmt in PLACES:
        rounded = Decimal(value).quantize(PLACES[fmt], rounding=ROUND_HALF_UP)
        if fmt == "units":
            rounded = rounded.normalize() if rounded == rounded.to_integral() else rounded
            return format(rounded, "f")
        return format(rounded, "f")
    return value


def plain_rows(result: Result) -> list[list]:
    fmts = formats_of(result)
    return [[plain(v, f) for v, f in zip(row, fmts, strict=True)] for row in result.rows]


def csv_text(header: list[str], rows) -> str:
    """A header line and the rows, blanks for None."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue()


def to_csv(result: Result) -> str:
    return csv_text(result.columns, plain_rows(result))


def to_json(result: Result) -> dict:
    """The JSON body: the query as understood, the columns with their
    formats, the rows, and which source answered."""
    q = result.query
    return {
        "fact": q.fact,
        "by": q.by,
        "measures": q.measures,
        "filters": q.filters,
        "from": q.date_from.isoformat() if q.date_from else None,
        "to": q.date_to.isoformat() if q.date_to else None,
        "columns": [
            {"name": c, "format": f}
            for c, f in zip(result.columns, formats_of(result), strict=True)
        ],
        "rows": plain_rows(result),
        "source": result.source,
    }


def to_table(result: Result) -> str:
    rows = [["" if v is None else str(v) for v in row] for row in plain_rows(result)]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(result.columns)]
    fmts = formats_of(result)

    def line(cells):
        return "  ".join(
            cell.rjust(w) if f else cell.ljust(w)
            for cell, w, f in zip(cells, widths, fmts, strict=True)
        ).rstrip()

    return "\n".join(
        [line(result.columns), line(["-" * w for w in widths])] + [line(r) for r in rows]
    )


def dumps(data) -> str:
    return json.dumps(data, indent=2, default=str)
