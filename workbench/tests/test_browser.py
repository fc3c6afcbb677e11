"""The workbench in a real browser: the analyst opens a starter query,
sees its table and downloads it as CSV."""

import csv
import io

import pytest
from playwright.sync_api import expect

from conftest import DEMO_PASSWORD
from foodmart_site.tests.test_browser import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def log_in_to_workbench(page, app_url, username):
    """Log in from the login page, which sends an analyst on to the workbench."""
    response = page.goto(f"{app_url}/admin/login/?next=/workbench/")
    assert response.status == 200
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")


def test_analyst_runs_a_starter_query_and_exports_csv(page, app_url):
    log_in_to_workbench(page, app_url, "analyst")
    expect(page).to_have_url(f"{app_url}/workbench/")
    queries = page.locator("#queries")
    queries.get_by_role("link", name="Stores ranked by sales per square foot").click()
    rows = page.locator("#preview > tbody > tr")
    expect(rows.first).to_be_visible()
    expect(rows.first).to_contain_text("Store")
    shown = rows.count()
    assert shown == 10  # the stores with a known floor area that sold in 1997
    page.screenshot(path=SCREENSHOTS / "workbench-query.png", full_page=True)

    page.click("#download_options")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "Stores_ranked_by_sales_per_square_foot.csv"
    with open(download.path(), encoding="utf-8-sig") as f:
        table = list(csv.reader(io.StringIO(f.read())))
    assert table[0][:2] == ["store_name", "store_type"]
    assert len(table) == shown + 1
    assert table[1][-1] == "1"  # ranked


@pytest.mark.parametrize("username", ["manager", "executive"])
def test_other_roles_are_turned_away(page, app_url, username):
    log_in_to_workbench(page, app_url, username)
    expect(page.locator("body")).to_contain_text("403")
    assert page.goto(app_url + "/workbench/").status == 403
