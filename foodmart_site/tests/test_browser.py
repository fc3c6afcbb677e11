"""The back office in a real browser: Debian's chromium driven by
Playwright, against the app served by ``manage.py runserver`` on the
test database (the data the session loaded)."""

import os
import socket
import subprocess
import sys
import time

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from conftest import DEMO_PASSWORD
from foodmart_site.tests.utils import url_of_test_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"runserver exited: {process.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError("runserver did not start")


@pytest.fixture(scope="module")
def app_url(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        url = url_of_test_database()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "foodmart_site.settings_test",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(app_url, browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def log_in(page, app_url, username):
    page.goto(app_url + "/")
    expect(page).to_have_url(f"{app_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_have_text("ABC Foodmart back office")


def test_admin_finds_a_store_and_opens_it(page, app_url, tmp_path):
    log_in(page, app_url, "admin")
    page.get_by_role("link", name="Stores", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(25)
    page.fill("#searchbar", "Beverly Hills")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Store 6").click()
    expect(page.locator("#id_store_city")).to_have_value("Beverly Hills")
    page.screenshot(path=tmp_path / "store6.png")


def test_executive_drills_sale_lines_from_month_to_one_line(page, app_url):
    log_in(page, app_url, "executive")
    page.get_by_role("link", name="Sale lines").click()
    # All FoodMart sales are in 1997, so the hierarchy starts at months.
    page.locator("nav.toplinks a", has_text="March 1997").click()
    page.locator("nav.toplinks a", has_text="March 5").click()
    dates = page.locator("#result_list tbody .field-sale_date")
    expect(dates.first).to_have_text("March 5, 1997")
    # Executives read: no "Add" button on the fact table.
    expect(page.locator("a.addlink")).to_have_count(0)
    page.locator("#result_list tbody th a").first.click()
    expect(page.locator("div.field-sale_date .readonly")).to_have_text("March 5, 1997")


def test_wrong_password_is_refused(page, app_url):
    page.goto(app_url + "/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    expect(page.locator(".errornote")).to_be_visible()
