"""The users of bench/load.py (locust): executives and analysts reading
reports and drilling down, back-office staff working in admin lists. Each
logs in through the real login form first. A response that is not a 200,
or a 200 that is the login page, counts as an error.

Run by bench/load.py; by hand:
    locust -f bench/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8000
with LOAD_PASSWORD set to the users' password.
"""

import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
_low, _, _high = os.environ.get("LOAD_THINK", "1-3").partition("-")
THINK = (float(_low), float(_high or _low))

REPORTS = [
    "/reports/",
    "/reports/overview/?year=1998",
    "/reports/overview/?quarter=1998-Q2",
    "/reports/sales-over-time/",
    "/reports/sales-over-time/?year=1998&quarter=1998-Q2",
    "/reports/geography/?year=1998",
    "/reports/products/?year=1998",
    "/reports/products/?year=1998&product_family=Food&top=10",
    "/reports/promotions/?year=1998&promoted=yes",
    "/reports/customers/?year=1998&by=yearly_income",
    "/reports/deliveries/",
    "/reports/staff/",
    "/reports/expenses/",
]
# One drill-down, a click at a time: state, city, store, family, category,
# down to the sale lines of one product.
DRILL = [
    "/reports/geography/?year=1998&store_country=USA",
    "/reports/geography/?year=1998&store_country=USA&store_state=CA",
    "/reports/geography/?year=1998&store_country=USA&store_state=CA&store_city=Beverly+Hills",
    "/reports/products/?year=1998&store_state=CA&store_name=Store+6",
    "/reports/products/?year=1998&store_name=Store+6&product_family=Food",
    "/reports/products/?year=1998&store_name=Store+6&product_family=Food"
    "&product_department=Produce&product_category=Vegetables",
    "/reports/products/?year=1998&store_name=Store+6&product_family=Food"
    "&product_department=Produce&product_category=Vegetables"
    "&product_subcategory=Fresh+Vegetables&brand_name=Hermanos"
    "&product_name=Hermanos+Shitake+Mushrooms",
]
API = [
    "/reports/api/sales/?by=store_state,month&measures=store_sales,unit_sales&from=1998-01-01",
    "/reports/api/sales/?by=product_family&measures=store_sales,profit",
]
ADMIN = [
    "/admin/",
    "/admin/sales/saleline/",
    "/admin/sales/saleline/?store__id__exact=6",
    "/admin/sales/saleline/?q=Shitake",
    "/admin/sales/customer/?q=Nowmer",
    "/admin/inventory/product/",
    "/admin/inventory/product/?q=Berry",
    "/admin/inventory/store/",
    "/admin/inventory/delivery/",
    "/admin/people/employee/",
    "/admin/etl/batch/",
]
# What locust's statistics group by: the page, not each query string.
NAMES = {
    "/reports/api/": "/reports/api/ [json]",
    "/admin/sales/saleline/": "/admin/sales/saleline/ [list]",
}


def name_of(url: str) -> str:
    path = url.split("?")[0]
    for prefix, name in NAMES.items():
        if path.startswith(prefix):
            return name
    if path.startswith("/reports/") and "?" in url:
        return path + " [drill]" if "store_" in url or "product_" in url else path
    return path


class Browsing(HttpUser):
    abstract = True
    # A person reads the page before the next click (LOAD_THINK seconds,
    # "1-3"; "0" for no pause at all: the server's saturation).
    wait_time = between(*THINK)
    usernames: tuple[str, ...] = ()

    def on_start(self):
        page = self.client.get("/admin/login/", name="/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = self.client.post(
            "/admin/login/?next=/admin/",
            {
                "username": random.choice(self.usernames),
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
                "next": "/admin/",
            },
            headers={"Referer": self.host + "/admin/login/"},
            name="/admin/login/ [POST]",
        )
        if "/admin/login/" in response.url:
            raise RuntimeError(f"login refused: {response.status_code}")

    def open(self, url: str):
        with self.client.get(url, name=name_of(url), catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif 'id="login-form"' in response.text:
                response.failure("sent to the login page")
            else:
                response.success()


class Executive(Browsing):
    """Executives and analysts: report pages, drill-downs, the JSON API."""

    weight = 3
    usernames = ("executive", "analyst")

    @task(6)
    def report(self):
        self.open(random.choice(REPORTS))

    @task(3)
    def drill_down(self):
        for url in DRILL[: random.randint(2, len(DRILL))]:
            self.open(url)

    @task(1)
    def api(self):
        self.open(random.choice(API))


class BackOffice(Browsing):
    """HQ staff and a store manager: admin lists and searches, a report now
    and then, and the health check a load balancer would call."""

    weight = 2
    usernames = ("hq", "manager")

    @task(6)
    def admin_list(self):
        self.open(random.choice(ADMIN))

    @task(1)
    def report(self):
        self.open(random.choice(REPORTS[:3]))

    @task(1)
    def health(self):
        self.open("/healthz")
