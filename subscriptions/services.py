"""Subscriptions: creating them, and sending the due ones as emails that
show what the page shows, under the subscriber's own store scope at the
time of sending, with the chart as an inline PNG, a link back, the
owner's open alerts and the freshness line."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from email.mime.image import MIMEImage

from django.conf import settings
from django.core import mail
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from inventory.scoping import store_ids_for
from reports import overview
from reports.catalog import BY_SLUG
from reports.cubes import QueryError
from reports.freshness import freshness
from reports.pages import build
from reports.templatetags.figures import change, figure
from subscriptions.charts import render_png
from subscriptions.models import OVERVIEW, Alert, Subscription

logger = logging.getLogger(__name__)

EMAIL_ROWS = 50  # the table in an email; the link shows them all
CHART_CID = "chart"


class Unsendable(Exception):
    """A subscription that cannot be sent now; the message says why."""


def subscribe(*, user, report: str, query_string: str, frequency: str):
    """Subscribe ``user`` to a page, or change the frequency of the same
    page's subscription; return (subscription, created)."""
    return Subscription.objects.update_or_create(
        user=user, report=report, query_string=query_string, defaults={"frequency": frequency}
    )


def absolute(path: str) -> str:
    """``path`` on the site as emails link to it (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path


@dataclass
class Content:
    title: str
    subtitle: str
    columns: list[tuple[str, str]]  # (label, css class)
    rows: list[list[str]]  # formatted cells
    chart: dict | None
    total_rows: int = 0
    notes: list[str] = field(default_factory=list)


def _cell(value, fmt) -> str:
    if value is None:
        return "–" if fmt else ""
    return str(figure(value, fmt)) if fmt else str(value)


def report_content(subscription: Subscription) -> Content:
    """What the subscribed page shows, for its subscriber, now."""
    user, params = subscription.user, QueryDict(subscription.query_string)
    if subscription.report == OVERVIEW:
        return overview_content(user, params)
    report = BY_SLUG.get(subscription.report)
    if report is None:
        raise Unsendable(f"there is no report {subscription.report!r} any more")
    if not user.has_perm(report.permission):
        raise Unsendable(f"{user} may no longer read {report.title}")
    page = build(report, params, user)
    level = f"by {page.level_label.lower()}" if page.level else "the lines behind the figures"
    filters = [label for label, _ in page.crumbs[2:]]
    return Content(
        title=report.title,
        subtitle=" · ".join([level, *filters]),
        columns=[(c.label, c.format or "level") for c in page.columns],
        rows=[
            [_cell(v, c.format) for v, c in zip(row, page.columns, strict=True)]
            for row in page.rows
        ],
        chart=page.chart if page.level else None,
        total_rows=len(page.rows),
        notes=[page.notice] if page.notice else [],
    )


def _comparison_labels(grain: str, value: str) -> list[str]:
    previous = overview.shift(grain, value, overview.STEP[grain])
    last_year = overview.shift(grain, value, 12)
    labels = [previous, f"vs {previous}"]
    return labels if previous == last_year else [*labels, last_year, f"vs {last_year}"]


def _tile_row(tile) -> list[str]:
    return [
        tile.label,
        _cell(tile.value, tile.format),
        _cell(tile.previous, tile.format),
        change(tile.vs_previous),
        _cell(tile.last_year, tile.format),
        change(tile.vs_last_year),
    ]


def overview_content(user, params) -> Content:
    """The executive overview's tiles as a table, its trend as the chart."""
    if not user.has_perm("sales.view_saleline"):
        raise Unsendable(f"{user} may no longer read the executive overview")
    grain, value = overview.period_of(params)
    store_ids = store_ids_for(user)
    tiles, _ = overview.tiles(grain, value, store_ids)
    trend = overview.trend(grain, value, store_ids)
    columns = ["KPI", value, *_comparison_labels(grain, value)]
    rows = [_tile_row(t)[: len(columns)] for t in tiles]
    chart = {
        "kind": "line",
        "labels": [row[0] for row in trend.rows],
        "series": [
            {"label": "Store sales", "data": [row[1] for row in trend.rows]},
            {"label": "Profit", "data": [row[2] for row in trend.rows]},
        ],
    }
    return Content(
        title="Executive overview",
        subtitle=f"{grain} {value}",
        columns=[(label, "level" if i == 0 else "money") for i, label in enumerate(columns)],
        rows=rows,
        chart=chart,
        total_rows=len(rows),
    )


