"""A generated, clearly labelled 1998 for the demo: FoodMart's sale lines
cover 1997 only, so year-over-year comparisons, same-store growth and the
"sales down against last year" alert have nothing to compare with.

The rule, documented here and in the README: every 1997 sale line from
1 January to 30 June, one year later (1997 and 1998 have no 29 February),
with its store_sales and store_cost multiplied by its store's growth
factor (``GROWTH``: +6 % by default, Store 7 -20 %, Store 24 +12 %) and its
units unchanged. The lines load through the pipeline as one batch whose
source is named ``GENERATED``, so the batch list says what they are and a
rollback removes them. ``load_foodmart`` never loads them.
"""

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.conf import settings

from etl.pipeline import run

GENERATED = "generated-demo-1998-h1 (FoodMart 1997 lines, one year later)"
GROWTH = {7: Decimal("0.80"), 24: Decimal("1.12")}
DEFAULT_GROWTH = Decimal("1.06")
UP_TO = "1997-06-30"


def sales_1998(directory=None) -> pd.DataFrame:
    """The generated lines, as a sales_fact frame."""
    directory = directory or settings.FOODMART_DATA_DIR
    lines = pd.read_csv(directory / "sales_fact_1997.csv", dtype=str, keep_default_na=False)
    days = pd.read_csv(directory / "time_by_day.csv", dtype=str, keep_default_na=False)
    lines = lines.merge(days[["time_id", "the_date"]], on="time_id")
    dates = pd.to_datetime(lines.pop("the_date").str[:10])
    lines = lines[dates <= UP_TO].drop(columns="time_id")
    dates = dates[dates <= UP_TO]
    lines.insert(1, "sale_date", (dates + pd.DateOffset(years=1)).dt.strftime("%Y-%m-%d"))
    factor = lines["store_id"].map(lambda s: GROWTH.get(int(s), DEFAULT_GROWTH))
    for column in ("store_sales", "store_cost"):
        lines[column] = [
            str((Decimal(v) * f).quantize(Decimal("0.0001"), ROUND_HALF_UP))
            for v, f in zip(lines[column], factor, strict=True)
        ]
    return lines.reset_index(drop=True)


def load_sales_1998(*, directory=None, user=None):
    """Load the generated lines (once: a second call raises AlreadyLoaded)."""
    return run(
        sales_1998(directory),
        table="sales_fact",
        user=user,
        door="demo_sales_1998",
        source_name=GENERATED,
    )
