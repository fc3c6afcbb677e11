"""Alert rules evaluated with the semantic layer, and the alerts they keep
open: ``check_alerts`` runs after every committed load or rollback
(signals.py) and from ``manage.py check_alerts``.

A rule's window is the last N weeks or months up to the latest data date
(``reports.freshness``), both ends included; "change vs last year" sets it
against the same dates a calendar year before. Each figure is computed
under the rule owner's store scope, so an alert never shows an owner a
store they may not see.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.apps import apps
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reports.catalog import BY_SLUG, REPORTS, Report
from reports.cubes import Query, QueryError, compile_query, get_fact, run_query
from reports.freshness import freshness
from reports.periods import add_months, change
from subscriptions.models import Alert, AlertRule

logger = logging.getLogger(__name__)


@dataclass
class Breach:
    values: dict  # level -> value, JSON-safe
    record_ids: dict  # level -> record id
    value: Decimal | None


@dataclass
class Counts:
    rules: int = 0
    raised: int = 0
    cleared: int = 0
    open: int = 0
    errors: int = 0

    def __str__(self) -> str:
        return (
            f"{self.rules} rules checked: {self.raised} alerts raised, "
            f"{self.cleared} cleared, {self.open} open, {self.errors} rules in error"
        )


def window(rule: AlertRule, up_to: dt.date) -> tuple[dt.date, dt.date]:
    """The rule's period, both ends included, ending on ``up_to``."""
    if rule.window_unit == AlertRule.WindowUnit.WEEKS:
        start = up_to - dt.timedelta(weeks=rule.window_count)
    else:
        start = add_months(up_to, -rule.window_count)
    return start + dt.timedelta(days=1), up_to


