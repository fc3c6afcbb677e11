"""Login protection, security headers and escaping, through the real
middleware and URL conf (production-only headers: test_deploy.py)."""

import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import DEMO_PASSWORD
from inventory.models import Product
from sales.models import SaleLine

pytestmark = pytest.mark.django_db

# The only views anyone may open without logging in (static files are
# served by WhiteNoise before any view).
PUBLIC_VIEWS = {"admin:login", "healthz"}

# Sample values for a URL's parameters: the first that the parameter's
# pattern accepts is used.
SAMPLES = ["1", "inventory", "product", "x", "1/2"]


def walk(patterns=None, prefix="", namespace=""):
    """(name, regex of the whole path, view) for every view in the URL conf."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^")
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, regex.rstrip("$").removesuffix(r"\Z"), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else regex
            yield name, regex, entry.callback


def example_path(regex: str) -> str:
    """A path that ``regex`` (a URL pattern's, anchored) matches."""

    def fill(group: re.Match) -> str:
        inner = group.group(2)
        for sample in [*inner.split("|"), *SAMPLES]:
            if re.fullmatch(inner, sample):
                return sample
        raise AssertionError(f"no sample value for {group.group(0)} in {regex}")

    path = re.sub(r"\((\?P<\w+>)?((?:[^()]|\([^()]*\))*)\)", fill, regex)
    path = path.removesuffix(r"\Z").rstrip("$")
    path = re.sub(r"\\(.)", r"\1", path)
    assert re.fullmatch(regex, path), (regex, path)
    return "/" + path


ALL_VIEWS = sorted(walk(), key=lambda view: view[1])


def test_the_url_conf_walk_finds_the_admin_and_healthz():
    names = {name for name, _, _ in ALL_VIEWS}
    assert {"admin:index", "admin:login", "healthz", "admin:inventory_product_changelist"} <= names
    assert len(ALL_VIEWS) > 100


@pytest.mark.parametrize("name,regex,view", ALL_VIEWS, ids=[v[0] for v in ALL_VIEWS])
def test_every_url_needs_a_login_except_the_public_ones(client, name, regex, view):
    path = example_path(regex)
    response = client.get(path)
    if response.status_code == 405:  # POST-only views
        response = client.post(path)
    if name in PUBLIC_VIEWS:
        assert response.status_code == 200, path
        return
    assert response.status_code == 302, (path, response.status_code)
    assert response["Location"].startswith(reverse("admin:login")), (path, response["Location"])


def test_only_the_public_views_are_marked_login_not_required():
    marked = {name for name, _, view in ALL_VIEWS if not getattr(view, "login_required", True)}
    assert marked <= PUBLIC_VIEWS


def test_healthz_reports_the_database_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True}
    assert "no-store" in response["Cache-Control"]


def test_csp_and_security_headers_on_every_page(admin_client_for):
    response = admin_client_for("hq").get(reverse("admin:inventory_product_changelist"))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["style-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def admin_pages() -> list[str]:
    """Admin pages whose templates differ (index, list, change, import,
    export), for the policy checks here and in test_deploy."""
    return [
        reverse("admin:index"),
        reverse("admin:inventory_product_changelist"),
        reverse("admin:inventory_product_change", args=[1]),
        reverse("admin:sales_saleline_changelist"),
        reverse("admin:inventory_product_import"),
        reverse("admin:inventory_product_export"),
    ]


def test_pages_carry_no_inline_script(admin_client_for):
    """script-src 'self' blocks inline scripts and on* handlers: the pages
    must have none (django-import-export's export page has one: see the
    next test)."""
    client = admin_client_for("hq")
    for url in admin_pages():
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_the_export_page_copy_matches_the_package_but_for_its_inline_handler():
    """templates/admin/import_export/export.html is django-import-export's
    page without its one inline handler: after an upgrade of the package,
    refresh the copy (this test says when)."""
    import import_export

    package = Path(import_export.__file__).parent / "templates/admin/import_export/export.html"
    ours = (settings.BASE_DIR / "templates/admin/import_export/export.html").read_text()
    ours = re.sub(r"(?s)\{% comment %\}.*?\{% endcomment %\}\n", "", ours, count=1)
    expected = (
        package.read_text()
        .replace("{% load i18n %}", "{% load i18n static %}", 1)
        .replace("{{ form.media }}\n", "{{ form.media }}\n" + EXPORT_SCRIPT, 1)
        .replace(
            ' \n                    onchange="onSelectToggleChange(event)" checked>', " checked>"
        )
    )
    assert ours == expected


EXPORT_SCRIPT = """<script src="{% static 'foodmart/export.js' %}" defer></script>\n"""


def log_in(client, username, password):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR="203.0.113.7",
    )


def test_five_failed_logins_lock_the_user_out_from_that_address(client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "hq", "wrong-password").status_code == 200  # the form again
    response = log_in(client, "hq", "wrong-password")
    assert response.status_code == 429
    # Locked out: even the right password is refused now.
    assert log_in(client, "hq", DEMO_PASSWORD).status_code == 429
    # Another user behind the same address (a store's router) still logs in.
    assert log_in(client, "executive", DEMO_PASSWORD).status_code == 302


def test_a_successful_login_clears_earlier_failures(client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "hq", "wrong-password")
    assert log_in(client, "hq", DEMO_PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, "hq", "wrong-password").status_code == 200


