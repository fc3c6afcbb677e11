"""Email subscriptions to report pages, and alert rules with the alerts
they raise. What they send and check lives in services.py and alerts.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

OVERVIEW = "overview"


class Subscription(models.Model):
    """A user's standing order for one report page (its filters in the
    query string), emailed daily, weekly or monthly."""

    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"
        MONTHLY = "monthly"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    report = models.CharField(
        max_length=60, help_text='A catalogue report\'s slug, or "overview".'
    )
    query_string = models.CharField(
        max_length=2000, blank=True, help_text="The page's filters, as in its address."
    )
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "report", "query_string"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "report", "query_string"], name="one_subscription_per_page"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.path} ({self.frequency})"

    @property
    def path(self) -> str:
        url = reverse("reports:report", args=[self.report])
        return f"{url}?{self.query_string}" if self.query_string else url

    def is_due(self, now: dt.datetime | None = None) -> bool:
        """Due once per calendar day, ISO week or month (local time), so a
        daily cron job sends weekly ones on Mondays and monthly ones on
        the first."""
        if self.last_sent is None:
            return True
        today = timezone.localdate(now or timezone.now())
        last = timezone.localdate(self.last_sent)
        if self.frequency == self.Frequency.DAILY:
            return last < today
        if self.frequency == self.Frequency.WEEKLY:
            return last.isocalendar()[:2] < today.isocalendar()[:2]
        return (last.year, last.month) < (today.year, today.month)


class AlertRule(models.Model):
    """A condition on one measure for each group of some levels, over the
    last N weeks or months up to the latest data date; checked after
    every load (alerts.check_alerts)."""

    class Comparison(models.TextChoices):
        BELOW = "below"
        ABOVE = "above"
        CHANGE_BELOW = "change_below", "change vs last year below"

    class WindowUnit(models.TextChoices):
        WEEKS = "weeks"
        MONTHS = "months"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_rules"
    )
    name = models.CharField(max_length=200)
    fact = models.CharField(max_length=30, help_text="sales, deliveries, payroll or expenses.")
    measure = models.CharField(max_length=60, help_text="A measure of the fact, e.g. fill_rate.")
    levels = models.CharField(
        max_length=200,
        help_text="The groups, comma-separated levels of the fact, e.g. "
        "store_name,warehouse_name.",
    )
    comparison = models.CharField(max_length=20, choices=Comparison.choices)
    threshold = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        help_text="In percent for ratio measures (90 = 90 %) and for changes "
        "(-15 = down 15 %); otherwise in the measure's unit.",
    )
    window_count = models.PositiveSmallIntegerField("window", default=4)
    window_unit = models.CharField(
        max_length=10, choices=WindowUnit.choices, default=WindowUnit.WEEKS
    )
    filters = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Optional, as in a report's address: store_state=CA&product_family=Food.",
    )
    report = models.CharField(
        max_length=60,
        blank=True,
        help_text="The report page an alert links to; blank: the first report of "
        "the fact that drills through the levels.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["owner", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def level_names(self) -> list[str]:
        return [n.strip() for n in self.levels.split(",") if n.strip()]

    def filter_dict(self) -> dict[str, list[str]]:
        params = QueryDict(self.filters)
        return {key: params.getlist(key) for key in params}

    def is_percent(self) -> bool:
        from reports.cubes import get_fact

        measure = get_fact(self.fact).measures.get(self.measure)
        is_ratio = measure is not None and measure.format == "ratio"
        return self.comparison == self.Comparison.CHANGE_BELOW or is_ratio

    def limit(self) -> Decimal:
        """The threshold in the measure's own unit (a fraction for ratios
        and changes)."""
        threshold = Decimal(str(self.threshold))
        return threshold / 100 if self.is_percent() else threshold

    def breached_by(self, value) -> bool:
        if value is None:
            return False
        if self.comparison == self.Comparison.ABOVE:
            return Decimal(value) > self.limit()
        return Decimal(value) < self.limit()

    def describe(self) -> str:
        unit = " %" if self.is_percent() else ""
        what = "change vs last year of " if self.comparison == "change_below" else ""
        comparison = "above" if self.comparison == "above" else "below"
        return (
            f"{what}{self.measure} {comparison} {self.threshold.normalize():f}{unit} "
            f"by {', '.join(self.level_names)} over the last {self.window_count} "
            f"{self.window_unit}"
        )


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(cleared_at__isnull=True)

    def owned_by(self, user):
        return self.filter(rule__owner=user)


class Alert(models.Model):
    """A group (its level values) for which a rule held; open until a
    check finds it no longer holds."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    values = models.JSONField(help_text="The group: level -> value.")
    record_ids = models.JSONField(default=dict, help_text="level -> the record's id.")
    value = models.DecimalField(
        "measured", max_digits=24, decimal_places=6, null=True, help_text="At the last check."
    )
    window_from = models.DateField()
    window_to = models.DateField()
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "values"],
                condition=models.Q(cleared_at__isnull=True),
                name="one_open_alert_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.group}"

    @property
    def group(self) -> str:
        return ", ".join(str(v) for v in self.values.values())

    @property
    def shown_value(self) -> str:
        if self.value is None:
            return ""
        if self.rule.comparison == AlertRule.Comparison.CHANGE_BELOW:
            return f"{self.value * 100:+.1f} %"
        if self.rule.is_percent():
            return f"{self.value * 100:.1f} %"
        return f"{self.value:,.2f}"

    @property
    def report_url(self) -> str:
        from subscriptions.alerts import report_url

        return report_url(self)

    @property
    def admin_url(self) -> str | None:
        from subscriptions.alerts import admin_url

        return admin_url(self)