def year_before(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    return add_months(start, -12), add_months(end, -12)


def _json_safe(value):
    return value if value is None or isinstance(value, int | str) else str(value)


def _figures(rule: AlertRule, start: dt.date, end: dt.date) -> dict[tuple, tuple]:
    """(level values) -> (measure, record ids) for the rule's groups."""
    query = Query(
        rule.fact,
        by=rule.level_names,
        measures=[rule.measure],
        filters=rule.filter_dict(),
        date_from=start,
        date_to=end,
    )
    # The primary: right after a commit, a replica may not have it yet.
    result = run_query(query, user=rule.owner, using="default")
    return {
        tuple(_json_safe(v) for v in row[:-1]): (row[-1], ids)
        for row, ids in zip(result.rows, result.record_ids, strict=True)
    }


def evaluate(rule: AlertRule, up_to: dt.date) -> list[Breach]:
    """The groups for which ``rule`` holds in its window ending ``up_to``."""
    start, end = window(rule, up_to)
    figures = _figures(rule, start, end)
    if rule.comparison == AlertRule.Comparison.CHANGE_BELOW:
        before = _figures(rule, *year_before(start, end))
        figures = {
            key: (change(value, before.get(key, (None,))[0]), ids)
            for key, (value, ids) in figures.items()
        }
    return [
        Breach(dict(zip(rule.level_names, key, strict=True)), ids, value)
        for key, (value, ids) in figures.items()
        if rule.breached_by(value)
    ]


def _key(rule: AlertRule, values: dict) -> tuple:
    return tuple(str(values.get(level)) for level in rule.level_names)


def sync_alerts(rule: AlertRule, breaches: list[Breach], *, up_to, now) -> Counts:
    """Open an alert per new breach, refresh the open ones that still
    hold, clear the others."""
    counts = Counts(rules=1)
    start, end = window(rule, up_to) if up_to else (None, None)
    opened = {_key(rule, a.values): a for a in rule.alerts.open().select_for_update()}
    for breach in breaches:
        alert = opened.pop(_key(rule, breach.values), None)
        if alert is None:
            alert = Alert(rule=rule, values=breach.values, raised_at=now)
            counts.raised += 1
        alert.record_ids, alert.value = breach.record_ids, breach.value
        alert.window_from, alert.window_to = start, end
        alert.save()
    for alert in opened.values():
        alert.cleared_at = now
        alert.save(update_fields=["cleared_at"])
    counts.cleared, counts.open = len(opened), len(breaches)
    return counts


def check_rule(rule: AlertRule, *, up_to: dt.date | None, now: dt.datetime) -> Counts:
    """Evaluate one rule and bring its alerts up to date."""
    with transaction.atomic():
        AlertRule.objects.select_for_update().filter(pk=rule.pk).first()
        breaches = evaluate(rule, up_to) if up_to and rule.active else []
        return sync_alerts(rule, breaches, up_to=up_to, now=now)


def check_saved_rule(rule: AlertRule) -> Counts:
    """Check one rule now, as saving it in the admin does."""
    return check_rule(rule, up_to=freshness().up_to, now=timezone.now())


def check_alerts(*, now: dt.datetime | None = None) -> Counts:
    """Evaluate every rule (each under its owner's scope), open alerts for
    the groups that breach, clear those that no longer do. Rules turned
    off have their alerts cleared."""
    now = now or timezone.now()
    total = Counts()
    rules = list(AlertRule.objects.select_related("owner"))
    if not rules:
        return total
    up_to = freshness().up_to
    for rule in rules:
        try:
            counts = check_rule(rule, up_to=up_to, now=now)
        except QueryError as exc:
            logger.warning("alert rule %s (%s) cannot be checked: %s", rule.pk, rule, exc)
            total.errors += 1
            continue
        total.rules += counts.rules if rule.active else 0
        total.raised += counts.raised
        total.cleared += counts.cleared
        total.open += counts.open
    return total


# --- Validation -----------------------------------------------------------


def validate_rule(rule: AlertRule, *, owner=None) -> None:
    """QueryError saying what is wrong with the rule's fact, measure,
    levels, filters or report, or that ``owner`` may not read its fact."""
    fact = get_fact(rule.fact)
    app, model = fact.lines_model
    if owner is not None and not owner.has_perm(f"{app}.view_{model}"):
        raise QueryError(f"you may not read {fact.name}")
    if not rule.level_names:
        raise QueryError("name at least one level to group by, e.g. store_name")
    fact.measure(rule.measure)
    for name in (*rule.level_names, *rule.filter_dict()):
        fact.level(name)
    if rule.window_count < 1:
        raise QueryError("the window is at least 1 week or month")
    query = Query(rule.fact, rule.level_names, [rule.measure], rule.filter_dict())
    compile_query(query, store_ids=None)
    if rule.report:
        report = BY_SLUG.get(rule.report)
        if report is None or report.fact != rule.fact:
            choices = ", ".join(r.slug for r in REPORTS if r.fact == rule.fact)
            raise QueryError(f"report {rule.report!r} is not a {rule.fact} report: {choices}")


# --- Links ----------------------------------------------------------------


def report_for(rule: AlertRule) -> Report:
    """The rule's report, else the first of its fact whose drill-down
    holds its levels, else the first of its fact."""
    if rule.report in BY_SLUG:
        return BY_SLUG[rule.report]
    own = [r for r in REPORTS if r.fact == rule.fact]
    fits = [r for r in own if all(level in r.drill for level in rule.level_names)]
    return (fits or own)[0]


def report_url(alert: Alert) -> str:
    """The report page filtered to the alert's group and window (for a
    change, from the year before on, so both periods show)."""
    rule, report = alert.rule, report_for(alert.rule)
    start = alert.window_from
    if rule.comparison == AlertRule.Comparison.CHANGE_BELOW:
        start = year_before(alert.window_from, alert.window_to)[0]
    pairs = [(k, v) for k, values in rule.filter_dict().items() for v in values]
    order = {level: i for i, level in enumerate(report.drill)}
    for level in sorted(alert.values, key=lambda n: order.get(n, len(order))):
        if alert.values[level] is not None:
            pairs.append((level, alert.values[level]))
    pairs += [("from", start.isoformat()), ("to", alert.window_to.isoformat())]
    return reverse("reports:report", args=[report.slug]) + "?" + urlencode(pairs)


def _foreign_key_to(model, name: str) -> str | None:
    for field in model._meta.fields:
        if field.is_relation and field.related_model._meta.model_name == name:
            return field.name
    return None


def admin_url(alert: Alert) -> str | None:
    """The back-office list of the rows behind the alert: its records
    (store, warehouse, product...) and window. Levels without a record of
    their own (a state, a class) cannot be said there and are left out.
    None when the owner may not view those rows."""
    fact = get_fact(alert.rule.fact)
    app, name = fact.lines_model
    if not alert.rule.owner.has_perm(f"{app}.view_{name}"):
        return None
    model = apps.get_model(app, name)
    params = []
    for level in alert.rule.level_names:
        record = fact.levels[level].record if level in fact.levels else None
        pk = alert.record_ids.get(level)
        field = _foreign_key_to(model, record[1]) if record else None
        if field and pk is not None:
            params.append((f"{field}__id__exact", pk))
    params += [
        (f"{fact.date}__gte", alert.window_from.isoformat()),
        (f"{fact.date}__lte", alert.window_to.isoformat()),
    ]
    return reverse(f"admin:{app}_{name}_changelist") + "?" + urlencode(params)