@pytest.mark.parametrize("password", ["password123", "12345678901234", "short-Pw1", "hqhqhqhq"])
def test_weak_passwords_are_refused(password, django_user_model):
    user = django_user_model(username="hqhqhqhq")
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user)


def test_a_session_ends_after_a_working_day_or_with_the_browser(client):
    response = log_in(client, "analyst", DEMO_PASSWORD)
    assert response.status_code == 302
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.session.get_expire_at_browser_close()
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert not cookie["max-age"] and not cookie["expires"]  # gone with the browser


SCRIPT = "<script>alert(1)</script>"


def test_a_product_named_like_a_script_shows_as_text_in_the_admin(admin_client_for):
    product = Product.objects.order_by("pk").first()
    Product.objects.filter(pk=product.pk).update(product_name=SCRIPT, brand_name=SCRIPT)
    client = admin_client_for("hq")
    for url in [
        reverse("admin:inventory_product_changelist") + "?q=alert",
        reverse("admin:inventory_product_change", args=[product.pk]),
        reverse("admin:inventory_product_delete", args=[product.pk]),
        reverse("admin:sales_saleline_changelist") + "?q=alert",
    ]:
        assert_shown_as_text(client.get(url), url)


def assert_shown_as_text(response, url):
    html = response.content.decode()
    assert response.status_code == 200, url
    assert SCRIPT not in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_an_uploaded_script_name_shows_as_text_in_preview_batch_and_history(admin_client_for):
    client = admin_client_for("hq")
    header = (settings.FOODMART_DATA_DIR / "product.csv").open().readline()
    row = f"30,1,Washington,{SCRIPT},90748583674,2.85,8.39,6.39,false,false,30,14,16.9,12.6,7.4\n"
    url = reverse("admin:inventory_product_import")
    upload = SimpleUploadedFile("products.csv", (header + row).encode())
    preview = client.post(url, {"format": "0", "import_file": upload})
    assert_shown_as_text(preview, "preview")
    form = preview.context["confirm_form"]
    done = client.post(
        reverse("admin:inventory_product_process_import"),
        {k: form.initial[k] for k in form.initial},
        follow=True,
    )
    assert done.status_code == 200 and SCRIPT not in done.content.decode()
    assert Product.objects.get(pk=1).product_name == SCRIPT
    for url in [
        reverse("admin:inventory_product_changelist") + "?q=alert",
        reverse("admin:inventory_product_history", args=[1]),
    ]:
        assert_shown_as_text(client.get(url), url)


# Report filters: values are bound parameters, level and measure names
# come only from the layer's declarations (reports/cubes.py).
INJECTIONS = ["' OR '1'='1", "1; DROP TABLE sales_saleline; --", "x' UNION SELECT 1 --"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_a_report_filter_value_is_data_not_sql(admin_client_for, value):
    client = admin_client_for("hq")
    lines = SaleLine.objects.count()
    params = {"by": "store_state", "measures": "store_sales", "filter": f"store_state:{value}"}
    api = client.get("/reports/api/sales/", params)
    assert api.status_code == 200
    assert api.json()["rows"] == []  # no state is called that
    page = client.get("/reports/products/", {"brand_name": value})
    assert page.status_code == 200
    assert SaleLine.objects.count() == lines


@pytest.mark.parametrize(
    "params",
    [
        {"by": "store_state; DROP TABLE sales_saleline", "measures": "store_sales"},
        {"by": "store_state", "measures": "store_sales) FROM sales_saleline --"},
        {"by": "store_state", "measures": "store_sales", "sort": "1; DELETE FROM sales_saleline"},
        {"by": "store_state", "measures": "store_sales", "filter": "pg_sleep(5):1"},
    ],
)
def test_a_report_level_or_measure_outside_the_declarations_is_refused(admin_client_for, params):
    response = admin_client_for("hq").get("/reports/api/sales/", params)
    assert response.status_code == 400
    assert SaleLine.objects.exists()


def test_a_script_in_data_or_in_a_filter_shows_as_text_on_report_pages(admin_client_for):
    product = SaleLine.objects.order_by("pk").first().product
    Product.objects.filter(pk=product.pk).update(product_name=SCRIPT, brand_name=SCRIPT)
    client = admin_client_for("hq")
    for url, params in [
        ("/reports/products/", {"brand_name": SCRIPT}),  # the product's row and the filter
        ("/reports/products/", {"product_name": SCRIPT}),  # down to its sale lines
        ("/reports/geography/", {"store_name": SCRIPT}),  # a filter alone
    ]:
        response = client.get(url, params, follow=True)
        assert response.status_code == 200, url
        assert SCRIPT not in response.content.decode(), (url, params)
    html = client.get("/reports/products/", {"brand_name": SCRIPT}, follow=True).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "\\u003Cscript\\u003E" in html


def test_make_lint_runs_bandits_security_rules():
    """ruff's S rules (bandit's) are on for the app's code: a shell call
    and SQL built from strings are reported."""
    import subprocess

    code = (
        "import subprocess\n\n\n"
        "def run(name, cursor):\n"
        "    subprocess.run(f'ls {name}', shell=True)\n"
        "    cursor.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n"
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--stdin-filename", "etl/x.py", "-"],
        cwd=settings.BASE_DIR,
        input=code,
        capture_output=True,
        text=True,
    )
    assert "S602" in result.stdout and "S608" in result.stdout, result.stdout
