"""The demo's alert rules and subscriptions (``manage.py demo_alerts``,
run by ``make demo``): the examples of issue 8, owned by the executive."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from reports.cubes import QueryError, get_fact
from subscriptions.alerts import validate_rule
from subscriptions.models import OVERVIEW, AlertRule, Subscription

DEMO_RULES = [
    {
        "name": "Fill rate below 90 % for a store and warehouse",
        "fact": "deliveries",
        "measure": "fill_rate",
        "levels": "store_name,warehouse_name",
        "comparison": AlertRule.Comparison.BELOW,
        "threshold": 90,
        "window_count": 4,
        "window_unit": AlertRule.WindowUnit.WEEKS,
        "report": "deliveries",
    },
    {
        "name": "Store sales down more than 15 % against last year",
        "fact": "sales",
        "measure": "store_sales",
        "levels": "store_name",
        "comparison": AlertRule.Comparison.CHANGE_BELOW,
        "threshold": -15,
        "window_count": 3,
        "window_unit": AlertRule.WindowUnit.MONTHS,
        "report": "sales-over-time",
    },
]
# Only when the layer has a promotion lift measure (issue 8, part 1).
LIFT_RULE = {
    "name": "Promotion lift below 0",
    "fact": "sales",
    "levels": "promotion_name",
    "comparison": AlertRule.Comparison.BELOW,
    "threshold": 0,
    "window_count": 12,
    "window_unit": AlertRule.WindowUnit.MONTHS,
    "report": "promotions",
}
DEMO_SUBSCRIPTIONS = [
    ("executive", OVERVIEW, "", Subscription.Frequency.WEEKLY),
    ("manager", "deliveries", "", Subscription.Frequency.WEEKLY),
]


def lift_measure() -> str | None:
    """The sales measure named for promotion lift, if the layer has one."""
    return next((name for name in get_fact("sales").measures if "lift" in name), None)


def demo_rule_specs() -> list[dict]:
    lift = lift_measure()
    return DEMO_RULES + ([{**LIFT_RULE, "measure": lift}] if lift else [])


def create_demo_rules(*, username: str = "executive") -> tuple[list[AlertRule], list[str]]:
    """Create or reset the demo rules for ``username``; return them and
    the names of those the layer cannot check (skipped)."""
    owner = get_user_model().objects.get(username=username)
    rules, skipped = [], []
    for spec in demo_rule_specs():
        rule = AlertRule(owner=owner, **spec)
        try:
            validate_rule(rule, owner=owner)
        except QueryError as exc:
            skipped.append(f"{spec['name']}: {exc}")
            continue
        fields = {k: v for k, v in spec.items() if k != "name"}
        rule, _ = AlertRule.objects.update_or_create(
            owner=owner, name=spec["name"], defaults=fields
        )
        rules.append(rule)
    return rules, skipped


def create_demo_subscriptions() -> list[Subscription]:
    users = get_user_model().objects
    return [
        Subscription.objects.get_or_create(
            user=users.get(username=username),
            report=report,
            query_string=query,
            defaults={"frequency": frequency},
        )[0]
        for username, report, query, frequency in DEMO_SUBSCRIPTIONS
    ]
