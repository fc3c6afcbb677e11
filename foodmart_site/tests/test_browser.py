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
from foodmart_site.tests.utils import url_of_test_database, wait_for_sessions_to_end

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
def staff(django_db_setup, django_db_blocker):
    """Employee ids looked up before the browser starts (Playwright's event
    loop would keep Django's ORM from running on this thread)."""
    from people.models import Employee

    with django_db_blocker.unblock():
        return {
            store: Employee.objects.filter(store_id=store).order_by("pk").first().pk
            for store in (6, 7)
        }


@pytest.fixture(scope="module")
def app_url(django_db_setup, django_db_blocker, staff):
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
        with django_db_blocker.unblock():
            wait_for_sessions_to_end()


SCREENSHOTS = settings.BASE_DIR / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no browser: {CHROMIUM} is missing (make browser installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(app_url, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def log_in(page, app_url, username):
    page.goto(app_url + "/")
    expect(page).to_have_url(f"{app_url}/admin/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_have_text("ABC Foodmart back office")


def test_admin_finds_a_store_and_opens_it(page, app_url):
    log_in(page, app_url, "admin")
    page.get_by_role("link", name="Stores", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(25)
    page.fill("#searchbar", "Beverly Hills")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Store 6").click()
    expect(page.locator("#id_store_city")).to_have_value("Beverly Hills")


def test_executive_drills_sale_lines_from_month_to_one_line(page, app_url):
    log_in(page, app_url, "executive")
    page.get_by_role("link", name="Sale lines", exact=True).click()
    # All FoodMart sales are in 1997, so the hierarchy starts at months.
    page.locator("nav.toplinks a", has_text="March 1997").click()
    page.locator("nav.toplinks a", has_text="March 5").click()
    dates = page.locator("#result_list tbody .field-sale_date")
    expect(dates.first).to_have_text("March 5, 1997")
    # Executives read: no "Add" button on the fact table (the sidebar may
    # offer their own subscriptions).
    expect(page.locator("#content a.addlink")).to_have_count(0)
    page.locator("#result_list tbody th a").first.click()
    expect(page.locator("div.field-sale_date .readonly")).to_have_text("March 5, 1997")


def test_wrong_password_is_refused(page, app_url):
    page.goto(app_url + "/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    expect(page.locator(".errornote")).to_be_visible()


def test_manager_edits_their_staff_and_cannot_open_another_stores(page, app_url, staff):
    own, other = staff[6], staff[7]
    log_in(page, app_url, "manager")
    expect(page.locator("#your-work")).to_contain_text("Store 6")
    page.screenshot(path=SCREENSHOTS / "manager-index.png")
    page.get_by_role("link", name="Employees").click()
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    stores = page.locator("#result_list tbody td.field-store").all_inner_texts()
    assert set(stores) == {"Store 6"}
    page.goto(f"{app_url}/admin/people/employee/{own}/change/")
    page.fill("#id_education_level", "Graduate Degree")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist li")).to_contain_text("was changed successfully")
    page.screenshot(path=SCREENSHOTS / "manager-staff.png")
    response = page.goto(f"{app_url}/admin/people/employee/{other}/change/")
    assert response.status == 404


def sales_sheet(path, rows):
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    header = ["Product", "Date", "Customer", "Promotion", "Store", "Sales", "Cost", "Units"]
    for r, row in enumerate([header, *rows]):
        sheet.write_row(r, 0, row)
    book.close()
    return path


def test_hq_uploads_sale_lines_fixes_a_bad_row_confirms_and_rolls_back(page, app_url, tmp_path):
    good = [[1, "1998-07-01", 3, 0, 6, 2.5, 1.0, 1], [2, "1998-07-02", 3, 0, 6, 3.5, 1.5, 2]]
    bad = [good[0], [2, "1998-07-02", 3, 0, 999, 3.5, 1.5, 2]]
    log_in(page, app_url, "hq")
    page.goto(f"{app_url}/admin/sales/saleline/")
    page.locator("a.import_link").click()
    page.set_input_files("#id_import_file", str(sales_sheet(tmp_path / "july.xlsx", bad)))
    page.click("input[type=submit]")
    errors = page.locator("table.import-preview tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("unknown store")
    expect(errors.first).to_contain_text("999")
    page.screenshot(path=SCREENSHOTS / "upload-error.png", full_page=True)

    page.set_input_files("#id_import_file", str(sales_sheet(tmp_path / "july.xlsx", good)))
    page.click("input[type=submit]")
    expect(page.locator("table.import-preview tr.new")).to_have_count(2)
    page.click("form[action*=process_import] input[type=submit]")
    expect(page.locator(".messagelist li")).to_contain_text("inserted 2")
    page.screenshot(path=SCREENSHOTS / "upload-batch.png")
    expect(page.locator("div.field-source_name .readonly")).to_have_text("july.xlsx")

    # Undo it through the admin's rollback action and its confirmation page.
    page.goto(f"{app_url}/admin/etl/batch/?q=july.xlsx")
    page.locator("#result_list tbody input.action-select").first.check()
    page.select_option("select[name=action]", "roll_back")
    page.click("button[name=index]")
    expect(page.locator("#content")).to_contain_text("removes 2 inserted row(s)")
    page.click("input[value='Yes, roll them back']")
    expect(page.locator(".messagelist")).to_contain_text("2 row(s) removed")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/inventory/store/",
        "/admin/people/employee/",
        "/admin/sales/saleline/",
        "/admin/inventory/product/",
        "/admin/inventory/store/6/change/",
        "/admin/people/employee/2/change/",
        "/admin/etl/batch/",
    ],
)
def test_executive_gets_no_change_buttons(page, app_url, path):
    log_in(page, app_url, "executive")
    page.goto(app_url + path)
    expect(page.locator("#content")).to_be_visible()
    # Within the page: the sidebar may offer their own subscriptions.
    content = page.locator("#content")
    for control in ["a.addlink", "input[name=_save]", "a.deletelink", "a.import_link"]:
        expect(content.locator(control)).to_have_count(0)
    expect(content.get_by_role("link", name="Import", exact=True)).to_have_count(0)
