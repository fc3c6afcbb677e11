"""Subscription emails through the locmem backend: the subscriber's scope
at send time, the table, the inline chart, the link back, the freshness
line, and the command that sends the due ones."""

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from inventory.models import Delivery
from reports.cubes import Query, run_query
from reports.freshness import freshness
from subscriptions.models import Subscription
from subscriptions.services import send_subscriptions

pytestmark = pytest.mark.django_db

SITE = "https://foodmart.example"


def subscribe(username, report, query="", frequency="weekly", **kwargs):
    user = get_user_model().objects.get(username=username)
    return Subscription.objects.create(
        user=user, report=report, query_string=query, frequency=frequency, **kwargs
    )


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def image_parts(message):
    return [p for p in message.message().walk() if p.get_content_type() == "image/png"]


@override_settings(SITE_URL=SITE)
def test_the_store_6_managers_email_holds_only_store_6():
    subscribe("manager", "staff", "year=1997")
    subscribe("executive", "staff", "year=1997")
    outcomes = send_subscriptions()
    assert [o.status for o in outcomes] == ["sent", "sent"]
    by_user = {m.to[0]: m for m in mail.outbox}
    manager = by_user["manager@foodmart.example"]
    executive = by_user["executive@foodmart.example"]
    assert "Store 6" in manager.body and "Store 6" in html_of(manager)
    for other in ("Store 7", "Store 24", "Store 11"):
        assert other not in manager.body and other not in html_of(manager)
        assert other in executive.body
    salaries = run_query(Query("payroll", [], ["salary_paid"], {"year": ["1997"]}), store_ids={6})
    assert f"{salaries.rows[0][0].quantize(Decimal('0.01')):,}" in manager.body


@override_settings(SITE_URL=SITE)
def test_the_email_has_the_table_the_chart_the_link_and_the_freshness_line():
    sub = subscribe("executive", "deliveries", "store_name=Store+6&from=1997-07-01&to=1997-12-31")
    send_subscriptions()
    [message] = mail.outbox
    html = html_of(message)
    assert message.subject.startswith("Deliveries (by product family · Store name: Store 6)")
    assert "<table" in html and "Fill rate" in html and "Fill rate" in message.body
    assert "<td" in html and "Food" in html and "Food |" in message.body
    link = f"{SITE}/reports/deliveries/?store_name=Store+6&amp;from=1997-07-01&amp;to=1997-12-31"
    assert link in html
    assert link.replace("&amp;", "&") in message.body
    [png] = image_parts(message)
    assert png["Content-ID"] == "<chart>"
    assert png.get_payload(decode=True).startswith(b"\x89PNG")
    assert 'src="cid:chart"' in html
    assert message.message().get_content_type() == "multipart/related"
    line = str(freshness())
    assert line.startswith("Data up to 1997-12-")
    assert line in message.body and line in html
    sub.refresh_from_db()
    assert sub.last_sent is not None


def test_the_overview_email_has_its_tiles_and_trend():
    subscribe("executive", "overview", "quarter=1997-Q2")
    send_subscriptions()
    [message] = mail.outbox
    assert "Executive overview (quarter 1997-Q2)" in message.subject
    assert "Store sales" in message.body and "1997-Q1" in message.body
    assert len(image_parts(message)) == 1


def test_a_page_of_lines_is_sent_without_a_chart():
    row = Delivery.objects.select_related("warehouse", "store", "product__product_class").first()
    query = urlencode(
        {
            "warehouse_name": row.warehouse.warehouse_name,
            "store_name": row.store.store_name,
            "product_family": row.product.product_class.product_family,
            "product_name": row.product.product_name,
        }
    )
    subscribe("executive", "deliveries", query)
    send_subscriptions()
    [message] = mail.outbox
    assert image_parts(message) == []
    assert "the lines behind the figures" in message.subject


def test_the_scope_applies_at_send_time_not_at_subscription_time():
    manager = get_user_model().objects.get(username="manager")
    subscribe("manager", "staff", "year=1997")
    manager.groups.add(Group.objects.get(name="Executives"))  # now sees every store
    send_subscriptions()
    assert "Store 24" in mail.outbox[0].body


def test_only_due_subscriptions_are_sent_and_dry_runs_send_nothing():
    now = timezone.now()
    due = subscribe("executive", "geography", frequency="daily", last_sent=now - dt.timedelta(2))
    subscribe("executive", "products", frequency="monthly", last_sent=now)
    outcomes = send_subscriptions(now=now, dry_run=True)
    assert [(o.subscription, o.status) for o in outcomes] == [(due, "would send")]
    assert mail.outbox == []
    assert [o.subscription for o in send_subscriptions(now=now)] == [due]
    assert send_subscriptions(now=now) == []
    assert len(send_subscriptions(now=now, force=True)) == 2
    assert len(mail.outbox) == 3


def test_a_subscriber_who_lost_the_right_or_the_address_is_skipped():
    sub = subscribe("manager", "staff")
    sub.user.groups.clear()
    get_user_model().objects.filter(username="analyst").update(email="")
    subscribe("analyst", "geography")
    outcomes = {o.subscription.user.username: o for o in send_subscriptions()}
    assert outcomes["manager"].status == "skipped"
    assert "may no longer read Staff and payroll" in outcomes["manager"].detail
    assert outcomes["analyst"].detail == "analyst has no email address"
    assert mail.outbox == []


def test_the_command_sends_and_says_what_it_did():
    subscribe("executive", "geography", last_sent=timezone.now())
    out = io.StringIO()
    call_command("send_subscriptions", "--dry-run", stdout=out)
    assert "0 of 0 due subscriptions would be sent." in out.getvalue()
    call_command("send_subscriptions", "--now", stdout=out)
    assert "sent: executive <executive@foodmart.example> /reports/geography/" in out.getvalue()
    assert "1 of 1 due subscriptions sent." in out.getvalue()
    assert len(mail.outbox) == 1
