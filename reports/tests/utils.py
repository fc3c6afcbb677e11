"""Helpers shared by the report tests."""

import csv
import io

import pandas as pd


def rows_of(response) -> list[dict]:
    """The rows of a CSV response (which must be a 200)."""
    assert response.status_code == 200, response.content[:500]
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def assert_refused(response, message: str) -> None:
    """A 400 whose page says ``message``."""
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")


def sale_lines(dates, *, store=6, product=1, sales="2.50", cost="1.00") -> pd.DataFrame:
    """A sales_fact frame: one line per date, each for another customer
    (identical lines would be refused as repeats)."""
    n = len(dates)
    return pd.DataFrame(
        {
            "product_id": [product] * n,
            "sale_date": list(dates),
            "customer_id": list(range(3, 3 + n)),
            "promotion_id": [0] * n,
            "store_id": [store] * n,
            "store_sales": [sales] * n,
            "store_cost": [cost] * n,
            "unit_sales": [2] * n,
        }
    )
