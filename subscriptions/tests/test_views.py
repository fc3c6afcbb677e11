"""The Subscribe button on report pages, the rule form in the admin, and
each user's own rows there: good input is saved, bad input says why."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from subscriptions.models import AlertRule, Subscription

pytestmark = pytest.mark.django_db

SUBSCRIBE = "/subscriptions/subscribe/"


def test_every_report_page_and_the_overview_offer_the_button(admin_client_for):
    client = admin_client_for("executive")
    for url in ["/reports/geography/?store_country=USA", "/reports/overview/?year=1997"]:
        page = client.get(url).content.decode()
        assert f'action="{SUBSCRIBE}"' in page
        assert f'name="path" value="{url.replace("&", "&amp;")}"' in page


def test_subscribing_keeps_the_filters_and_drops_exports_and_blanks(admin_client_for):
    client = admin_client_for("executive")
    path = "/reports/deliveries/?store_state=&store_name=Store+6&from=1997-09-01&format=csv"
    response = client.post(SUBSCRIBE, {"path": path, "frequency": "daily"}, follow=True)
    [sub] = Subscription.objects.filter(user__username="executive")
    assert (sub.report, sub.query_string, sub.frequency) == (
        "deliveries",
        "store_name=Store+6&from=1997-09-01",
        "daily",
    )
    assert response.redirect_chain == [(sub.path, 302)]
    assert "Subscribed: this page by email, daily" in response.content.decode()
    client.post(SUBSCRIBE, {"path": path, "frequency": "monthly"})
    sub.refresh_from_db()
    assert sub.frequency == "monthly" and Subscription.objects.count() == 1


def test_the_overview_can_be_subscribed_to(admin_client_for):
    client = admin_client_for("executive")
    client.post(SUBSCRIBE, {"path": "/reports/overview/?quarter=1997-Q3", "frequency": "weekly"})
    assert Subscription.objects.get().path == "/reports/overview/?quarter=1997-Q3"


@pytest.mark.parametrize(
    "path, frequency, message",
    [
        ("/admin/", "weekly", "&#x27;/admin/&#x27; is not a report page or the overview."),
        ("https://elsewhere.example/reports/geography/", "weekly", "not another address"),
        ("/reports/nothing/", "weekly", "there is no report &#x27;nothing&#x27;"),
        ("/reports/geography/?from=soon", "weekly", "from &#x27;soon&#x27; is not a date"),
        ("/reports/geography/?colour=red", "weekly", "unknown filter &#x27;colour&#x27;"),
        ("/reports/overview/?year=97", "weekly", "year &#x27;97&#x27; is not a year"),
        ("/reports/geography/", "hourly", "Select a valid choice. hourly is not one"),
        ("", "weekly", "This field is required."),
    ],
)
def test_bad_subscriptions_are_refused_with_the_reason(admin_client_for, path, frequency, message):
    response = admin_client_for("executive").post(
        SUBSCRIBE, {"path": path, "frequency": frequency}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subscription.objects.exists()


def test_no_subscription_without_an_address_or_the_right(admin_client_for, client):
    get_user_model().objects.filter(username="analyst").update(email="")
    response = admin_client_for("analyst").post(
        SUBSCRIBE, {"path": "/reports/geography/", "frequency": "weekly"}
    )
    assert b"Your account has no email address" in response.content
    nobody = get_user_model().objects.create_user("nobody", "n@example.com", "x-Long-pass-1")
    client.force_login(nobody)
    response = client.post(SUBSCRIBE, {"path": "/reports/geography/", "frequency": "weekly"})
    assert b"you may not read Geography" in response.content
    assert client.get(SUBSCRIBE).status_code == 405
    assert not Subscription.objects.exists()


def test_each_user_sees_only_their_own_subscriptions_in_the_admin(admin_client_for):
    users = get_user_model().objects
    mine = Subscription.objects.create(user=users.get(username="manager"), report="staff")
    theirs = Subscription.objects.create(user=users.get(username="executive"), report="staff")
    client = admin_client_for("manager")
    listing = client.get("/admin/subscriptions/subscription/")
    assert list(listing.context["cl"].result_list) == [mine]
    assert client.get(f"/admin/subscriptions/subscription/{theirs.pk}/change/").status_code == 302
    assert client.get("/admin/subscriptions/subscription/add/").status_code == 403
    assert b"Subscriptions and alerts" in client.get("/admin/").content


def test_the_admin_sends_a_subscription_now(admin_client_for):
    user = get_user_model().objects.get(username="executive")
    sub = Subscription.objects.create(user=user, report="geography", query_string="year=1997")
    response = admin_client_for("executive").post(
        "/admin/subscriptions/subscription/",
        {"action": "send_now", "index": 0, "_selected_action": [sub.pk]},
        follow=True,
    )
    assert (
        b"Sent: executive &lt;executive@foodmart.example&gt; /reports/geography/"
        in response.content
    )
    [message] = mail.outbox
    assert message.to == ["executive@foodmart.example"]


RULE = {
    "name": "Low fill rate",
    "fact": "deliveries",
    "measure": "fill_rate",
    "levels": "store_name,warehouse_name",
    "comparison": "below",
    "threshold": "90",
    "window_count": "4",
    "window_unit": "weeks",
    "filters": "",
    "report": "",
    "active": "on",
}


def test_a_rule_is_added_in_the_admin_for_its_owner(admin_client_for):
    client = admin_client_for("executive")
    response = client.post("/admin/subscriptions/alertrule/add/", RULE)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = AlertRule.objects.get()
    assert rule.owner.username == "executive" and rule.limit() == Decimal("0.9")
    assert rule.alerts.open().exists()  # saving checked it at once
    listing = client.get("/admin/subscriptions/alertrule/")
    assert b"fill_rate below 90 %" in listing.content


@pytest.mark.parametrize(
    "change, message",
    [
        ({"measure": "fill_rat"}, "deliveries has no measure &#x27;fill_rat&#x27;"),
        ({"levels": "store"}, "deliveries has no level &#x27;store&#x27;"),
        ({"levels": ""}, "This field is required."),
        ({"filters": "colour=red"}, "deliveries has no level &#x27;colour&#x27;"),
        ({"fact": "weather"}, "Select a valid choice. weather is not one"),
        ({"report": "geography"}, "report &#x27;geography&#x27; is not a deliveries report"),
        ({"threshold": "ninety"}, "Enter a number."),
        (
            {"fact": "sales", "measure": "sales_per_sqft", "levels": "store_state"},
            "sales_per_sqft is per store_name",
        ),
    ],
)
def test_a_bad_rule_is_refused_with_the_reason(admin_client_for, change, message):
    response = admin_client_for("executive").post(
        "/admin/subscriptions/alertrule/add/", {**RULE, **change}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AlertRule.objects.exists()
