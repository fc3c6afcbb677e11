"""When a subscription is due, and how a rule reads its threshold and
window; no database needed."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from reports.periods import add_months
from subscriptions.alerts import window, year_before
from subscriptions.models import AlertRule, Subscription

LA = ZoneInfo("America/Los_Angeles")


def at(day: str, hour: int = 7) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), LA)


def subscription(frequency, last_sent=None) -> Subscription:
    return Subscription(frequency=frequency, last_sent=last_sent)


@pytest.mark.parametrize("frequency", Subscription.Frequency.values)
def test_a_subscription_never_sent_is_due(frequency):
    assert subscription(frequency).is_due(at("2024-05-15"))


@pytest.mark.parametrize(
    "last_sent, now, due",
    [
        ("2024-05-14", "2024-05-15", True),
        ("2024-05-15", "2024-05-15", False),  # sent at 7:00, cron again at 18:00
        ("2024-05-15", "2024-05-16", True),
    ],
)
def test_daily_is_due_once_a_calendar_day(last_sent, now, due):
    sub = subscription(Subscription.Frequency.DAILY, at(last_sent, 7))
    assert sub.is_due(at(now, 18 if last_sent == now else 7)) is due


@pytest.mark.parametrize(
    "last_sent, now, due",
    [
        ("2024-05-13", "2024-05-19", False),  # Monday .. Sunday: one ISO week
        ("2024-05-13", "2024-05-20", True),  # the next Monday
        ("2024-05-19", "2024-05-20", True),  # Sunday, then Monday
        ("2023-12-31", "2024-01-01", True),  # across the year
    ],
)
def test_weekly_is_due_once_an_iso_week(last_sent, now, due):
    assert subscription(Subscription.Frequency.WEEKLY, at(last_sent)).is_due(at(now)) is due


@pytest.mark.parametrize(
    "last_sent, now, due",
    [
        ("2024-05-01", "2024-05-31", False),
        ("2024-05-31", "2024-06-01", True),
        ("2023-12-15", "2024-01-02", True),
    ],
)
def test_monthly_is_due_once_a_calendar_month(last_sent, now, due):
    assert subscription(Subscription.Frequency.MONTHLY, at(last_sent)).is_due(at(now)) is due


def test_due_follows_local_time_not_utc():
    # 23:30 in Los Angeles is already the next day in UTC.
    late = dt.datetime(2024, 5, 15, 23, 30, tzinfo=LA)
    sub = subscription(Subscription.Frequency.DAILY, late)
    assert not sub.is_due(dt.datetime(2024, 5, 15, 23, 50, tzinfo=LA))
    assert sub.is_due(dt.datetime(2024, 5, 16, 0, 10, tzinfo=LA))


def rule(**kwargs) -> AlertRule:
    defaults = {
        "fact": "deliveries",
        "measure": "fill_rate",
        "levels": "store_name, warehouse_name",
        "comparison": "below",
        "threshold": Decimal("90"),
        "window_count": 4,
        "window_unit": "weeks",
    }
    return AlertRule(**{**defaults, **kwargs})


def test_ratio_and_change_thresholds_are_percentages():
    fill = rule()
    assert fill.level_names == ["store_name", "warehouse_name"]
    assert fill.limit() == Decimal("0.9")
    assert fill.breached_by(Decimal("0.89")) and not fill.breached_by(Decimal("0.9"))
    assert not fill.breached_by(None)
    down = rule(fact="sales", measure="store_sales", comparison="change_below", threshold=-15)
    assert down.limit() == Decimal("-0.15")
    assert down.breached_by(Decimal("-0.2")) and not down.breached_by(Decimal("-0.1"))
    units = rule(measure="units_shipped", comparison="above", threshold=Decimal("1000"))
    assert units.limit() == 1000 and units.breached_by(1001) and not units.breached_by(1000)
    assert "fill_rate below 90 %" in fill.describe()


def test_windows_end_on_the_latest_data_date():
    end = dt.date(1997, 12, 31)
    assert window(rule(), end) == (dt.date(1997, 12, 4), end)
    assert window(rule(window_count=1, window_unit="months"), end) == (dt.date(1997, 12, 1), end)
    assert window(rule(window_count=3, window_unit="months"), end) == (dt.date(1997, 10, 1), end)
    assert add_months(dt.date(1998, 3, 31), -1) == dt.date(1998, 2, 28)
    assert year_before(dt.date(1996, 2, 29), end) == (dt.date(1995, 2, 28), dt.date(1996, 12, 31))
