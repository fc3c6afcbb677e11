"""Calendar arithmetic shared by the layer, the comparisons, the KPIs and
the alerts: months forward and back, and the change between two figures."""

import calendar
import datetime as dt
from decimal import Decimal


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` (negative: back), kept within its month:
    31 March - 1 month = 28 or 29 February."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def change(now, then) -> Decimal | None:
    """change = (now - then) / |then|; None when either is missing or
    ``then`` is zero."""
    if now is None or not then:
        return None
    return (Decimal(now) - Decimal(then)) / abs(Decimal(then))
