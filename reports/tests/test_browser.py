"""The reports in a real browser (Debian's chromium through Playwright):
an executive drills from the overview down to one sale line and opens it
in the back office; the Store 6 manager sees Store 6 only."""

# ruff: noqa: F811 (the fixtures imported below are parameters here)
import pytest
from playwright.sync_api import expect

from conftest import DEMO_PASSWORD
from foodmart_site.tests.test_browser import (  # noqa: F401 (fixtures)
    SCREENSHOTS,
    app_url,
    browser,
    page,
    staff,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in(page, app_url, username, then):
    page.goto(f"{app_url}/admin/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(app_url + then)


def click_drill(page, value):
    page.locator("table.figures a.drill", has_text=value).first.click()


def test_executive_drills_from_the_overview_to_a_sale_line(page, app_url):
    log_in(page, app_url, "executive", "/reports/overview/")
    expect(page.locator("h1")).to_contain_text("quarter 1997-Q4")  # the latest sales
    page.goto(app_url + "/reports/overview/?year=1997")
    expect(page.locator(".tile[data-measure=store_sales] .value")).to_have_text("565,238.13")
    expect(page.locator("#chart")).to_have_attribute("data-ready", "1")
    page.screenshot(path=SCREENSHOTS / "reports-overview.png", full_page=True)
    click_drill(page, "CA")
    expect(page.locator("h1")).to_contain_text("by store city")
    click_drill(page, "Beverly Hills")
    click_drill(page, "Store 6")
    expect(page.locator("h1")).to_contain_text("Products")
    expect(page.locator("nav.crumbs")).to_contain_text("Store name: Store 6")
    # The chart's bars drill down too: click the first bar (the largest family).
    canvas = page.locator("#chart")
    expect(canvas).to_have_attribute("data-ready", "1")
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.7)
    expect(page.locator("nav.crumbs")).to_contain_text("Product family: Food")
    page.screenshot(path=SCREENSHOTS / "reports-drill.png", full_page=True)
    click_drill(page, "Produce")
    click_drill(page, "Vegetables")
    expect(page.locator("nav.crumbs")).to_contain_text("Product category: Vegetables")
    for _ in range(3):  # subcategory, brand, product
        page.locator("table.figures a.drill").first.click()
    expect(page.locator("h1")).to_contain_text("the lines behind the figures")
    rows = page.locator("table.figures tbody tr")
    expect(rows.first).to_contain_text("Store 6")
    page.locator("table.figures tbody tr a.admin").first.click()
    expect(page.locator("#site-name")).to_have_text("ABC Foodmart back office")
    expect(page.locator("div.field-store")).to_contain_text("Store 6")
    # Back up: the breadcrumbs lead to where each filter was chosen.
    page.go_back()
    page.locator("nav.crumbs a", has_text="Store state: CA").click()
    expect(page.locator("h1")).to_contain_text("Geography")


def test_the_store_6_manager_sees_only_store_6(page, app_url):
    log_in(page, app_url, "manager", "/reports/")
    page.goto(app_url + "/reports/geography/?store_country=USA")
    expect(page.locator("table.figures a.drill")).to_have_count(1)
    expect(page.locator("table.figures a.drill")).to_have_text("CA")
    page.goto(app_url + "/reports/staff/")
    expect(page.locator("table.figures tbody tr")).to_have_count(1)
    expect(page.locator("table.figures tbody")).to_contain_text("Store 6")