def _alert_links(user) -> list[dict]:
    alerts = Alert.objects.open().owned_by(user).select_related("rule", "rule__owner")
    return [
        {
            "alert": a,
            "report_url": absolute(a.report_url),
            "admin_url": absolute(a.admin_url) if a.admin_url else None,
        }
        for a in alerts
    ]


def _context(subscription: Subscription, content: Content, has_chart: bool) -> dict:
    user, fresh = subscription.user, freshness()
    batch_url = fresh.batch_url if user.has_perm("etl.view_batch") else None
    return {
        "subscription": subscription,
        "content": content,
        "rows": content.rows[:EMAIL_ROWS],
        "more": max(0, content.total_rows - EMAIL_ROWS),
        "has_chart": has_chart,
        "chart_cid": CHART_CID,
        "url": absolute(subscription.path),
        "manage_url": absolute("/admin/subscriptions/subscription/"),
        "alerts": _alert_links(user),
        "freshness": str(fresh),
        "batch_url": absolute(batch_url) if batch_url else None,
    }


def build_email(subscription: Subscription, *, connection=None) -> mail.EmailMultiAlternatives:
    """The email of ``subscription`` as it stands now: text and HTML, the
    chart inline (Content-ID ``chart``). Raises Unsendable or QueryError."""
    if not subscription.user.email:
        raise Unsendable(f"{subscription.user} has no email address")
    content = report_content(subscription)
    png = render_png(content.chart, title=content.title)
    context = _context(subscription, content, has_chart=png is not None)
    message = mail.EmailMultiAlternatives(
        subject=f"{content.title} ({content.subtitle}): your {subscription.frequency} report",
        body=render_to_string("subscriptions/email/report.txt", context),
        to=[subscription.user.email],
        connection=connection,
    )
    message.attach_alternative(
        render_to_string("subscriptions/email/report.html", context), "text/html"
    )
    if png:
        # multipart/related: the HTML part and the image it shows by cid.
        message.mixed_subtype = "related"
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{CHART_CID}>")
        image.add_header("Content-Disposition", "inline", filename="chart.png")
        message.attach(image)
    return message


@dataclass
class Outcome:
    subscription: Subscription
    status: str  # sent, would send, skipped, failed
    detail: str = ""

    def __str__(self) -> str:
        sub = self.subscription
        return f"{self.status}: {sub.user} <{sub.user.email}> {sub.path} {self.detail}".rstrip()


def send_one(subscription: Subscription, *, now, connection=None, dry_run=False) -> Outcome:
    """Build and send one subscription's email; record when it was sent."""
    try:
        message = build_email(subscription, connection=connection)
    except (Unsendable, QueryError) as exc:
        return Outcome(subscription, "skipped", str(exc))
    if dry_run:
        return Outcome(subscription, "would send", message.subject)
    try:
        message.send()
    except OSError as exc:  # smtplib's errors are OSErrors
        logger.warning("subscription %s not sent: %s", subscription.pk, exc)
        return Outcome(subscription, "failed", str(exc))
    subscription.last_sent = now
    subscription.save(update_fields=["last_sent"])
    return Outcome(subscription, "sent", message.subject)


def send_subscriptions(
    *, now: dt.datetime | None = None, force: bool = False, dry_run: bool = False, queryset=None
) -> list[Outcome]:
    """Send every due subscription of active users (every one with
    ``force``); ``dry_run`` builds them and sends nothing."""
    now = now or timezone.now()
    if queryset is None:
        queryset = Subscription.objects.all()
    subscriptions = queryset.filter(user__is_active=True)
    due = [s for s in subscriptions.select_related("user") if force or s.is_due(now)]
    connection = mail.get_connection()
    return [send_one(s, now=now, connection=connection, dry_run=dry_run) for s in due]
